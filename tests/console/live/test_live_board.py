"""A listener's own page drives the dispatcher like the presence line does, and a line's live board (page and
JSON) shows callers waiting, listeners by status and today's figures, to the line's coordinators only."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from console.accounts.records import create_account
from routing.queueing import ListenerStatus
from store.extension import database
from store.listeners import create_listener, set_status
from store.models import Listener, ListenerStatusChange, QueuedCaller
from tests.support.calls import bridge, Caller, ListenerLeg, qapp, rung, tw  # noqa: F401,F811 — fixtures
from tests.support.console import COORDINATOR_PASSWORD, csrf_token, make_account, sign_in, text
# qapp and tw, fixtures: the Belgian line on a Tuesday morning and a signed Twilio client for it.

EVC = "ecoute-violences-conjugales"
BOARD = f"/console/lines/{EVC}/live"
NOOR_PHONE = "+32470111111"
CALLER_NUMBER = "+32470000001"  # what tests.support.calls.Caller calls from
LISTENER_EMAIL = "noor@example.org"
LISTENER_PASSWORD = "Noor's own password here"


def add_listener(app, name, phone, status, pools=(EVC,)) -> int:
    with app.app_context(), database.session() as session:
        now = app.config["CLOCK"]()
        listener = create_listener(session, name, phone, pools, "1234", now)
        set_status(session, listener, status, now, "chosen by test")
        session.commit()
        return listener.id


def listener(app, listener_id) -> Listener:
    with app.app_context(), database.session() as session:
        return session.get(Listener, listener_id)


def signed_in_listener(app, listener_id):
    with app.app_context(), database.session() as session:
        create_account(session, email=LISTENER_EMAIL, name="Noor", password=LISTENER_PASSWORD, role="listener",
                       listener_id=listener_id, now=app.config["CLOCK"]())
        session.commit()
    client = app.test_client()
    sign_in(client, LISTENER_EMAIL, LISTENER_PASSWORD)
    return client


def choose(client, status):
    return client.post("/console/me/status", data={"status": status, "csrf_token": csrf_token(client, "/console/me")})


def test_a_listener_paused_from_their_page_is_not_offered_the_waiting_caller_then_is_when_available(qapp, tw, rest):
    noor = add_listener(qapp, "Noor", NOOR_PHONE, ListenerStatus.AVAILABLE)
    console = signed_in_listener(qapp, noor)
    response = choose(console, "paused")
    assert response.status_code == 302
    assert "Vous êtes en pause." in text(console.get("/console/me"))
    assert listener(qapp, noor).status == "paused"

    caller = Caller(tw)  # a real incoming call, signed: the paused listener keeps the queue open
    assert caller.queued
    assert rest.calls == {}  # nobody's phone rings: the dispatcher honours the pause

    choose(console, "available")  # the same path as key 1 on the presence line: offered at once
    [offer] = rest.calls.values()
    assert offer["to"] == NOOR_PHONE
    assert listener(qapp, noor).status == "ringing"
    with qapp.app_context(), database.session() as session:
        assert session.scalar(select(QueuedCaller.status).where(QueuedCaller.call_sid == caller.sid)) == "offered"
        reasons = [c.reason for c in session.scalars(select(ListenerStatusChange)
                                                      .where(ListenerStatusChange.listener_id == noor)
                                                      .order_by(ListenerStatusChange.id))]
    assert reasons[1:] == ["chosen by console", "chosen by console", "offered a call"]

    # While their phone rings the choice is refused, as on the phone.
    choose(console, "offline")
    assert "choisissez de nouveau après l'appel" in text(console.get("/console/me"))
    assert listener(qapp, noor).status == "ringing"


def test_a_listener_sees_their_shifts_and_the_calls_they_took_today(qapp, tw, rest, clock):
    noor = add_listener(qapp, "Noor", NOOR_PHONE, ListenerStatus.AVAILABLE)
    console = signed_in_listener(qapp, noor)
    page = text(console.get("/console/me"))
    assert "Appels pris aujourd'hui : 0" in page and "Aucune plage horaire." in page
    coordinator = qapp.test_client()
    make_account(qapp, "evc@example.org", COORDINATOR_PASSWORD, "coordinator", lines=[EVC])
    sign_in(coordinator, "evc@example.org", COORDINATOR_PASSWORD)
    coordinator.post(f"/console/roster/{noor}/shifts", data={"day": "1", "starts": "09:00", "ends": "13:00",
                                                              "csrf_token": csrf_token(coordinator, "/console/roster")})

    caller = Caller(tw)
    leg = ListenerLeg(tw, rest, rung(rest)[0])
    bridge(tw, caller, leg.press("1"), leg)
    page = text(console.get("/console/me"))
    assert "Appels pris aujourd'hui : 1" in page
    assert "en communication" in page
    assert "mardi 09:00–13:00 (heure de Bruxelles)" in page  # in the time zone of their line
    clock.now += timedelta(days=1)
    sign_in(console, LISTENER_EMAIL, LISTENER_PASSWORD)  # the session ended overnight
    assert "Appels pris aujourd'hui : 0" in text(console.get("/console/me"))


@pytest.fixture
def evc_coordinator(qapp):
    make_account(qapp, "evc@example.org", COORDINATOR_PASSWORD, "coordinator", lines=[EVC], name="Coordination EVC")
    client = qapp.test_client()
    sign_in(client, "evc@example.org", COORDINATOR_PASSWORD)
    return client


def test_the_board_json_lists_waiting_callers_without_their_number_listeners_by_status_and_todays_rates(
        qapp, tw, rest, clock, evc_coordinator):
    add_listener(qapp, "Noor", NOOR_PHONE, ListenerStatus.PAUSED)
    add_listener(qapp, "Sam", "+32470222222", ListenerStatus.OFFLINE)
    first = Caller(tw)
    clock.now += timedelta(seconds=75)
    second = Caller(tw)
    clock.now += timedelta(seconds=5)

    response = evc_coordinator.get(f"{BOARD}.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_data(as_text=True)
    data = json.loads(body)
    assert [(w["position"], w["pool"], w["language"], w["wait"], w["state"]) for w in data["waiting"]] == [
        (1, EVC, "français", "1 min 20 s", "en attente"),
        (2, EVC, "français", "5 s", "en attente"),
    ]
    for secret in (CALLER_NUMBER, CALLER_NUMBER[1:], first.sid, second.sid, NOOR_PHONE):
        assert secret not in body
    groups = {g["status"]: [p["name"] for p in g["people"]] for g in data["listeners"]}
    assert list(groups) == ["available", "ringing", "on_call", "wrap_up", "paused", "offline"]
    assert groups["paused"] == ["Noor"] and groups["offline"] == ["Sam"] and groups["available"] == []
    assert data["summary"] == "En attente : 2 · Écoutants disponibles : 0"
    assert data["today"]["offered"] == 2 and data["today"]["abandon_rate"] == "0 %"

    first.queue_result("hangup")  # after 80 s: a real abandon, not a short one
    data = evc_coordinator.get(f"{BOARD}.json").get_json()
    assert [w["position"] for w in data["waiting"]] == [1]
    assert data["today"]["abandoned"] == 1 and data["today"]["abandon_rate"] == "50 %"
    assert data["today"]["service_level"] == "— (aucun appel)"


def test_the_board_counts_a_caller_answered_quickly_in_the_service_level(qapp, tw, rest, clock, evc_coordinator):
    add_listener(qapp, "Noor", NOOR_PHONE, ListenerStatus.AVAILABLE)
    caller = Caller(tw)
    data = evc_coordinator.get(f"{BOARD}.json").get_json()
    assert data["waiting"][0]["state"] == "un écoutant est appelé"
    assert [p["name"] for g in data["listeners"] if g["status"] == "ringing" for p in g["people"]] == ["Noor"]
    clock.now += timedelta(seconds=20)
    leg = ListenerLeg(tw, rest, rung(rest)[0])
    bridge(tw, caller, leg.press("1"), leg)
    data = evc_coordinator.get(f"{BOARD}.json").get_json()
    assert data["waiting"] == [] and data["waiting_empty"] == "Personne n'attend."
    assert [p["name"] for g in data["listeners"] if g["status"] == "on_call" for p in g["people"]] == ["Noor"]
    assert (data["today"]["answered"], data["today"]["service_level"]) == (1, "100 %")
    assert data["today"]["service_level_label"] == "Décrochés en 60 s au plus"


def test_the_board_page_paints_its_data_without_javascript_and_loads_its_script_from_a_file(
        qapp, tw, rest, evc_coordinator):
    add_listener(qapp, "Noor", NOOR_PHONE, ListenerStatus.PAUSED)
    Caller(tw)
    response = evc_coordinator.get(BOARD)
    assert response.status_code == 200
    page = text(response)
    assert re.search(r'<p class="live-summary" id="live-summary" role="status" aria-live="polite" '
                     r'aria-atomic="true">En attente : 1 · Écoutants disponibles : 0</p>', page)
    assert re.search(r"<tr><th scope=\"row\">1</th><td>ecoute-violences-conjugales</td><td>français</td>", page)
    assert "Noor" in page and f'data-source="{BOARD}.json"' in page
    assert '<dd data-field="offered">1</dd>' in page  # a caller who joined this very second counts already
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    # No inline script: the board's own, the desk's for the listeners' alerts it shows (console/desk), the
    # health banner's.
    assert scripts == [(' src="/console/static/console.js" defer', ""),
                       (' src="/console/static/live_health.js" defer', ""),
                       (' src="/console/static/desk.js" defer', ""),
                       (' src="/console/static/live_board.js" defer', "")]
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert 'style="' not in page
    script = evc_coordinator.get("/console/static/live_board.js")
    assert script.status_code == 200 and "setTimeout(poll" in script.get_data(as_text=True)


def test_the_board_and_its_json_are_for_signed_in_coordinators_of_that_line(qapp, tw):
    anonymous = qapp.test_client()
    for path in (BOARD, f"{BOARD}.json"):
        response = anonymous.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/console/login?next=")

    make_account(qapp, "upp@example.org", COORDINATOR_PASSWORD, "coordinator", lines=["un-premier-pas"])
    other = qapp.test_client()
    sign_in(other, "upp@example.org", COORDINATOR_PASSWORD)
    assert other.get(f"{BOARD}.json").status_code == 403
    assert other.get(BOARD).status_code == 403
    assert other.get("/console/lines/un-premier-pas/live.json").status_code == 200
    assert other.get("/console/lines/no-such-line/live.json").status_code == 403
    boards = text(other.get("/console/live"))
    assert "Un premier pas" in boards and "Écoute Violences Conjugales" not in boards

    noor = add_listener(qapp, "Noor", NOOR_PHONE, ListenerStatus.AVAILABLE)
    listener_client = signed_in_listener(qapp, noor)
    assert listener_client.get(f"{BOARD}.json").status_code == 403


def test_the_boards_own_polling_does_not_keep_an_idle_session_alive(qapp, clock, evc_coordinator):
    for _ in range(6):  # 30 minutes of polling every 5 minutes, nobody touching the page
        clock.now += timedelta(minutes=5)
        assert evc_coordinator.get(f"{BOARD}.json").status_code == 200
    clock.now += timedelta(minutes=1)
    response = evc_coordinator.get(f"{BOARD}.json")
    assert response.status_code == 302 and response.headers["Location"].startswith("/console/login")
