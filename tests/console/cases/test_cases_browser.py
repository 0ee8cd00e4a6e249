"""In a real browser, on a phone 360 px wide: the platform relays a call, a centre's referent reads the case in
their list, opens it and adds a note; nothing wider than the screen, axe-core clean, no number anywhere."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.conftest import at_paris
from tests.support.cases import (CALLER, PASSWORD, PLATFORM, REFERENT_94, national_call, platform_coordinator,
                                 referent)
from tests.support.console import sign_in_page

PHONE = {"width": 360, "height": 740}


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(locale="fr-FR", viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def fits_the_screen(page) -> None:
    """Nothing wider than the phone, and axe-core finds no accessibility violation on the page as it stands."""
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def test_the_platform_relays_and_a_referent_reads_and_annotates_the_case_on_a_phone(
        app, live_server, phone_page, artifacts_dir, clock):
    page = phone_page
    call_id, _ = national_call(app, clock, at_paris(2026, 11, 24, 17, 15))
    platform_coordinator(app)
    referent(app, REFERENT_94, "3977-94")

    sign_in_page(page, live_server, PLATFORM, PASSWORD)
    page.goto(f"{live_server}/console/cases/relay/{call_id}")
    expect(page.get_by_label("Département")).to_have_value("94")
    expect(page.get_by_label("Relayé à")).to_have_value("centre:3977-94")
    fits_the_screen(page)
    page.get_by_role("button", name="Transmettre le dossier").click()
    expect(page.locator("#relay-errors")).to_be_visible()
    expect(page.locator("#caller_role-error")).to_have_text("Indiquez qui appelle.")
    fits_the_screen(page)  # the refused form, its problems shown, is as accessible as the fresh one
    page.get_by_label("Un proche").check()
    page.get_by_label("Personne 1", exact=True).select_option(label="Victime")
    page.get_by_label("Lien de la personne 1").fill("mère, 84 ans")
    page.get_by_label("Personne 2", exact=True).select_option(label="Personne mise en cause")
    page.get_by_label("Lien de la personne 2").fill("fils")
    page.get_by_label("Depuis quand").select_option(label="Quelques mois")
    page.get_by_label("Notes de l'écoutant").fill("Le fils retire de l'argent sur le compte de sa mère.")
    page.get_by_label("Non : l'appelant rappellera, aucun numéro n'est conservé").check()
    fits_the_screen(page)
    page.screenshot(path=str(artifacts_dir / "console-relay-form-360.png"), full_page=True)
    page.get_by_role("button", name="Transmettre le dossier").click()
    expect(page.get_by_role("status")).to_have_text(
        "Le dossier est transmis au centre, sans numéro : l'appelant rappellera.")
    page.get_by_role("button", name="Se déconnecter", exact=True).click()

    sign_in_page(page, live_server, REFERENT_94, PASSWORD)
    expect(page.get_by_role("heading", name="Dossiers relayés")).to_be_visible()
    card = page.locator("#cases li")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("À analyser")
    expect(card).to_contain_text("L'appelant rappellera (aucun numéro conservé)")
    fits_the_screen(page)
    page.screenshot(path=str(artifacts_dir / "console-cases-list-360.png"), full_page=True)

    card.get_by_role("link").click()
    expect(page.locator("#case-contact")).to_contain_text("L'appelant rappellera")
    expect(page.locator("main")).to_contain_text("mère, 84 ans")
    expect(page.locator("#callback-none")).to_have_text("L'appelant n'a pas laissé de numéro : il rappellera lui-même.")
    page.get_by_label("Nouvelle note").fill("Appeler le CCAS de la commune avec l'accord de l'appelant.")
    page.get_by_role("button", name="Ajouter la note").click()
    expect(page.get_by_role("status")).to_have_text("La note est ajoutée au dossier.")
    expect(page.locator("#case-notes")).to_contain_text("Appeler le CCAS")
    page.get_by_role("button", name="Marquer comme analysé").click()
    expect(page.locator("#case-status")).to_have_text("Analysé")
    expect(page.locator("#case-steps")).to_contain_text(f"Analysé ({REFERENT_94})")
    expect(page.locator("main")).not_to_contain_text(CALLER[3:])
    fits_the_screen(page)
    page.screenshot(path=str(artifacts_dir / "console-case-360.png"), full_page=True)
