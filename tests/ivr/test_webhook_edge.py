"""What Twilio's parameters may carry at the edge: NUL bytes, a CallSid seen on another line, junk statuses."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import select

from store.extension import database
from store.models import Call, CallEvent, LineRow as Line

UN_PREMIER_PAS, PLATFORM_3977 = "+33199009494", "+33199003977"
CALLER = "+33612345678"
SID = "CA" + "b" * 32


def incoming(twilio, to: str, sid: str = SID, **extra):
    return twilio.post("/voice/incoming", {"CallSid": sid, "From": CALLER, "To": to, "CallStatus": "ringing",
                                           "Direction": "inbound", **extra})


def the_call(app, sid: str = SID) -> tuple[Call | None, list[CallEvent], str | None]:
    with app.app_context(), database.session() as session:
        call = session.scalar(select(Call).where(Call.sid == sid))
        if call is None:
            return None, [], None
        slug = session.get(Line, call.line_id).slug if call.line_id else None
        events = list(call.events)
        session.expunge_all()
        return call, events, slug


@pytest.fixture
def errors(caplog):
    caplog.set_level(logging.WARNING)
    return lambda: [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_nul_byte_in_the_call_sid_is_stripped_before_anything_is_stored(app, twilio, errors):
    response = incoming(twilio, UN_PREMIER_PAS, sid="CA" + "b" * 16 + "\x00" + "b" * 16)
    assert response.status_code == 200 and ET.fromstring(response.data).find("Dial") is None  # no fallback
    call, events, _ = the_call(app)
    assert call is not None and [e.kind for e in events][:1] == ["incoming"]
    assert errors() == []


@pytest.mark.parametrize("path,field,value,kind", [
    ("/voice/dial-result", "DialCallStatus", "completed\x00", "dial_completed"),
    ("/voice/queue-result", "QueueResult", "hangup\x00", "queue_result"),
])
def test_a_nul_byte_in_a_status_reaches_neither_the_database_nor_the_fallback(app, twilio, errors, path, field,
                                                                              value, kind):
    incoming(twilio, UN_PREMIER_PAS)
    response = twilio.post(path, {"CallSid": SID, "From": CALLER, "To": UN_PREMIER_PAS, field: value})
    assert ET.fromstring(response.data).find("Hangup") is not None
    _, events, _ = the_call(app)
    assert kind in [e.kind for e in events]
    assert not any("\x00" in e.detail for e in events)
    assert errors() == []


def test_a_call_sid_reused_on_another_lines_webhook_leaves_the_first_lines_call_alone(app, twilio):
    incoming(twilio, UN_PREMIER_PAS)
    before, events_before, slug = the_call(app)
    assert slug == "un-premier-pas"
    response = incoming(twilio, PLATFORM_3977)
    document = ET.fromstring(response.data)
    # The caller of the 3977 still reaches someone: the 3977's own emergency number, as the 3977.
    assert document.find("Dial").text == "+33199003900"
    assert document.find("Dial").get("callerId") == PLATFORM_3977
    twilio.post("/voice/dial-result", {"CallSid": SID, "From": CALLER, "To": PLATFORM_3977,
                                       "DialCallStatus": "completed"})
    after, events_after, slug = the_call(app)
    assert slug == "un-premier-pas"
    assert [(e.kind, e.detail) for e in events_after] == [(e.kind, e.detail) for e in events_before]
    assert after.outcome == before.outcome


def test_a_status_callback_from_another_line_does_not_end_this_lines_call(app, twilio):
    incoming(twilio, UN_PREMIER_PAS)
    twilio.post("/voice/status", {"CallSid": SID, "To": PLATFORM_3977, "CallStatus": "completed",
                                  "CallDuration": "99"})
    call, _, _ = the_call(app)
    assert call.status == "in-progress" and call.ended_at is None


def test_status_callbacks_keep_only_known_statuses_and_a_call_once_ended_stays_ended(app, twilio):
    incoming(twilio, UN_PREMIER_PAS)
    for junk in ("=HYPERLINK(\"x\")", "", "COMPLETED", "completed-ish"):
        twilio.post("/voice/status", {"CallSid": SID, "To": UN_PREMIER_PAS, "CallStatus": junk})
        assert the_call(app)[0].status == "in-progress"
    twilio.post("/voice/status", {"CallSid": SID, "To": UN_PREMIER_PAS, "CallStatus": "completed",
                                  "CallDuration": "42"})
    twilio.post("/voice/status", {"CallSid": SID, "To": UN_PREMIER_PAS, "CallStatus": "busy",
                                  "CallDuration": "7"})
    twilio.post("/voice/status", {"CallSid": SID, "To": UN_PREMIER_PAS, "CallStatus": "ringing"})
    call, _, _ = the_call(app)
    assert (call.status, call.duration) == ("completed", 42)


def test_a_junk_dial_status_is_recorded_as_unknown_not_copied(app, twilio):
    incoming(twilio, UN_PREMIER_PAS)
    twilio.post("/voice/dial-result", {"CallSid": SID, "From": CALLER, "To": UN_PREMIER_PAS,
                                       "DialCallStatus": "=cmd|' /C calc'!A0"})
    _, events, _ = the_call(app)
    assert "dial ended: unknown" in [e.detail for e in events]
    assert not any("cmd|" in e.detail for e in events)
