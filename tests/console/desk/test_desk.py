"""The listener desk: signed webhooks put a real call in progress, and the listener's own page shows it — the line,
the wait, the language, who calls, the call's reference — never the caller's number; asking for help alerts the
line's supervisors (their desk, the line's live board) and nobody else's."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from sqlalchemy import select

from store.extension import database
from store.models import Call, CallEvent
from tests.support.calls import Caller, ListenerLeg, bridge, qapp, rung, tw  # noqa: F401 — fixtures
from tests.support.console import COORDINATOR_PASSWORD, audit_events, make_account, sign_in, text
from tests.support.desk import EVC, add_listener, call_in_progress, listener_login, post_form

NOOR_PHONE = "+32470111111"
DESK = "/console/desk"


def call_id(app, sid) -> int:
    with app.app_context(), database.session() as session:
        return session.scalar(select(Call.id).where(Call.sid == sid))


def call_events(app, sid) -> list[tuple[str, str]]:
    with app.app_context(), database.session() as session:
        call = session.scalar(select(Call.id).where(Call.sid == sid))
        return [(e.kind, e.detail) for e in session.scalars(select(CallEvent).where(CallEvent.call_id == call)
                                                            .order_by(CallEvent.id)) if e.kind.startswith("desk_")]


def coordinator(app, email, lines):
    make_account(app, email, COORDINATOR_PASSWORD, "coordinator", lines=lines, name=email.split("@")[0])
    client = app.test_client()
    sign_in(client, email, COORDINATOR_PASSWORD)
    return client


def secrets_of(caller: Caller) -> list[str]:
    """The caller's number in every form a page could show it: E.164, national digits, the last digits alone."""
    digits = caller.number.lstrip("+")
    return [caller.number, digits, "0" + digits[2:], digits[-7:], caller.sid]


def test_the_listener_sees_the_call_in_progress_on_their_desk_and_never_the_callers_number(qapp, tw, rest, clock):
    noor = add_listener(qapp, "Noor", NOOR_PHONE)
    desk = listener_login(qapp, noor, "noor@example.org")
    page = text(desk.get(DESK))
    assert "Aucun appel en cours." in page and "Votre statut : disponible." in page

    caller = Caller(tw)  # a real call, signed as Twilio signs it: queued, Noor's phone rings
    clock.now += timedelta(seconds=75)
    leg = ListenerLeg(tw, rest, rung(rest)[-1])
    bridge(tw, caller, leg.press("1"), leg)
    clock.now += timedelta(seconds=130)

    response = desk.get(DESK)
    page = text(response)
    reference = f"Appel n° {call_id(qapp, caller.sid)}"
    assert f"{reference} — en cours" in page
    for fact in ("Écoute Violences Conjugales", "Attente avant la réponse", "1 min 15 s", "En communication depuis",
                 "2 min 10 s", "français", "Département", "non indiqué", "Qui appelle", "Catégorie",
                 "pas encore classé", "L'appelant·e", "Vous (écoutant·e)", "Demander de l'aide",
                 "Marquer comme appel difficile"):
        assert fact in page, fact
    data = desk.get(f"{DESK}.json")
    assert data.mimetype == "application/json"
    assert data.get_json()["call"]["reference"] == reference
    body = page + data.get_data(as_text=True)
    for secret in secrets_of(caller) + [leg.sid]:
        assert secret not in body


def test_asking_for_help_alerts_the_lines_supervisors_on_their_desk_and_live_board_only(qapp, tw, rest):
    noor = add_listener(qapp, "Noor", NOOR_PHONE)
    desk = listener_login(qapp, noor, "noor@example.org")
    evc = coordinator(qapp, "evc@example.org", [EVC])
    upp = coordinator(qapp, "upp@example.org", ["un-premier-pas"])
    caller = call_in_progress(tw, rest)
    reference = f"Appel n° {call_id(qapp, caller.sid)}"
    assert "Aucune demande d'aide." in text(evc.get(DESK))
    assert reference in text(evc.get(DESK))  # the call going on, under "Appels en cours"

    response = post_form(desk, DESK, "/console/desk/help")
    assert response.status_code == 302
    page = text(desk.get(DESK))
    assert "Les superviseur·es de la ligne sont prévenu·es." in page
    assert "Demander de l'aide" not in page  # asked once; the alert waits for an answer
    assert call_events(qapp, caller.sid) == [("desk_help_asked", f"listener {noor}")]
    assert [e.action for e in audit_events(qapp) if e.action.startswith("desk.")] == ["desk.help_asked"]

    supervision = text(evc.get(DESK))
    help_section = supervision.split("Demandes d'aide</h2>")[1].split("</section>")[0]
    assert reference in help_section and "Pris par Noor" in help_section
    assert "L'écoutant·e demande de l'aide." in help_section and "Noor (écoutant·e)" in help_section
    board = text(evc.get(f"/console/lines/{EVC}/live"))
    assert reference in board.split("Demandes d'aide</h3>")[1].split("</section>")[0]
    polled = evc.get(f"{DESK}.json?line={EVC}").get_json()
    assert [c["reference"] for c in polled["help"]] == [reference]
    assert polled["summary"] == "Demandes d'aide : 1 · Appels en cours : 1 · Débriefings à proposer : 0"

    # Another line's coordinator sees nothing of it, and may not poll that line's alerts.
    assert reference not in text(upp.get(DESK))
    assert upp.get(f"{DESK}.json?line={EVC}").status_code == 403
    assert json.loads(upp.get(f"{DESK}.json").get_data(as_text=True))["help"] == []
    for secret in secrets_of(caller):
        assert secret not in supervision and secret not in board


