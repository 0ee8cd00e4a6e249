"""In a real browser: a coordinator changes their line's hours and previews a call; mistakes show next to the field."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.support.console import COORDINATOR_EMAIL, COORDINATOR_PASSWORD, make_account, sign_in_page


LINE = "Un premier pas, Val-de-Marne"


def coordinator(app, live_server, page) -> None:
    make_account(app, COORDINATOR_EMAIL, COORDINATOR_PASSWORD, "coordinator", lines=["un-premier-pas"],
                 name="Camille Coordination")
    sign_in_page(page, live_server, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)
    page.get_by_role("link", name=LINE).click()


def test_a_coordinator_opens_saturday_morning_and_the_route_preview_puts_the_caller_through(
        app, live_server, page, artifacts_dir):
    coordinator(app, live_server, page)
    page.get_by_role("link", name="Essayer un appel (aperçu du parcours)").click()
    page.get_by_label("Date").fill("2026-11-28")
    page.get_by_label("Heure", exact=True).fill("11:00")
    page.get_by_role("button", name="Lancer l'aperçu").click()
    transcript = page.locator("table.transcript")
    expect(transcript).to_contain_text("Nous sommes actuellement fermés")  # Saturday: closed so far
    expect(page.get_by_role("heading", name="Ce que l'appelant entend")).to_be_focused()  # the answer is read first

    page.get_by_role("link", name=f"Retour à {LINE}").click()
    page.get_by_role("link", name="Modifier les horaires, les jours fériés et les fermetures").click()
    page.get_by_label("Fermé le samedi (les plages ci-dessous sont ignorées)").uncheck()
    page.get_by_label("samedi, plage 1 : début").fill("10:00")
    page.get_by_label("samedi, plage 1 : fin").fill("13:00")
    page.get_by_role("button", name="Enregistrer les horaires").click()
    expect(page.get_by_role("status")).to_have_text("Les horaires sont enregistrés : l'appel suivant les entend.")
    expect(page.get_by_label("samedi, plage 1 : début")).to_have_value("10:00")
    page.screenshot(path=str(artifacts_dir / "console-hours-editor.png"), full_page=True)

    page.get_by_role("link", name=f"Retour à {LINE}").click()
    expect(page.locator("table.hours")).to_contain_text("10:00–13:00")
    page.get_by_role("link", name="Essayer un appel (aperçu du parcours)").click()
    page.get_by_label("Date").fill("2026-11-28")
    page.get_by_label("Heure", exact=True).fill("11:00")
    page.get_by_role("button", name="Lancer l'aperçu").click()
    expect(transcript).not_to_contain_text("Nous sommes actuellement fermés")
    expect(transcript).to_contain_text("+33199009495 (numéro présenté : +33199009494, sonne 30 s) : répond")
    page.screenshot(path=str(artifacts_dir / "console-route-preview.png"), full_page=True)


def test_a_validation_error_appears_next_to_its_field(app, live_server, page, artifacts_dir):
    coordinator(app, live_server, page)
    page.get_by_role("link", name="Modifier les horaires, les jours fériés et les fermetures").click()
    page.get_by_label("vendredi, plage 1 : fin").fill("09:00")  # the same time as its start
    page.get_by_label("vendredi, plage 1 : fin").press("Enter")  # Enter saves (it does not add a row)
    end = page.get_by_label("vendredi, plage 1 : fin")
    expect(end).to_have_attribute("aria-invalid", "true")
    expect(end).to_have_attribute("aria-describedby", "shift-fri-0-error")
    expect(page.locator("#shift-fri-0-error")).to_contain_text("« 09:00-09:00 » n'est pas une plage horaire valide")

    page.get_by_role("link", name=f"Retour à {LINE}").click()
    page.get_by_role("link", name="Modifier les règles de débordement").click()
    page.get_by_role("button", name="Descendre la règle 1").focus()
    page.keyboard.press("Enter")  # reorder with the keyboard: the focus follows the rule
    expect(page.get_by_role("status")).to_contain_text("Règle déplacée")
    expect(page.get_by_role("button", name="Descendre la règle 2")).to_be_focused()
    # Nothing to type: the forward picks a number of the directory; left unchosen, with a timeout too long.
    page.get_by_label("Service ou numéro vers lequel transférer").first.select_option(label="— Choisissez —")
    page.locator("#rule-0-timeout").fill("200")
    page.get_by_role("button", name="Enregistrer les règles").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()  # the summary is read first
    expect(summary.get_by_role("heading")).to_have_text("Il y a un problème")
    expect(summary.get_by_role("link")).to_have_text([
        "Règle 1 : Indiquez le service ou le numéro vers lequel transférer.",
        "Règle 1 : Indiquez un nombre entier de 5 à 120."])
    expect(page.locator("#rule-0-timeout")).to_have_value("200")  # what was typed is kept
    summary.get_by_role("link", name="Règle 1 : Indiquez un nombre entier de 5 à 120.").click()
    expect(page.locator("#rule-0-timeout")).to_be_focused()
    page.locator("#rule-0-timeout").fill("25")
    summary.get_by_role("link", name="Règle 1 : Indiquez le service ou le numéro vers lequel transférer.").click()
    expect(page.locator("#rule-0-target")).to_be_focused()
    page.locator("#rule-0-target").select_option(label="Ligne 3977 (01 99 00 39 77)")
    page.get_by_role("button", name="Enregistrer les règles").click()
    expect(page.get_by_role("status")).to_contain_text("Les règles sont enregistrées")
    expect(page.locator("#rule-0-target")).to_have_value("+33199003977")
    page.screenshot(path=str(artifacts_dir / "console-chain-editor.png"), full_page=True)


def test_a_scoped_coordinator_is_refused_another_line_editor(app, live_server, page):
    coordinator(app, live_server, page)
    for path in ("hours", "chain", "preview"):
        response = page.goto(f"{live_server}/console/lines/france-victimes/{path}")
        assert response.status == 403
        expect(page.get_by_role("alert")).to_have_text("Vous n'avez pas accès à cette page.")
