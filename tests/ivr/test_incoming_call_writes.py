"""The incoming webhook's writes: the call's row once, with its outcome, and screening asked only when it can matter."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from store.extension import database
from store.models import Call, CallEvent
from tests.conftest import at_paris
from tests.support.sent_sql import statements_sent
from tests.support.console import COORDINATOR_EMAIL, COORDINATOR_PASSWORD, csrf_token, make_account, sign_in

FRANCE_VICTIMES = "+33199000116"  # a menu first: no outcome on the first webhook
EVC = "+3225550300"  # no menu: on a Tuesday morning the first webhook already puts the caller through
CALLER = "+33611220099"


def incoming(twilio, sid: str | None = None, caller: str = CALLER, to: str = FRANCE_VICTIMES) -> tuple[str, str]:
    sid = sid or "CA" + uuid.uuid4().hex
    answer = twilio.post("/voice/incoming", {"CallSid": sid, "From": caller, "To": to, "CallStatus": "ringing"})
    assert answer.status_code == 200
    return sid, answer.get_data(as_text=True)


def the_call(app, sid: str) -> Call:
    with app.app_context(), database.session() as session:
        call = session.scalar(select(Call).where(Call.sid == sid))
        call.kinds = [e.kind for e in session.scalars(select(CallEvent).where(CallEvent.call_id == call.id)
                                                      .order_by(CallEvent.id))]
        return call


def test_a_new_callers_call_is_written_once_with_its_outcome_and_no_screening_query(app, twilio, clock):
    clock.now = at_paris(2026, 11, 24, 10, 0)
    with statements_sent(app) as sent:
        sid, answer = incoming(twilio, to=EVC)
    assert "Écoute Violences Conjugales" in answer and "<Dial" in answer
    call = the_call(app, sid)
    assert call.outcome is not None and call.line_id is not None
    assert call.kinds[0] == "incoming" and len(call.kinds) >= 2
    writes = [s for s in sent if s.upper().startswith(("INSERT", "UPDATE", "WITH"))]
    assert not [s for s in writes if s.upper().startswith("UPDATE CALL ")], writes  # the outcome came with the INSERT
    assert not [s for s in sent if "FROM caller_flag" in s and not s.upper().startswith("SELECT NEXTVAL")
                and "AS to_screen" not in s], sent  # nobody to screen: the id's statement said so


def test_a_flag_added_in_the_console_is_screened_on_the_next_call_hours_later(app, twilio, clock):
    # Hours later, only the flag (no earlier call within the throttle's window) makes screening needed.
    clock.now = at_paris(2026, 11, 24, 9, 0)
    first, _ = incoming(twilio)
    make_account(app, COORDINATOR_EMAIL, COORDINATOR_PASSWORD, "coordinator", lines=["france-victimes"],
                 name="Camille Coordination")
    console = app.test_client()
    sign_in(console, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)
    page = f"/console/calls/{the_call(app, first).id}"
    flagged = console.post(f"{page}/flag", data={"action": "message_end", "until": "2026-12-01",
                                                 "reason": "insultes répétées", "csrf_token": csrf_token(console, page)})
    assert flagged.status_code == 302
    clock.now = at_paris(2026, 11, 24, 15, 0)
    sid, answer = incoming(twilio)
    assert "Cette ligne ne peut pas donner suite à votre appel." in answer and "<Hangup" in answer
    assert the_call(app, sid).outcome == "flagged_message"
    # Another number on the same line is not screened out.
    assert "116 006" in incoming(twilio, caller="+33611220100")[1]


def test_a_retried_first_webhook_is_played_again_on_the_recorded_call(app, twilio, clock):
    clock.now = at_paris(2026, 11, 24, 10, 0)
    sid, first = incoming(twilio)
    _, again = incoming(twilio, sid=sid)
    assert again == first  # the same words: the retry's own turn was not written, the call's record was used
    with app.app_context(), database.session() as session:
        assert len(session.scalars(select(Call).where(Call.sid == sid)).all()) == 1
    assert the_call(app, sid).kinds.count("incoming") == 2


def test_a_call_sid_of_another_line_still_gets_the_apology_and_nothing_is_written(app, twilio, clock):
    clock.now = at_paris(2026, 11, 24, 10, 0)
    sid, _ = incoming(twilio)
    before = the_call(app, sid)
    _, answer = incoming(twilio, sid=sid, to=EVC)
    assert "Nous rencontrons un problème technique." in answer and "<Dial" in answer
    after = the_call(app, sid)
    assert (after.line_id, after.outcome, after.kinds) == (before.line_id, before.outcome, before.kinds)
