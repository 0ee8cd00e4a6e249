"""Recording calls and their routing steps; numbers never reach this module, only their keyed HMAC."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import event, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, make_transient_to_detached

from store.models import Call, CallEvent, EmailOutbox

CALL_ENDED = ("completed", "busy", "no-answer", "failed", "canceled")  # Twilio's final statuses of a call
CALL_STATUSES = ("queued", "initiated", "ringing", "in-progress", *CALL_ENDED)  # every status Twilio sends

DETAIL_MAX = 2000
PENDING_EVENTS = "helpline.pending_call_events"
# Built once, executed with plain parameters: the busiest statements skip the ORM's per-call work.
# A new call's row, or nothing when its CallSid is already recorded (a retried first webhook), by dialect.
INSERT_NEW_CALL = {
    name: dialect_insert(Call.__table__).on_conflict_do_nothing(index_elements=["sid"]).returning(Call.__table__.c.id)
    for name, dialect_insert in (("sqlite", sqlite.insert), ("postgresql", postgresql.insert))
}
INSERT_EVENTS = insert(CallEvent.__table__)


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
    first_webhook: bool = False,
) -> Call:
    """The call's record, created on its first webhook; a retried first webhook finds the same record.

    On the first webhook the record is written straight away, without reading first: one statement on the
    busiest path of the engine. Later webhooks read it (and write it only if the first one never came).
    """
    insert_new = INSERT_NEW_CALL.get(session.get_bind().dialect.name)
    if first_webhook and insert_new is not None:
        values = {"sid": sid, "line_id": line_id, "caller_hash": caller_hash, "caller_withheld": caller_withheld,
                  "started_at": now, "language": language, "status": "in-progress"}
        new_id = session.connection().execute(insert_new, values).scalar()
        if new_id is not None:
            # The row just written, as a loaded ORM object, so later changes (outcome...) are plain updates.
            call = Call(id=new_id, ended_at=None, duration=None, outcome=None, closed_reason=None,
                        department=None, caller_type=None, **values)
            make_transient_to_detached(call)
            session.add(call)
            return call
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
    """A routing step, written with the rest of the turn when the session commits (in one statement)."""
    session.info.setdefault(PENDING_EVENTS, []).append(
        {"call_id": call.id, "at": now, "kind": kind, "rule_index": rule_index, "detail": detail[:DETAIL_MAX]})


@event.listens_for(Session, "before_commit")
def _write_pending_events(session: Session) -> None:
    pending = session.info.pop(PENDING_EVENTS, None)
    if pending:
        session.connection().execute(INSERT_EVENTS, pending)


@event.listens_for(Session, "after_soft_rollback")
def _forget_pending_events(session: Session, _previous_transaction) -> None:
    session.info.pop(PENDING_EVENTS, None)


def queue_email(session: Session, call: Call, now: datetime, kind: str, callback_id: int | None = None) -> None:
    session.add(EmailOutbox(line_id=call.line_id, call_id=call.id, callback_id=callback_id, kind=kind,
                            created_at=now))


def finish_call(session: Session, sid: str, now: datetime, status: str, duration: int | None,
                line_id: int | None = None) -> Call | None:
    """A status callback: only a status Twilio sends, only for the line the call came in on, and a call that
    has ended keeps its final status, end and duration (a late or replayed callback does not rewrite them)."""
    if status not in CALL_STATUSES:
        return None
    call = find_call(session, sid)
    if call is None or (call.line_id is not None and line_id is not None and call.line_id != line_id):
        return None
    if call.status in CALL_ENDED:
        return call
    call.status = status
    if status in CALL_ENDED:
        call.ended_at = call.ended_at or now
        call.duration = duration
    return call
