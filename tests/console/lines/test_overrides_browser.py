"""In a real browser: a coordinator closes their line now with a reason, sees it closed, then lifts it."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.support.console import COORDINATOR_EMAIL, COORDINATOR_PASSWORD, make_account, sign_in_page



def test_a_coordinator_closes_their_line_now_and_lifts_the_decision(app, live_server, page, artifacts_dir):
    make_account(app, COORDINATOR_EMAIL, COORDINATOR_PASSWORD, "coordinator", lines=["un-premier-pas"],
                 name="Camille Coordination")
    sign_in_page(page, live_server, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)
    page.get_by_role("link", name="Un premier pas, Val-de-Marne").click()
    status = page.locator("main > p.status")
    expect(status).to_contain_text("Ouverte")

    page.get_by_role("button", name="Fermer maintenant").click()  # no reason yet
    expect(page.locator("#reason-error")).to_have_text("Indiquez la raison de cette décision.")
    expect(page.get_by_label("Raison (obligatoire, annoncée aux appelants)")).to_have_attribute("aria-invalid", "true")

    page.get_by_label("Raison (obligatoire, annoncée aux appelants)").fill("formation de l'équipe")
    page.get_by_role("button", name="Fermer maintenant").click()
    expect(page.get_by_role("status")).to_have_text(re.compile(
        r"^La ligne est fermée jusqu'au \w+ \d+ \w+ 2026 à 09:00 \(heure de Paris\)\. "))  # reopening tomorrow
    expect(status).to_contain_text("Fermée")
    expect(status).to_contain_text("Fermée par décision d'un coordinateur : formation de l'équipe")
    expect(status).to_contain_text("rouvre demain à 09:00")  # the decision lasts until 17:00, then night
    decision = page.locator(".active-overrides li")
    expect(decision).to_contain_text("Fermée par décision d'un coordinateur : formation de l'équipe")
    expect(decision).to_contain_text("prend fin au prochain changement d'horaire")
    page.screenshot(path=str(artifacts_dir / "console-close-now.png"), full_page=True)

    decision.get_by_role("button", name="Lever").click()
    expect(page.get_by_role("status")).to_contain_text("La décision est levée")
    expect(status).to_contain_text("Ouverte selon les horaires habituels")
    expect(page.locator(".active-overrides li")).to_have_count(0)


def test_typing_an_end_chooses_it_and_the_confirmation_says_until_when(app, live_server, page):
    make_account(app, COORDINATOR_EMAIL, COORDINATOR_PASSWORD, "coordinator", lines=["un-premier-pas"],
                 name="Camille Coordination")
    sign_in_page(page, live_server, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)
    page.get_by_role("link", name="Un premier pas, Val-de-Marne").click()
    expect(page.get_by_label("Jusqu'au prochain changement d'horaire")).to_be_checked()
    page.wait_for_load_state("load")  # console.js (deferred) listens to the field from then on
    until = page.get_by_label("Date et heure de fin (heure de Paris)")
    until.fill("2026-11-24T15:30")  # the clock's day; nothing else touched
    expect(page.get_by_label("Jusqu'à une date et une heure précises (choisi dès que vous les saisissez)")).to_be_checked()
    page.get_by_label("Raison (obligatoire, annoncée aux appelants)").fill("réunion d'équipe")
    page.get_by_role("button", name="Fermer maintenant").click()
    expect(page.get_by_role("status")).to_have_text(
        "La ligne est fermée jusqu'au mardi 24 novembre 2026 à 15:30 (heure de Paris). "
        "Les appelants l'entendent dès maintenant.")
    expect(page.locator("main > p.status")).to_contain_text("rouvre aujourd'hui à 15:30")


def test_a_centres_coordinator_closes_their_centre_until_a_typed_time(app, live_server, page):
    make_account(app, "centre94@example.org", COORDINATOR_PASSWORD, "coordinator", centres=["3977-94"],
                 name="Dominique")
    sign_in_page(page, live_server, "centre94@example.org", COORDINATOR_PASSWORD)
    page.get_by_role("link", name="Centre d'écoute 3977 du Val-de-Marne", exact=True).click()
    expect(page.locator("main > p.status")).to_contain_text("Ouvert selon les horaires habituels")
    page.get_by_label("Date et heure de fin (heure de Paris)").fill("2026-11-24T16:00")
    page.get_by_label("Raison (obligatoire, annoncée aux appelants)").fill("formation")
    page.get_by_role("button", name="Fermer maintenant").click()
    expect(page.get_by_role("status")).to_have_text(
        "Le centre est fermé jusqu'au mardi 24 novembre 2026 à 16:00 (heure de Paris). Les appels que la ligne "
        "nationale lui passe l'entendent dès maintenant.")
    expect(page.locator("main > p.status")).to_contain_text("Fermé par décision d'un coordinateur : formation")