def test_a_listener_sees_only_their_own_call_and_cannot_act_on_anothers(qapp, tw, rest):
    noor = add_listener(qapp, "Noor", NOOR_PHONE)
    caller = call_in_progress(tw, rest)  # Noor takes it
    sam = add_listener(qapp, "Sam", "+32470222222")
    noor_desk = listener_login(qapp, noor, "noor@example.org")
    sam_desk = listener_login(qapp, sam, "sam@example.org")
    reference = f"Appel n° {call_id(qapp, caller.sid)}"
    assert reference in text(noor_desk.get(DESK))
    page = text(sam_desk.get(DESK))
    assert reference not in page and "Aucun appel en cours." in page
    assert sam_desk.get(f"{DESK}.json").get_json()["call"] is None
    assert sam_desk.get(f"{DESK}.json?line={EVC}").get_json()["call"] is None  # no supervisor's view for a listener

    # Sam posts Noor's call (a form copied, a crafted request): refused, nothing recorded.
    token = re.search(r'name="csrf_token" value="([^"]+)"', text(sam_desk.get("/console/me"))).group(1)
    for action in ("help", "difficult"):
        response = sam_desk.post(f"{DESK}/{action}", data={"csrf_token": token, "call": str(call_id(qapp, caller.sid))})
        assert response.status_code == 302
    assert "Cet appel n'est plus le vôtre" in text(sam_desk.get(DESK))
    assert call_events(qapp, caller.sid) == []
    # The supervisors' actions are not a listener's.
    assert sam_desk.post(f"{DESK}/calls/{call_id(qapp, caller.sid)}/debrief", data={"csrf_token": token}).status_code == 403


def test_the_desk_speaks_english_to_an_english_speaking_listener(qapp, tw, rest):
    noor = add_listener(qapp, "Noor", NOOR_PHONE)
    desk = listener_login(qapp, noor, "noor@example.org", language="en")
    assert "No call in progress." in text(desk.get(DESK))
    caller = call_in_progress(tw, rest)
    page = text(desk.get(DESK))
    assert f"Call no. {call_id(qapp, caller.sid)} — in progress" in page
    assert "Ask for help" in page and "Mark as a difficult call" in page and "Waited before the answer" in page


def test_a_listener_login_made_with_the_accounts_command_opens_the_desk_and_no_coordinators_page(qapp, tw, rest):
    from app import cli

    noor = add_listener(qapp, "Noor", NOOR_PHONE)
    password = "Noor's password, long enough"
    runner = qapp.test_cli_runner()
    refused = runner.invoke(cli, ["accounts", "add", "--email", "noor@example.org", "--name", "Noor",
                                  "--role", "listener"], input=f"{password}\n{password}\n")
    assert refused.exit_code != 0 and "--listener ID" in refused.output
    made = runner.invoke(cli, ["accounts", "add", "--email", "noor@example.org", "--name", "Noor", "--role",
                               "listener", "--listener", str(noor)], input=f"{password}\n{password}\n")
    assert made.exit_code == 0, made.output
    desk = qapp.test_client()
    sign_in(desk, "noor@example.org", password)
    caller = call_in_progress(tw, rest)
    assert f"Appel n° {call_id(qapp, caller.sid)} — en cours" in text(desk.get(DESK))
    for page in (f"/console/lines/{EVC}/live", "/console/roster", "/console/calls", f"/console/calls/{call_id(qapp, caller.sid)}"):
        assert desk.get(page).status_code == 403, page


def test_the_desk_names_the_departement_a_3977_caller_gave_and_who_calls(live_app, rest, clock):
    """A 3977 caller types La Réunion's postal code while its centre is closed: the national platform answers, and
    the listener's desk says which département (the postal code itself is not kept, only what it resolves to)."""
    from tests.conftest import SignedTwilio, at_paris
    from tests.support.calls import path_of, xml

    clock.now = at_paris(2026, 11, 24, 14, 0)  # 17:00 in La Réunion: its centre has closed
    noor = add_listener(live_app, "Noor", "+33611111111", pools=("3977",))
    desk = listener_login(live_app, noor, "noor@example.org")
    tw = SignedTwilio(live_app.test_client())
    caller = Caller(tw, to="+33199003977")
    asked = caller.document.find("Gather")
    assert asked is not None and asked.get("finishOnKey") == "#"
    queued_document = xml(tw.post(path_of(asked.get("action")), caller.params(Digits="97411")))
    assert queued_document.find("Enqueue") is not None
    leg = ListenerLeg(tw, rest, rung(rest)[-1])
    bridge(tw, caller, leg.press("1"), leg)
    page = text(desk.get(DESK))
    assert "Département" in page and "974 — La Réunion" in page and "3977" in page
    assert "97411" not in page and caller.number[1:] not in page
