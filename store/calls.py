"""Recording calls and their routing steps; numbers never reach this module, only their keyed HMAC."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import Call, CallEvent, EmailOutbox

DETAIL_MAX = 2000


def find_call(session: Session, sid: str) -> Call | None:
    return session.scalar(select(Call).where(Call.sid == sid))


def open_call(
    session: Session,
    sid: str,
    now: datetime,
    line_id: int | None,
    caller_hash: str | None,
    caller_withheld: bool,
    language: str | None,
) -> Call:
    """The call's record, created on its first webhook; a retried first webhook finds the same record."""
    call = find_call(session, sid)
    if call is None:
        call = Call(
            sid=sid,
            line_id=line_id,
            caller_hash=caller_hash,
            caller_withheld=caller_withheld,
            started_at=now,
            language=language,
        )
        session.add(call)
        session.flush()
    return call


def record(session: Session, call: Call, now: datetime, kind: str, detail: str = "",
           rule_index: int | None = None) -> None:
    session.add(CallEvent(call=call, at=now, kind=kind, rule_index=rule_index, detail=detail[:DETAIL_MAX]))


def queue_email(session: Session, call: Call, now: datetime, kind: str, callback_id: int | None = None) -> None:
    session.add(EmailOutbox(line_id=call.line_id, call_id=call.id, callback_id=callback_id, kind=kind,
                            created_at=now))


def finish_call(session: Session, sid: str, now: datetime, status: str, duration: int | None) -> Call | None:
    call = find_call(session, sid)
    if call is None:
        return None
    call.status = status[:32]
    if status in ("completed", "busy", "no-answer", "failed", "canceled"):
        call.ended_at = call.ended_at or now
        call.duration = duration
    return call
