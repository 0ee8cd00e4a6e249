"""A coordinator sets a listener's availability, gives them a console login, and sees the presence line's number
with a new PIN; each change audited."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from routing.queueing import ListenerStatus
from store.extension import database
from store.listeners import create_listener, set_status
from store.models import ConsoleAccount, Listener
from tests.support.console import (
    COORDINATOR_EMAIL,
    COORDINATOR_PASSWORD,
    audit_events,
    csrf_token,
    make_account,
    sign_in,
    text,
    words,
)

UPP = "un-premier-pas"


def add_listener(app, name="Lou Bernard", phone="+33612345678", pools=(UPP,), status=None) -> int:
    with app.app_context(), database.session() as session:
        now = app.config["CLOCK"]()
        listener = create_listener(session, name, phone, pools, "246810", now)
        if status is not None:
            set_status(session, listener, status, now, "chosen by test")
        session.commit()
        return listener.id


def status_of(app, listener_id) -> str:
    with app.app_context(), database.session() as session:
        return session.get(Listener, listener_id).status


def post(client, path, **fields):
    return client.post(path, data={"csrf_token": csrf_token(client, "/console/roster"), **fields})


@pytest.fixture
def coordinator(app, client):
    make_account(app, COORDINATOR_EMAIL, COORDINATOR_PASSWORD, "coordinator", lines=[UPP], name="Camille Coordination")
    sign_in(client, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)


def test_the_listener_page_says_the_status_they_are_in_and_a_coordinator_changes_it(app, client, coordinator):
    lou = add_listener(app, status=ListenerStatus.PAUSED)
    page = words(client.get(f"/console/roster/{lou}"))
    assert "Disponibilité État actuel : en pause Rendre disponible Mettre en pause Mettre hors ligne" in page

    response = post(client, f"/console/roster/{lou}/status", status="available")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/console/roster/{lou}#disponibilite")
    assert status_of(app, lou) == "available"
    page = words(client.get(f"/console/roster/{lou}"))
    assert "Lou Bernard est maintenant : disponible." in page
    assert "État actuel : disponible" in page
    event = audit_events(app)[-1]
    assert (event.action, event.target_kind, event.target_slug) == ("listener.status", "listener", str(lou))
    assert (event.before, event.after) == ({"status": "en pause"}, {"status": "disponible"})

    assert post(client, f"/console/roster/{lou}/status", status="offline").status_code == 302
    assert status_of(app, lou) == "offline"
    assert re.search(r"Lou Bernard .*? hors ligne", words(client.get("/console/roster")))


def test_a_listener_on_a_call_keeps_their_status(app, client, coordinator):
    lou = add_listener(app, status=ListenerStatus.ON_CALL)
    response = post(client, f"/console/roster/{lou}/status", status="paused")
    assert response.status_code == 302 and status_of(app, lou) == "on_call"
    assert "son état ne change pas pendant un appel" in words(client.get(f"/console/roster/{lou}"))
    assert [e.action for e in audit_events(app)].count("listener.status") == 0


def test_a_made_up_status_is_refused_and_another_lines_listener_is_out_of_reach(app, client, coordinator):
    lou = add_listener(app)
    assert post(client, f"/console/roster/{lou}/status", status="asleep").status_code == 400
    other = add_listener(app, "Sam", "+33611111111", pools=("france-victimes",))
    assert post(client, f"/console/roster/{other}/status", status="paused").status_code == 403
    assert post(client, f"/console/roster/{other}/account", email="sam@example.org").status_code == 403


def test_a_coordinator_creates_a_listeners_login_that_opens_their_own_page(app, client, coordinator):
    lou = add_listener(app)
    assert "Lou Bernard n'a pas encore d'accès à la console." in words(client.get(f"/console/roster/{lou}"))
    response = post(client, f"/console/roster/{lou}/account", email="Lou@Example.org")
    assert response.status_code == 200
    page = text(response)
    assert "L'accès lou@example.org est créé (rôle écoutant)." in page
    password = re.search(r'<p class="pin" aria-describedby="password-warning"><strong>([^<]+)</strong>', page).group(1)
    assert len(password) >= 12
    with app.app_context(), database.session() as session:
        account = session.query(ConsoleAccount).filter_by(email="lou@example.org").one()
        assert (account.role, account.listener_id, account.name) == ("listener", lou, "Lou Bernard")
        assert password not in account.password_hash
    event = audit_events(app)[-1]
    assert event.action == "account_created" and event.after == {
        "email": "lou@example.org", "role": "listener", "listener": "Lou Bernard"}
    assert password not in str(event.before) + str(event.after)
    assert "Accès à la console : lou@example.org (rôle écoutant)" in words(client.get(f"/console/roster/{lou}"))

    listener_client: FlaskClient = app.test_client()
    sign_in(listener_client, "lou@example.org", password)
    home = listener_client.get("/console/")
    assert home.status_code == 302 and home.headers["Location"].endswith("/console/me")
    assert "Lou Bernard" in text(listener_client.get("/console/me"))
    assert listener_client.get("/console/roster").status_code == 403


def test_a_login_email_that_is_wrong_or_taken_is_said_next_to_the_field_and_kept(app, client, coordinator):
    lou = add_listener(app)
    page = text(post(client, f"/console/roster/{lou}/account", email="lou at example"))
    assert 'id="login-email-error">Indiquez une adresse e-mail valide' in page and 'value="lou at example"' in page
    response = post(client, f"/console/roster/{lou}/account", email=COORDINATOR_EMAIL)
    assert response.status_code == 400
    assert "Un compte utilise déjà cette adresse e-mail." in text(response)
    assert "account_created" not in [e.action for e in audit_events(app)]


def test_the_pin_page_gives_the_presence_lines_number(app, client, coordinator):
    lou = add_listener(app)
    page = words(post(client, f"/console/roster/{lou}/pin"))
    assert "Le numéro de la ligne de présence n'est pas encore indiqué (réglage HELPLINE_PRESENCE_NUMBER)" in page
    app.config["PRESENCE_NUMBER"] = "01 99 00 07 01"
    page = words(post(client, f"/console/roster/{lou}/pin"))
    assert "L'écoutant appelle la ligne de présence, au 01 99 00 07 01, depuis son téléphone" in page


def test_a_refused_listener_form_lists_its_errors_above_it_with_links_and_keeps_what_was_typed(app, client, coordinator):
    response = post(client, "/console/roster/new", name="", phone="06 12", pools=UPP, languages=[])
    assert response.status_code == 400
    page = text(response)
    summary = re.search(r'<div class="error-summary"[^>]*autofocus[^>]*>(.*?)</div>', page, re.S).group(1)
    targets = [target for target, _ in re.findall(r'<a href="#([^"]+)">([^<]*)</a>', summary)]
    assert targets == ["name", "phone", "language-fr"]
    for target in targets:
        assert f'id="{target}"' in page
    assert 'value="06 12"' in page
