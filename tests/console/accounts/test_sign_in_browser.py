"""The console in a real browser: sign in and out, the dashboard in French, a coordinator kept to their lines."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.support.console import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    COORDINATOR_EMAIL,
    COORDINATOR_PASSWORD,
    make_account,
    sign_in_page,
)


LINES = ("3977", "France Victimes 116 006", "Un premier pas, Val-de-Marne", "Écoute Violences Conjugales")


def test_an_admin_signs_in_sees_the_four_lines_in_french_and_signs_out(app, live_server, page, artifacts_dir):
    make_account(app)
    page.goto(f"{live_server}/console/")
    expect(page).to_have_url(re.compile(r"/console/login\?next=/console/$"))
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "console-login.png"), full_page=True)

    page.get_by_label("Adresse e-mail").fill(ADMIN_EMAIL)
    page.get_by_label("Mot de passe").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Tableau de bord", level=1)).to_be_visible()
    for name in LINES:
        card = page.get_by_role("article", name=name)
        expect(card.get_by_text("Ouverte", exact=True)).to_be_visible()
        expect(card.get_by_text("Ouverte selon les horaires habituels")).to_be_visible()
    expect(page.get_by_role("article", name="Écoute Violences Conjugales")).to_contain_text("ferme aujourd'hui à 19:00")
    page.screenshot(path=str(artifacts_dir / "console-dashboard.png"), full_page=True)

    page.get_by_role("button", name="Se déconnecter", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Vous êtes déconnecté·e.")
    page.goto(f"{live_server}/console/")
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()


def test_signing_in_works_from_the_keyboard_alone(app, live_server, page):
    make_account(app)
    page.goto(f"{live_server}/console/login")
    expect(page.get_by_label("Adresse e-mail")).to_be_focused()  # the page opens with the focus there
    page.keyboard.type(ADMIN_EMAIL)
    page.keyboard.press("Tab")
    page.keyboard.type(ADMIN_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Tableau de bord", level=1)).to_be_visible()


def test_a_wrong_password_is_told_in_french_next_to_the_form(app, live_server, page):
    make_account(app)
    sign_in_page(page, live_server, ADMIN_EMAIL, "not the password")
    expect(page.get_by_role("alert")).to_have_text("Adresse e-mail ou mot de passe incorrect.")
    expect(page.get_by_label("Adresse e-mail")).to_have_value(ADMIN_EMAIL)


def test_a_scoped_coordinator_is_refused_another_lines_page(app, live_server, page, artifacts_dir):
    make_account(app, COORDINATOR_EMAIL, COORDINATOR_PASSWORD, "coordinator", lines=["un-premier-pas"],
                 name="Camille Coordination")
    sign_in_page(page, live_server, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)
    expect(page.get_by_role("article")).to_have_count(1)
    page.get_by_role("link", name="Un premier pas, Val-de-Marne").click()
    expect(page.get_by_role("heading", name="Règles de débordement")).to_be_visible()
    expect(page.get_by_role("heading", name="Jours fériés des douze prochains mois")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "console-line.png"), full_page=True)

    response = page.goto(f"{live_server}/console/lines/3977")
    assert response.status == 403
    expect(page.get_by_role("alert")).to_have_text("Vous n'avez pas accès à cette page.")
