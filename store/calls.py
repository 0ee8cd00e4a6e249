"""Recording calls and their routing steps; numbers never reach this module, only their keyed HMAC."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Boolean, Integer, bindparam, event, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, make_transient_to_detached

from store.models import Call, CallEvent, EmailOutbox, UTCDateTime

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
# The same, saying in the same round trip whether screening has anything to read: a flag in force on the
# caller's number on this line, or an earlier call of theirs to the line since ``since`` (the throttle's window;
# None: no throttle). Most calls are from new callers on lines without flags: they then need no screening
# statement at all. The subqueries see the table as it was before this row (PostgreSQL) or skip it by id.
OPEN_NEW_CALL = text(
    "INSERT INTO call (sid, line_id, caller_hash, caller_withheld, started_at, language, status) "
    "VALUES (:sid, :line_id, :caller_hash, :caller_withheld, :started_at, :language, :status) "
    "ON CONFLICT (sid) DO NOTHING RETURNING id, "
    "EXISTS (SELECT 1 FROM caller_flag f WHERE f.line_id = call.line_id AND f.caller_hash = call.caller_hash "
    "AND f.lifted_at IS NULL AND f.expires_at > call.started_at) "
    "OR EXISTS (SELECT 1 FROM call earlier WHERE earlier.caller_hash = call.caller_hash "
    "AND earlier.line_id + 0 = call.line_id AND earlier.id <> call.id AND earlier.started_at >= :since "
    "AND earlier.started_at <= call.started_at) AS to_screen"
).bindparams(bindparam("started_at", type_=UTCDateTime()), bindparam("since", type_=UTCDateTime()),
             bindparam("caller_withheld", type_=Boolean())).columns(id=Integer(), to_screen=Boolean())
INSERT_EVENTS = insert(CallEvent.__table__)


def find_call(session: Session, sid: str) -> Call | None:
    return session.scalar(select(Call).where(Call.sid == sid))


@dataclass
class OpenedCall:
    """The call's record, and whether screening may find anything (None: not known, screen as usual)."""

    call: Call
    to_screen: bool | None = None


def open_call(session: Session, sid: str, now: datetime, line_id: int | None, caller_hash: str | None,
              caller_withheld: bool, language: str | None, first_webhook: bool = False) -> Call:
    """The call's record, created on its first webhook; a retried first webhook finds the same record."""
    return open_call_screened(session, sid, now, line_id, caller_hash, caller_withheld, language,
                              first_webhook).call


def open_call_screened(
    session: Session,
    sid: str,
    now: datetime,
    line_id: int | None,
    caller_hash: str | None,
    caller_withheld: bool,
    language: str | None,
    first_webhook: bool = False,
    throttle_since: datetime | None = None,
) -> OpenedCall:
    """open_call, and whether screening may find anything.

    On the first webhook the record is written straight away, without reading first: one statement on the
    busiest path of the engine, which also tells whether the caller has a flag in force on the line or called
    it since ``throttle_since`` (the throttle's window start; None when the line has none). Later webhooks
    read it (and write it only if the first one never came).
    """
    if first_webhook and session.get_bind().dialect.name in INSERT_NEW_CALL:
        values = {"sid": sid, "line_id": line_id, "caller_hash": caller_hash, "caller_withheld": caller_withheld,
                  "started_at": now, "language": language, "status": "in-progress"}
        row = session.connection().execute(OPEN_NEW_CALL, {**values, "since": throttle_since}).first()
        if row is not None:
            # The row just written, as a loaded ORM object, so later changes (outcome...) are plain updates.
            call = Call(id=row.id, ended_at=None, duration=None, outcome=None, closed_reason=None,
                        department=None, caller_type=None, **values)
            make_transient_to_detached(call)
            session.add(call)
            return OpenedCall(call, bool(row.to_screen))
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
    return OpenedCall(call)


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
