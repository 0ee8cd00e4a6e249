"""A département centre's coordinator: a centre's page in the right words (masculine, "centre", not "ligne"),
close now / force open for the centre, and a menu without the pages about lines they would find empty."""

from __future__ import annotations

import re

import pytest

from tests.support.console import audit_events, csrf_token, make_account, sign_in, text, words

CENTRE = "/console/centres/3977-94"
NAME = "Centre d'écoute 3977 du Val-de-Marne"
EMAIL, PASSWORD = "centre94@example.org", "centre 94 password!"


@pytest.fixture
def centre_coordinator(app, client):
    make_account(app, EMAIL, PASSWORD, "coordinator", centres=["3977-94"], name="Dominique")
    sign_in(client, EMAIL, PASSWORD)


def menu(response) -> list[str]:
    nav = re.search(r'<nav aria-label="[^"]+">(.*?)</nav>', text(response), re.S).group(1)
    return [re.sub(r"\s+", " ", label) for label in re.findall(r"<a [^>]*>([^<]+)</a>", nav)]


def test_the_dashboard_speaks_of_the_centre_in_the_masculine_and_links_to_its_page(app, client, centre_coordinator):
    page = words(client.get("/console/"))
    assert f"Centres départementaux {NAME} Ouvert selon les horaires habituels — ferme aujourd'hui à 17:00" in page
    assert "Ouverte" not in page and "Aucune ligne ne vous est attribuée" not in page
    assert f'href="{CENTRE}"' in text(client.get("/console/"))


def test_a_centre_coordinators_menu_leads_only_to_pages_with_something_for_them(app, client, centre_coordinator):
    # The cases relayed to their centre are theirs to follow (console/cases); no line to supervise, no roster.
    assert menu(client.get("/console/")) == ["Tableau de bord", "Rapports", "Dossiers", "Associations locales",
                                             "Accès par téléphone"]
    for label, path in (("Rapports", "/console/reports/"), ("Dossiers", "/console/cases"),
                        ("Associations locales", "/console/associations")):
        assert client.get(path).status_code == 200, label
    make_account(app, "admin@example.org", "correct horse battery staple", "admin")
    admin = app.test_client()
    sign_in(admin)
    assert "Écoutants" in menu(admin.get("/console/")) and "Journal des appels" in menu(admin.get("/console/"))


def test_closing_a_centre_now_says_until_when_and_the_next_handoff_hears_it(app, client, centre_coordinator, call):
    assert "+33199000094" in call("+33199003977", presses=["94300#"]).dialled  # open: the centre takes the call
    page = words(client.get(CENTRE))
    assert "Fermez le centre ou forcez son ouverture dès maintenant" in page
    assert "Heure du centre : heure de Paris" in page
    response = client.post(f"{CENTRE}/overrides", data={"mode": "closed", "until": "2026-11-24T15:00",
                                                        "reason": "formation", "csrf_token": csrf_token(client, CENTRE)})
    assert response.status_code == 302 and response.headers["Location"] == CENTRE
    page = words(client.get(CENTRE))
    assert ("Le centre est fermé jusqu'au mardi 24 novembre 2026 à 15:00 (heure de Paris). Les appels que la ligne "
            "nationale lui passe l'entendent dès maintenant.") in page
    assert "Fermé par décision d'un coordinateur : formation — prend fin aujourd'hui à 15:00" in page
    event = audit_events(app)[-1]
    assert (event.action, event.target_kind, event.target_slug) == ("override.create", "centre", "3977-94")
    assert event.after["status"].startswith("Fermé par décision d'un coordinateur")
    assert "+33199000094" not in call("+33199003977", presses=["94300#"]).dialled  # the 3977 keeps the call

    lift = re.search(r'name="override_id" value="(\d+)"', text(client.get(CENTRE))).group(1)
    client.post(f"{CENTRE}/overrides/delete", data={"override_id": lift, "csrf_token": csrf_token(client, CENTRE)})
    assert "La décision est levée" in words(client.get(CENTRE))
    assert "+33199000094" in call("+33199003977", presses=["94300#"]).dialled


def test_the_centres_hours_and_history_say_centre_not_line(app, client, centre_coordinator):
    page = words(client.get(f"{CENTRE}/hours"))
    assert "Heures dans le fuseau horaire du centre (Paris)." in page and "de la ligne" not in page
    assert f'href="{CENTRE}"' in text(client.get(f"{CENTRE}/hours"))
    history = words(client.get(f"{CENTRE}/history"))
    assert "Chaque version de ce centre" in history and "Retour au centre" in history


def test_another_centre_or_a_line_page_stays_closed_to_them(app, client, centre_coordinator):
    assert client.get("/console/centres/3977-75").status_code == 403
    assert client.post("/console/centres/3977-75/overrides",
                       data={"mode": "closed", "reason": "x", "csrf_token": csrf_token(client, CENTRE)}).status_code == 403
    assert client.get("/console/lines/3977").status_code == 403
