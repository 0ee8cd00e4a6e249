"""A call's final status callback that comes before the call's record (PostgreSQL writes a record-only first webhook's
record once its answer has gone; on either database, Twilio may have taken the number's fallback URL) writes the call,
ended; the record then joins it. A callback for anything but an incoming call to a line writes nothing, as before."""

from __future__ import annotations

import logging
import uuid
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from phones.numbers import caller_hash
from store import calls
from store.extension import database
from store.models import Call
from tests.support.calls import EVC, Caller, qapp, tw  # noqa: F401 — qapp and tw are fixtures
from tests.support.first_turn import AnswerBeingSent, given_back, postgres, warm, written  # noqa: F401 — and these


def ended(tw, sid: str, number: str, duration: str = "3", status: str = "completed", to: str = EVC,
          direction: str = "inbound"):
    """Twilio's status callback for the call, as a line's number sends it: the answer is always empty TwiML."""
    answer = tw.post("/voice/status", {"CallSid": sid, "From": number, "To": to, "CallStatus": status,
                                       "CallDuration": duration, "Direction": direction})
    assert answer.status_code == 200
    document = ET.fromstring(answer.data)
    assert document.tag == "Response" and len(document) == 0
    return answer


def calls_with(app, sid: str) -> int:
    with app.app_context(), database.session() as session:
        return session.scalar(select(func.count()).select_from(Call).where(Call.sid == sid))


def new_sid() -> str:
    return "CA" + uuid.uuid4().hex


def test_a_final_status_before_the_record_is_kept_and_the_record_joins_the_call(postgres, warm, tw, given_back,
                                                                              clock, caplog):
    began = clock.now
    answer = AnswerBeingSent(postgres)  # the room is being dialled; the record is written once the answer is closed
    clock.advance(5)
    with caplog.at_level(logging.WARNING):
        ended(tw, answer.sid, answer.number, duration="3")  # the caller hung up at once
        answer.close()
    assert calls_with(postgres, answer.sid) == 1
    call, steps, _place = written(postgres, answer.sid)
    assert (call.status, call.duration, call.ended_at) == ("completed", 3, began + timedelta(seconds=5))
    assert call.started_at == began  # the record's start, earlier than the callback's (ended less the duration)
    assert call.outcome == "forwarding" and call.language is not None  # the record's
    assert steps[0] == "incoming" and "decision" in steps
    assert call.caller_hash == caller_hash(answer.number, postgres.config["NUMBER_PEPPER"])
    assert not call.caller_withheld
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_record_written_between_the_callbacks_look_up_and_its_write_is_ended_as_before(
        postgres, warm, tw, given_back, clock, monkeypatch):
    began = clock.now
    answer = AnswerBeingSent(postgres)
    looked_up = calls.find_call

    def record_lands_meanwhile(session, sid):  # the callback finds no call, then the record is written
        found = looked_up(session, sid)
        if found is None and sid == answer.sid:
            answer.close()
        return found

    monkeypatch.setattr(calls, "find_call", record_lands_meanwhile)
    clock.advance(40)
    ended(tw, answer.sid, answer.number, duration="38")
    call, steps, _place = written(postgres, answer.sid)
    assert (call.status, call.duration, call.ended_at) == ("completed", 38, began + timedelta(seconds=40))
    assert call.started_at == began and call.outcome == "forwarding" and steps[0] == "incoming"


@pytest.mark.parametrize(("number", "withheld"), [("+32470001122", False), ("anonymous", True)])
def test_a_final_status_for_a_call_whose_first_webhook_never_came_writes_the_call_ended(qapp, tw, clock, caplog,
                                                                                        number, withheld):
    sid = new_sid()  # Twilio could not reach the engine for the call's first webhook and took the fallback URL
    with caplog.at_level(logging.DEBUG):
        ended(tw, sid, number, duration="75")
    call, steps, _place = written(qapp, sid)
    assert (call.status, call.duration, call.ended_at) == ("completed", 75, clock.now)
    assert call.started_at == clock.now - timedelta(seconds=75)
    assert call.line_id is not None and call.outcome is None and steps == []
    assert call.caller_withheld is withheld
    assert call.caller_hash == (None if withheld else caller_hash(number, qapp.config["NUMBER_PEPPER"]))
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "not recorded yet" in logged  # an event, never the number nor the CallSid that leads to it
    assert number[1:] not in logged and sid not in logged


