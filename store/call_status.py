"""A call's status callbacks: its final status kept."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from store import calls
from store.models import Call


def finish_call(session: Session, sid: str, now: datetime, status: str, duration: int | None,
                line_id: int | None = None) -> Call | None:
    """A status callback: only a status Twilio sends, only for the line the call came in on, and a call that
    has ended keeps its final status, end and duration (a late or replayed callback does not rewrite them)."""
    if status not in calls.CALL_STATUSES:
        return None
    call = calls.find_call(session, sid)
    if call is None or (call.line_id is not None and line_id is not None and call.line_id != line_id):
        return None
    if call.status in calls.CALL_ENDED:
        return call
    call.status = status
    if status in calls.CALL_ENDED:
        call.ended_at = call.ended_at or now
        call.duration = duration
    return call
