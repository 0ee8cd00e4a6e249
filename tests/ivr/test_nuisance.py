"""Nuisance callers: a coordinator flags the caller of a call; flags play a message or lower the priority, and expire.
Repeated calls within minutes are throttled per line with a message; withheld numbers are never screened."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from routing.nuisance import Flag, FlagAction, Throttle, Verdict, screen
from store.extension import database
from store.models import AuditEvent, Call, CallerFlag, QueuedCaller
from tests.conftest import PARIS, PUBLIC_URL, SignedTwilio, at_paris
from tests.support.console import (
    COORDINATOR_EMAIL,
    COORDINATOR_PASSWORD,
    csrf_token,
    make_account,
    sign_in,
    text,
)

FRANCE_VICTIMES = "+33199000116"
EVC = "+3225550300"
NUISANCE = "+33611223344"
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)


# --- the pure decision -------------------------------------------------------------------------------------


def test_a_withheld_caller_is_never_screened_whatever_the_count():
    earlier = [NOW - timedelta(minutes=m) for m in range(20)]
    verdict = screen(withheld=True, flags=[Flag(FlagAction.MESSAGE_THEN_END, NOW + timedelta(days=1))],
                     throttle=Throttle(3, 10), earlier_calls=earlier, now=NOW)
    assert verdict.verdict is Verdict.ADMIT


def test_the_throttle_counts_only_calls_within_its_window():
    throttle = Throttle(calls=3, minutes=10)
    inside = [NOW - timedelta(minutes=m) for m in (1, 4, 9)]
    assert screen(withheld=False, flags=[], throttle=throttle, earlier_calls=inside[:2], now=NOW).verdict is Verdict.ADMIT
    verdict = screen(withheld=False, flags=[], throttle=throttle, earlier_calls=inside, now=NOW)
    assert verdict.verdict is Verdict.THROTTLED and "3 earlier calls within 10 minutes" in verdict.reason
    old = inside[:2] + [NOW - timedelta(minutes=11)]
    assert screen(withheld=False, flags=[], throttle=throttle, earlier_calls=old, now=NOW).verdict is Verdict.ADMIT


def test_an_expired_or_lifted_flag_no_longer_applies_and_ending_wins_over_priority():
    expired = Flag(FlagAction.MESSAGE_THEN_END, NOW - timedelta(seconds=1))
    lifted = Flag(FlagAction.MESSAGE_THEN_END, NOW + timedelta(days=3), lifted_at=NOW - timedelta(hours=1))
    lower = Flag(FlagAction.LOWER_PRIORITY, NOW + timedelta(days=3))
    assert screen(withheld=False, flags=[expired, lifted], throttle=None, earlier_calls=[], now=NOW).verdict is Verdict.ADMIT
    assert screen(withheld=False, flags=[lower], throttle=None, earlier_calls=[], now=NOW).verdict is Verdict.LOWER_PRIORITY
    ending = Flag(FlagAction.MESSAGE_THEN_END, NOW + timedelta(days=3))
    assert screen(withheld=False, flags=[lower, ending], throttle=None, earlier_calls=[],
                  now=NOW).verdict is Verdict.FLAGGED_MESSAGE


# --- through the signed webhooks and the console ------------------------------------------------------------


def incoming(twilio, to=FRANCE_VICTIMES, caller=NUISANCE):
    sid = "CA" + uuid.uuid4().hex
    response = twilio.post("/voice/incoming", {"CallSid": sid, "From": caller, "To": to, "CallStatus": "ringing"})
    assert response.status_code == 200
    return sid, response.get_data(as_text=True)


def call_id(app, sid) -> int:
    with app.app_context(), database.session() as session:
        return session.scalar(select(Call.id).where(Call.sid == sid))


def flag_from_console(app, client, sid, action="message_end", until="2026-12-01", reason="insultes répétées"):
    number = call_id(app, sid)
    page = f"/console/calls/{number}"
    return client.post(f"{page}/flag", data={"action": action, "until": until, "reason": reason,
                                             "csrf_token": csrf_token(client, page)})


@pytest.fixture
def coordinator_client(app):
    make_account(app, COORDINATOR_EMAIL, COORDINATOR_PASSWORD, "coordinator", lines=["france-victimes"],
                 name="Camille Coordination")
    client = app.test_client()
    sign_in(client, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)
    return client


def test_a_flagged_caller_hears_the_message_and_the_call_ends_until_the_flag_expires(app, twilio, coordinator_client, clock):
    clock.now = at_paris(2026, 11, 24, 10, 0)
    first, greeting = incoming(twilio)
    assert "116 006" in greeting
    response = flag_from_console(app, coordinator_client, first)
    assert response.status_code == 302
    assert "L'appelant est signalé" in text(coordinator_client.get(response.headers["Location"]))

    clock.now = at_paris(2026, 11, 24, 10, 30)
    sid, answer = incoming(twilio)
    assert "Cette ligne ne peut pas donner suite à votre appel." in answer
    assert "appelez le 17 ou le 112" in answer and "<Hangup" in answer
    assert "Bonjour" not in answer and "<Enqueue" not in answer
    with app.app_context(), database.session() as session:
        call = session.scalar(select(Call).where(Call.sid == sid))
        assert call.outcome == "flagged_message"
        assert [e.kind for e in call.events] == ["incoming", "screened"]
        flag = session.scalar(select(CallerFlag))
        assert flag.expires_at == datetime(2026, 12, 2, 0, 0, tzinfo=PARIS)  # the end of the last day
        audit = session.scalar(select(AuditEvent).where(AuditEvent.action == "flag.create"))
        assert audit.after == {"action": "message_end", "expires_at": "2026-12-02T00:00:00+01:00",
                               "reason": "insultes répétées"}
        assert NUISANCE not in str(audit.after) + audit.detail and flag.caller_hash not in audit.detail

    # The same number on another line is not flagged: a flag is the line's own decision.
    clock.now = at_paris(2026, 11, 24, 10, 45)
    _, elsewhere = incoming(twilio, to=EVC)
    assert "Écoute Violences Conjugales" in elsewhere

    # The last day included, then the flag ends by itself: nobody has to lift it.
    clock.now = at_paris(2026, 12, 1, 23, 59)
    assert "ne peut pas donner suite" in incoming(twilio)[1]
    clock.now = at_paris(2026, 12, 2, 0, 1)
    _, after = incoming(twilio)
    assert "ne peut pas donner suite" not in after and "116 006" in after
    sign_in(coordinator_client, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)  # a week later: a new session
    flags_page = text(coordinator_client.get("/console/flags"))
    assert "Aucun signalement en cours." in flags_page
    assert "expiré" in text(coordinator_client.get("/console/flags?ended=1"))


def test_a_lifted_flag_stops_at_once_and_the_lifting_is_audited(app, twilio, coordinator_client, clock):
    first, _ = incoming(twilio)
    flag_from_console(app, coordinator_client, first)
    with app.app_context(), database.session() as session:
        flag_id = session.scalar(select(CallerFlag.id))
    page = "/console/flags"
    assert "insultes répétées" in text(coordinator_client.get(page))
    coordinator_client.post(f"/console/flags/{flag_id}/lift", data={"csrf_token": csrf_token(coordinator_client, page)})
    assert "116 006" in incoming(twilio)[1]
    with app.app_context(), database.session() as session:
        actions = [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions[-2:] == ["flag.create", "flag.lift"]


def test_a_withheld_caller_cannot_be_flagged_and_the_page_says_why(app, twilio, coordinator_client):
    sid, _ = incoming(twilio, caller="anonymous")
    page = text(coordinator_client.get(f"/console/calls/{call_id(app, sid)}"))
    assert "Numéro masqué : cet appelant ne peut pas être signalé." in page
    assert 'name="reason"' not in page
    assert flag_from_console(app, coordinator_client, sid).status_code == 400
    with app.app_context(), database.session() as session:
        assert session.scalar(select(CallerFlag)) is None


def test_a_flag_needs_a_reason_and_an_expiry_within_ninety_days(app, twilio, coordinator_client):
    sid, _ = incoming(twilio)
    missing = text(flag_from_console(app, coordinator_client, sid, until="", reason=" "))
    assert "Indiquez la raison du signalement." in missing and "Indiquez le dernier jour du signalement." in missing
    too_far = text(flag_from_console(app, coordinator_client, sid, until="2027-06-01"))
    assert "Un signalement dure au plus 90 jours." in too_far
    past = text(flag_from_console(app, coordinator_client, sid, until="2026-11-23"))
    assert "Cette date est déjà passée." in past
    with app.app_context(), database.session() as session:
        assert session.scalar(select(CallerFlag)) is None


def test_a_coordinator_cannot_flag_a_caller_of_a_line_they_do_not_coordinate(app, twilio, coordinator_client):
    sid, _ = incoming(twilio, to=EVC)
    assert coordinator_client.get(f"/console/calls/{call_id(app, sid)}").status_code == 403
    assert flag_from_console(app, coordinator_client, sid).status_code in (400, 403)
    with app.app_context(), database.session() as session:
        assert session.scalar(select(CallerFlag)) is None


def test_the_ninth_call_within_thirty_minutes_hears_a_message_but_withheld_callers_never_do(app, twilio, clock):
    clock.now = at_paris(2026, 11, 24, 10, 0)
    for _ in range(8):  # France Victimes: 8 calls within 30 minutes
        assert "Vous avez appelé plusieurs fois" not in incoming(twilio)[1]
        clock.now += timedelta(minutes=3)
    sid, answer = incoming(twilio)
    assert "Vous avez appelé plusieurs fois en peu de temps : merci de rappeler un peu plus tard." in answer
    assert "appelez le 17 ou le 112" in answer and "<Hangup" in answer
    for _ in range(12):
        assert "Vous avez appelé plusieurs fois" not in incoming(twilio, caller="anonymous")[1]
    clock.now += timedelta(minutes=30)  # the window has moved past the early calls
    assert "Vous avez appelé plusieurs fois" not in incoming(twilio)[1]
    with app.app_context(), database.session() as session:
        assert session.scalar(select(Call.outcome).where(Call.sid == sid)) == "throttled"


def test_a_lower_priority_caller_is_answered_after_callers_who_came_later(live_app, clock, rest):
    """Flagged "lower priority": queued behind unflagged callers (store/dispatch.py orders by priority)."""
    from routing.queueing import ListenerStatus
    from store.listeners import set_status
    from store.models import Listener
    from tests.support.calls import add_listener

    clock.now = at_paris(2026, 11, 24, 10, 0)
    make_account(live_app, COORDINATOR_EMAIL, COORDINATOR_PASSWORD, "coordinator", lines=["ecoute-violences-conjugales"])
    client = live_app.test_client()
    sign_in(client, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)
    twilio = SignedTwilio(live_app.test_client())
    camille = add_listener(live_app, "Camille", "+32470111111", status=ListenerStatus.PAUSED)
    first, answer = incoming(twilio, to=EVC)
    hung_up = ET.fromstring(answer).find("Enqueue").get("action").replace(PUBLIC_URL, "")
    twilio.post(hung_up, {"CallSid": first, "From": NUISANCE, "To": EVC, "QueueResult": "hangup"})
    assert flag_from_console(live_app, client, first, action="low_priority").status_code == 302
    clock.now += timedelta(minutes=1)
    flagged, queued_answer = incoming(twilio, to=EVC)
    assert "<Enqueue" in queued_answer  # answered as usual...
    clock.now += timedelta(seconds=30)
    other, _ = incoming(twilio, to=EVC, caller="+32470999999")
    with live_app.app_context(), database.session() as session:
        set_status(session, session.get(Listener, camille), ListenerStatus.AVAILABLE, clock.now, "chosen by test")
        session.commit()
    live_app.extensions["dispatcher"].trigger("ecoute-violences-conjugales")
    with live_app.app_context(), database.session() as session:
        status = dict(session.execute(select(QueuedCaller.call_sid, QueuedCaller.status)).all())
    assert status[other] == "offered" and status[flagged] == "waiting"  # ...but after the later caller


def test_the_number_owner_sees_their_flags_and_erasure_removes_them(app, twilio, coordinator_client):
    from store.privacy import erase_number, export_number

    first, _ = incoming(twilio)
    flag_from_console(app, coordinator_client, first)
    exported = export_number(app, NUISANCE)
    assert [(f["line"], f["action"], f["reason"]) for f in exported["caller_flags"]] == [
        ("france-victimes", "message_end", "insultes répétées")]
    report = erase_number(app, NUISANCE)
    assert report.caller_flags_deleted == 1
    with app.app_context(), database.session() as session:
        assert session.scalar(select(CallerFlag)) is None
    assert "116 006" in incoming(twilio)[1]


def test_the_purge_deletes_a_flag_ninety_days_after_it_ended_not_before(app, twilio, coordinator_client, clock):
    from store.retention import purge

    first, _ = incoming(twilio)
    flag_from_console(app, coordinator_client, first, until="2026-12-01")  # ends 2026-12-02 00:00
    clock.now = at_paris(2027, 3, 1, 12, 0)  # 89 days after
    assert purge(app).caller_flags_deleted == 0
    clock.now = at_paris(2027, 3, 3, 12, 0)
    assert purge(app).caller_flags_deleted == 1
    with app.app_context(), database.session() as session:
        assert session.scalar(select(CallerFlag)) is None