def test_a_call_ended_by_its_callback_then_reached_by_its_first_webhook_is_played_and_stays_ended(qapp, tw, clock):
    caller_number = "+32470003344"
    sid = new_sid()
    ended(tw, sid, caller_number, duration="2")  # the first webhook comes after (a retry of it, say)
    clock.advance(1)
    tw.post("/voice/incoming", {"CallSid": sid, "From": caller_number, "To": EVC, "CallStatus": "in-progress",
                                "Direction": "inbound"})
    assert calls_with(qapp, sid) == 1
    call, steps, _place = written(qapp, sid)
    assert (call.status, call.duration) == ("completed", 2)
    assert call.outcome is not None and steps[0] == "incoming"


def test_a_record_written_before_the_final_status_is_ended_by_it_as_before(qapp, tw, clock):
    began = clock.now
    caller = Caller(tw)
    clock.advance(60)
    ended(tw, caller.sid, caller.number, duration="58")
    call, steps, _place = written(qapp, caller.sid)
    assert (call.status, call.duration, call.ended_at, call.started_at) == (
        "completed", 58, began + timedelta(seconds=60), began)
    assert call.outcome is not None and steps[0] == "incoming"


def test_a_replayed_final_status_leaves_the_call_it_wrote_unchanged(qapp, tw, clock):
    sid = new_sid()
    ended(tw, sid, "+32470005566", duration="12")
    first = written(qapp, sid)[0]
    clock.advance(30)
    ended(tw, sid, "+32470005566", duration="12")  # Twilio's retry
    ended(tw, sid, "+32470005566", duration="40", status="busy")
    ended(tw, sid, "+32470005566", duration="", status="in-progress")
    again = written(qapp, sid)[0]
    assert calls_with(qapp, sid) == 1
    assert (again.status, again.duration, again.ended_at, again.started_at) == (
        "completed", 12, first.ended_at, first.started_at)


@pytest.mark.parametrize(("to", "direction", "status", "sid"), [
    ("+33100000000", "inbound", "completed", None),  # a number no line has
    ("+33199000555", "inbound", "completed", None),  # the presence line: a listener's own call, never a helpline call
    ("+33199000700", "inbound", "completed", None),  # the coordinators' number
    ("+32470111111", "outbound-api", "completed", None),  # a leg the engine placed, to a listener's or caller's phone
    (EVC, "outbound-api", "completed", None),  # placed by the engine, whatever number it went to
    (EVC, "outbound-dial", "no-answer", None),  # a <Dial>'s own leg
    (EVC, "inbound", "ringing", None),  # not final: the first webhook writes the call itself
    (EVC, "inbound", "in-progress", None),
    (EVC, "inbound", "COMPLETED", None),  # not a status Twilio sends
    (EVC, "inbound", "completed", "not-a-call-sid"),
], ids=["no line", "presence line", "coordinators", "outbound to a phone", "outbound to a line", "dial leg",
        "ringing", "in progress", "junk status", "junk sid"])
def test_a_status_for_anything_but_an_incoming_call_to_a_line_that_ended_writes_nothing(qapp, tw, to, direction,
                                                                                         status, sid):
    sid = sid or new_sid()
    ended(tw, sid, "+32470007788", status=status, to=to, direction=direction)
    assert calls_with(qapp, sid) == 0


def test_a_status_for_another_lines_call_still_leaves_it_alone(qapp, tw):
    caller = Caller(tw, to="+33199003977")  # the call is on another line
    ended(tw, caller.sid, caller.number, duration="9")  # the status says EVC
    call, _steps, _place = written(qapp, caller.sid)
    assert call.status == "in-progress" and call.ended_at is None and calls_with(qapp, caller.sid) == 1


def test_a_final_status_for_a_line_deleted_since_the_snapshot_writes_no_call_and_the_callback_goes_on(qapp, clock):
    """The worker's snapshot still has the line the callback's number belongs to, its row is gone (a coordinator
    deleted it a moment ago): the call cannot be written, and the rest of the callback (the caller out of a queue, a
    listener's leg over) is still written in the same transaction."""
    from store.call_status import CallerSeen, finish_call
    from store.models import LineRow

    sid = new_sid()
    with qapp.app_context(), database.session() as session:
        gone = (session.scalar(select(func.max(LineRow.id))) or 0) + 1000
        assert finish_call(session, sid, clock.now, "completed", 3, gone, CallerSeen(None, True)) is None
        session.commit()  # the transaction was not spoiled by the refused row
    assert calls_with(qapp, sid) == 0
