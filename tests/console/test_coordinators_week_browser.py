"""In a real browser, the coordinator's week issue 15 ends on, in one walk: hours and a chain edited, the demo
restarted and the edits still there, the history read and an older version restored, a broken chain refused with
the reasons in French, and a centre closed until a typed time."""

from __future__ import annotations

from playwright.sync_api import expect

from commands.database import migrate_and_load
from tests.support.console import COORDINATOR_PASSWORD, make_account, sign_in_page

LINE = "Un premier pas, Val-de-Marne"
CENTRE = "Centre d'écoute 3977 du Val-de-Marne"
EMAIL = "camille@example.org"


def test_a_coordinators_week_in_one_walk(app, live_server, page):
    make_account(app, EMAIL, COORDINATOR_PASSWORD, "coordinator", lines=["un-premier-pas"], centres=["3977-94"],
                 name="Camille Coordination")
    sign_in_page(page, live_server, EMAIL, COORDINATOR_PASSWORD)

    # Monday: the line's hours and its chain.
    page.get_by_role("link", name=LINE).click()
    page.get_by_role("link", name="Modifier les horaires, les jours fériés et les fermetures").click()
    page.get_by_label("lundi, plage 1 : fin").fill("12:00")
    page.get_by_role("button", name="Enregistrer les horaires").click()
    expect(page.get_by_role("status")).to_have_text("Les horaires sont enregistrés : l'appel suivant les entend.")
    page.get_by_role("link", name=f"Retour à {LINE}").click()
    page.get_by_role("link", name="Modifier les règles de débordement").click()
    page.get_by_role("button", name="Descendre la règle 1").click()  # the forward first, then the queue
    page.get_by_role("button", name="Enregistrer les règles").click()
    expect(page.get_by_role("status")).to_contain_text("Les règles sont enregistrées")
    expect(page.locator("#rule-0-target")).to_have_value("+33199009495")

    # Tuesday: the demo is restarted (what `helpline demo` does when it starts again); both edits are still there.
    with app.app_context():
        kept = migrate_and_load().kept
    assert [d.slug for d in kept] == ["un-premier-pas"]
    page.reload()
    expect(page.locator("#rule-0-target")).to_have_value("+33199009495")
    page.get_by_role("link", name=f"Retour à {LINE}").click()
    page.get_by_role("link", name="Modifier les horaires, les jours fériés et les fermetures").click()
    expect(page.get_by_label("lundi, plage 1 : fin")).to_have_value("12:00")

    # Wednesday: the history says who changed what; the hours' version (before the chain's) is restored.
    page.get_by_role("link", name=f"Retour à {LINE}").click()
    page.get_by_role("link", name="Historique des modifications").click()
    expect(page.get_by_role("heading", name="Version 3 — version actuelle")).to_be_visible()
    expect(page.get_by_text("Motif : horaires")).to_be_visible()
    page.get_by_role("button", name="Restaurer la version 1").click()
    expect(page.get_by_role("status")).to_contain_text("La version choisie est restaurée")
    expect(page.get_by_role("heading", name="Version 4 — version actuelle")).to_be_visible()
    page.get_by_role("link", name="Retour à la ligne").click()
    page.get_by_role("link", name="Modifier les règles de débordement").click()
    expect(page.locator("#rule-0-timeout")).to_be_hidden()  # version 1: the queue first again, as the files had it

    # Thursday: a broken chain cannot be saved, and says why in French, what was typed kept.
    page.get_by_role("button", name="Descendre la règle 1").click()
    page.get_by_label("Service ou numéro vers lequel transférer").first.select_option(label="— Choisissez —")
    page.locator("#rule-0-timeout").fill("200")
    page.get_by_role("button", name="Enregistrer les règles").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text("Il y a un problème")
    expect(summary.get_by_role("link", name="Règle 1 : Indiquez un nombre entier de 5 à 120.")).to_be_visible()
    expect(summary.get_by_role("link", name="Règle 1 : Indiquez le service ou le numéro vers lequel transférer.")) \
        .to_be_visible()
    expect(page.locator("#rule-0-timeout")).to_have_value("200")

    # Friday: the centre closes until a typed time, and the confirmation says until when, in the centre's time.
    page.goto(f"{live_server}/console/")
    page.get_by_role("link", name=CENTRE, exact=True).click()
    page.get_by_label("Date et heure de fin (heure de Paris)").fill("2026-11-24T16:00")
    page.get_by_label("Raison (obligatoire, annoncée aux appelants)").fill("formation")
    page.get_by_role("button", name="Fermer maintenant").click()
    expect(page.get_by_role("status")).to_have_text(
        "Le centre est fermé jusqu'au mardi 24 novembre 2026 à 16:00 (heure de Paris). Les appels que la ligne "
        "nationale lui passe l'entendent dès maintenant.")
