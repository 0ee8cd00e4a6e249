"""In a real browser: a coordinator's edit survives a demo restart, shows in the line's history, and an older
version is restored with one button."""

from __future__ import annotations

from playwright.sync_api import expect

from commands.database import migrate_and_load
from tests.support.console import COORDINATOR_EMAIL, COORDINATOR_PASSWORD, make_account, sign_in_page

LINE = "Un premier pas, Val-de-Marne"


def test_an_edit_survives_a_demo_restart_and_an_older_version_is_restored_from_the_history(
        app, live_server, page, artifacts_dir):
    make_account(app, COORDINATOR_EMAIL, COORDINATOR_PASSWORD, "coordinator", lines=["un-premier-pas"],
                 name="Camille Coordination")
    sign_in_page(page, live_server, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)
    page.get_by_role("link", name=LINE).click()
    page.get_by_role("link", name="Modifier les horaires, les jours fériés et les fermetures").click()
    page.get_by_label("lundi, plage 1 : fin").fill("12:00")
    page.get_by_role("button", name="Enregistrer les horaires").click()
    expect(page.get_by_role("status")).to_have_text("Les horaires sont enregistrés : l'appel suivant les entend.")

    with app.app_context():
        kept = migrate_and_load().kept  # what `helpline demo` does when it starts again
    assert [d.slug for d in kept] == ["un-premier-pas"]
    page.reload()
    expect(page.get_by_label("lundi, plage 1 : fin")).to_have_value("12:00")

    page.get_by_role("link", name=f"Retour à {LINE}").click()
    page.get_by_role("link", name="Historique des modifications").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Historique : {LINE}")
    expect(page.get_by_role("heading", name="Version 2 — version actuelle")).to_be_visible()
    expect(page.locator(".history-diff ins").first).to_have_text("+   mon:")
    expect(page.get_by_text("Motif : horaires")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "console-line-history.png"), full_page=True)

    page.get_by_role("button", name="Restaurer la version 1").click()
    expect(page.get_by_role("status")).to_contain_text("La version choisie est restaurée")
    expect(page.get_by_role("heading", name="Version 3 — version actuelle")).to_be_visible()
    expect(page.get_by_text("Motif : restauration de la version 1")).to_be_visible()
    page.get_by_role("link", name="Retour à la ligne").click()
    page.get_by_role("link", name="Modifier les horaires, les jours fériés et les fermetures").click()
    expect(page.get_by_label("lundi, plage 1 : fin")).to_have_value("17:00")
