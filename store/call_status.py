"""A call's status callbacks: its final status kept, even when the callback comes before the call's record."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store import calls
from store.models import Call

logger = logging.getLogger(__name__)

TWILIO_CALL_SID = re.compile(r"CA[0-9a-f]{32}")  # what Twilio gives a call; nothing else becomes a call's row


@dataclass(frozen=True)
class CallerSeen:
    """The caller of an incoming call to a line, as a status callback tells of them and the first webhook keeps
    them: the keyed hash of their number (None when withheld) and whether it was withheld; never the number."""

    caller_hash: str | None
    withheld: bool


def finish_call(session: Session, sid: str, now: datetime, status: str, duration: int | None,
                line_id: int | None = None, caller: CallerSeen | None = None) -> Call | None:
    """A status callback: only a status Twilio sends, only for the line the call came in on, and a call that
    has ended keeps its final status, end and duration (a late or replayed callback does not rewrite them).

    A final status for a call not recorded yet is written as the call (write_ended_call) when ``caller`` is given
    (an incoming call, Twilio's Direction says: never a leg the engine placed, to a listener or a caller, nor a
    <Dial>'s) and ``line_id`` is the line it came to; any other unknown CallSid writes nothing, as before. Then the
    call found (this one, or the record written meanwhile) is finished as usual."""
    if status not in calls.CALL_STATUSES:
        return None
    call = calls.find_call(session, sid)
    if call is None and caller is not None and write_ended_call(session, sid, now, status, duration, line_id, caller):
        call = calls.find_call(session, sid)  # the one just written, or the call's record written meanwhile
    if call is None or (call.line_id is not None and line_id is not None and call.line_id != line_id):
        return None
    if call.status in calls.CALL_ENDED:
        return call
    call.status = status
    if status in calls.CALL_ENDED:
        call.ended_at = call.ended_at or now
        call.duration = duration
    return call


def write_ended_call(session: Session, sid: str, now: datetime, status: str, duration: int | None,
                     line_id: int | None, caller: CallerSeen) -> bool:
    """The call a final status callback tells of, when its CallSid is not recorded: written with what the callback
    knows (its line, its end and length, its start as the end less the length, the caller's keyed hash and whether
    the number was withheld) or nothing if its CallSid was recorded meanwhile. Returns whether it was asked.

    Two ways to get here. The caller hung up within the moment between the answer to the first webhook and its
    record (PostgreSQL writes a record-only turn's record once the answer has gone: ivr/answer_first.py), or a
    worker was slow to run that answer's close hook: the record then joins this call (store/calls.py
    _JOIN_THE_RECORDED_CALL), adding its steps, its outcome and its earlier start, and keeping the status, end and
    length written here. Or the first webhook never reached the engine (Twilio took the number's fallback URL, on
    either database): the call came to the line all the same, and the reports count it, ended, without an outcome.

    Nothing for a status that is not final (the first webhook writes the call itself a moment later, and a call
    written "in progress" by a callback whose first webhook never comes would never end), for no line (the
    coordinators' number and the presence line are none, and their calls are never a call's row: a listener's call to
    the presence line is known by its CallSid on the listener; a number no line has cannot be told from them), nor
    for anything that is not a Twilio CallSid."""
    if status not in calls.CALL_ENDED or line_id is None or not TWILIO_CALL_SID.fullmatch(sid):
        return False
    started_at = now - timedelta(seconds=duration) if duration else now
    try:
        with session.begin_nested():  # the line deleted since the worker's snapshot: the callback's other work goes on
            written = session.execute(calls.INSERT_NEW_CALL[session.get_bind().dialect.name], {
                "sid": sid, "line_id": line_id, "caller_hash": caller.caller_hash, "caller_withheld": caller.withheld,
                "started_at": started_at, "ended_at": now, "duration": duration, "status": status, "language": None,
            }).first()
    except IntegrityError:
        return False
    if written is not None:
        # No CallSid in the log, as nowhere else: with Twilio's own logs it leads to the caller's number.
        logger.info("status callback: a call to line %s not recorded yet, written from its final status", line_id)
    return True
