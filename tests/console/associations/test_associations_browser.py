"""In a real browser: a centre coordinator finds, adds, edits and deletes associations, and sets up phone access."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.support.console import COORDINATOR_PASSWORD, make_account, sign_in_page


EMAIL = "centre94@example.org"


def test_a_centre_coordinator_manages_their_departments_associations_with_the_keyboard(
        app, live_server, page, artifacts_dir):
    make_account(app, EMAIL, COORDINATOR_PASSWORD, "coordinator", centres=["3977-94"], name="Dominique")
    sign_in_page(page, live_server, EMAIL, COORDINATOR_PASSWORD)
    page.get_by_role("link", name="Associations locales").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Associations locales d'aide aux victimes")
    expect(page.locator(".fictitious-notice")).to_contain_text("données de démonstration")
    expect(page.locator("tbody tr")).to_have_count(10)

    page.get_by_label("Nom ou thème").fill("violences conjugales")
    page.get_by_label("Département", exact=True).select_option("94")
    page.get_by_label("Nom ou thème").press("Enter")
    expect(page.locator("tbody tr")).to_have_count(1)
    row = page.locator("#association-avf-94")
    expect(row).to_contain_text("fictive")
    expect(row).to_contain_text("du lundi au vendredi de 9 heures à 12 heures 30")
    page.screenshot(path=str(artifacts_dir / "console-associations-search.png"), full_page=True)

    row.get_by_role("link", name="Modifier Aide aux victimes du Val-de-Marne (association fictive)").click()
    page.get_by_label("Numéro", exact=True).fill("12")
    page.get_by_label("samedi").fill("10:00-12:00")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#number-error")).to_have_text("Ce numéro de téléphone n'est pas valide.")
    expect(page.get_by_label("Numéro", exact=True)).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Numéro", exact=True).fill("01 99 00 50 95")
    page.get_by_label("Numéro tel qu'il s'écrit (facultatif)").fill("01 99 00 50 95")
    page.get_by_label("Numéro", exact=True).press("Enter")
    expect(page.get_by_role("status").first).to_have_text("L'association est modifiée.")
    edited = page.locator("#association-avf-94")
    expect(edited).to_contain_text("01 99 00 50 95")
    expect(edited).to_contain_text("le samedi de 10 heures à midi")

    page.get_by_role("link", name="Ajouter une association").click()
    page.get_by_label("Identifiant").fill("ecoute-creteil")
    page.get_by_label("Nom", exact=True).fill("Écoute Créteil (association fictive)")
    page.get_by_label("Département").select_option("94")
    page.get_by_label("Numéro", exact=True).fill("01 99 00 51 94")
    page.get_by_label("mardi").fill("14:00-18:00")
    page.get_by_label("Thèmes, séparés par des virgules").fill("harcèlement")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status").first).to_contain_text("L'association est ajoutée")
    page.get_by_label("Nom ou thème").fill("harcèlement")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator("tbody tr")).to_have_count(1)
    page.get_by_role("button", name="Supprimer Écoute Créteil (association fictive)").click()
    expect(page.get_by_role("status").first).to_have_text("L'association est supprimée.")

    page.get_by_role("link", name="Accès par téléphone").click()
    expect(page.locator(".phone-state")).to_have_text(f"L'accès par téléphone n'est pas activé pour {EMAIL}.")
    page.get_by_label("Numéro de téléphone d'où vous appelerez").fill("06 12 34 56 78")
    page.get_by_label("Code personnel (6 à 8 chiffres)").fill("258013")
    page.get_by_label("Code personnel, une seconde fois").fill("258013")
    page.get_by_role("button", name="Enregistrer l'accès par téléphone").click()
    expect(page.get_by_role("status").first).to_have_text("L'accès par téléphone est enregistré.")
    expect(page.locator(".phone-state")).to_have_text(f"L'accès par téléphone est activé pour {EMAIL}.")
    page.screenshot(path=str(artifacts_dir / "console-phone-access.png"), full_page=True)
