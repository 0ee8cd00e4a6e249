"""Recording calls and their routing steps; numbers never reach this module, only their keyed HMAC."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from sqlalchemy import Boolean, Integer, bindparam, event, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, make_transient_to_detached

from store import direct
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
# A new call's id, taken before its row is written; whether its CallSid is recorded already (Twilio retried the first
# webhook, or another line's call has it: the turn is then played on the recorded call, found before anything is
# answered); and whether screening has anything to read: a flag in force on the caller's number on this line, or an
# earlier call of theirs to the line since ``since`` (the throttle's window start; None: no throttle). One round
# trip; most calls, from new callers, then need no screening statement.
# SQLite: every writing transaction holds the write lock from its BEGIN (store/db.py), so max(id) + 1 is this one's.
_SCREEN = ("EXISTS (SELECT 1 FROM caller_flag f WHERE f.line_id = :line_id AND f.caller_hash = :caller_hash "
           "AND f.lifted_at IS NULL AND f.expires_at > :now) "
           "OR EXISTS (SELECT 1 FROM call earlier WHERE earlier.caller_hash = :caller_hash "
           "AND earlier.line_id + 0 = :line_id AND earlier.started_at >= :since AND earlier.started_at <= :now) "
           "AS to_screen")
NEW_CALL_ID = {
    dialect: text(f"SELECT {next_id} AS id, EXISTS (SELECT 1 FROM call recorded WHERE recorded.sid = :sid) "
                  f"AS recorded, {_SCREEN}").bindparams(
        bindparam("now", type_=UTCDateTime()), bindparam("since", type_=UTCDateTime())
    ).columns(id=Integer(), recorded=Boolean(), to_screen=Boolean())
    for dialect, next_id in (("postgresql", "nextval(pg_get_serial_sequence('call', 'id'))"),
                             ("sqlite", "coalesce((SELECT max(id) FROM call), 0) + 1"))
}
_CALL_COLUMNS = ("id", "sid", "line_id", "caller_hash", "caller_withheld", "started_at", "ended_at", "duration",
                 "status", "outcome", "closed_reason", "department", "caller_type", "language")
_CALL_COLUMN_SET = frozenset(_CALL_COLUMNS)

# A record written after its answer (ivr/answer_first.py) may find its call written meanwhile by the call's next webhook
# (which writes a call it cannot find, open_call_screened), by its final status callback (store/call_status.py) or by
# Twilio's retry of the first one: the record then joins that call — its steps added, its outcome and details where the
# call has none yet, the earlier start; the status, end and length stay the call's, so an ended call is never made
# "in progress" again — if the call is on the same line; another line's call is left alone (no row back:
# CallAlreadyRecorded).
_JOIN_THE_RECORDED_CALL = (
    "DO UPDATE SET started_at = least(call.started_at, excluded.started_at), "
    + ", ".join(f"{c} = coalesce(call.{c}, excluded.{c})"
                for c in ("caller_hash", "outcome", "closed_reason", "department", "caller_type", "language"))
    + " WHERE call.line_id IS NOT DISTINCT FROM excluded.line_id")


def _write_new_call(record_only: bool):
    """PostgreSQL: the call's row as the turn left it (its outcome included: no UPDATE after the INSERT) and the
    turn's steps, in one statement. No row back: the CallSid was recorded meanwhile (for another line's call, when
    ``record_only``: see _JOIN_THE_RECORDED_CALL), and nothing of this turn is written.

    ``record_only``: the statement is the whole of its own transaction (a first webhook outside a transaction,
    store/direct.py) and writes nothing but the record of a call answered without a place in a queue, a callback
    request or anything else a person relies on, so its commit does not wait for the disk, nor for a synchronous
    standby (synchronous_commit off for this transaction alone, set by the statement itself: no round trip more). A
    crash of the database server, its machine or a failover can lose the last moments of such records (at most three
    times wal_writer_delay, 0.6 s by default), never leave one half written; what the caller heard is unchanged (the
    statement is sent once the answer has been: ivr/answer_first.py). Every other transaction waits for the disk,
    and flushes the earlier records with its own."""
    durability = " WHERE set_config('synchronous_commit', 'off', true) = 'off'" if record_only else ""
    return text(
        f"WITH new_call AS (INSERT INTO call ({', '.join(_CALL_COLUMNS)}) "
        f"VALUES ({', '.join(':' + c for c in _CALL_COLUMNS)}) ON CONFLICT (sid) "
        f"{_JOIN_THE_RECORDED_CALL if record_only else 'DO NOTHING'} RETURNING id), "
        "steps AS (INSERT INTO call_event (call_id, at, kind, rule_index, detail) "
        "SELECT new_call.id, step.at, step.kind, step.rule_index, step.detail FROM new_call, "
        "json_to_recordset(CAST(:steps AS json)) AS step(at timestamptz, kind varchar, rule_index integer, "
        "detail text)) "
        f"SELECT id FROM new_call{durability}"
    ).bindparams(bindparam("started_at", type_=UTCDateTime()), bindparam("ended_at", type_=UTCDateTime()),
                 bindparam("caller_withheld", type_=Boolean())).columns(id=Integer())


WRITE_NEW_CALL_WITH_EVENTS = _write_new_call(record_only=False)  # inside the turn's transaction
PENDING_CALL = "helpline.pending_call"
# Straight to the driver on a first webhook's PostgreSQL connection outside a transaction (store/direct.py).
NEW_CALL_ID_DIRECT = direct.DirectStatement(NEW_CALL_ID["postgresql"],
                                            ("sid", "line_id", "caller_hash", "now", "since"))
WRITE_NEW_CALL_RECORD_DIRECT = direct.DirectStatement(
    _write_new_call(record_only=True), (*_CALL_COLUMNS, "steps"))


class CallAlreadyRecorded(Exception):
    """A first webhook's CallSid was recorded by another request meanwhile (Twilio retried it): nothing of this
    turn was written; the turn is to be played again on the recorded call."""


INSERT_EVENTS = insert(CallEvent.__table__)


def find_call(session: Session, sid: str) -> Call | None:
    return session.scalar(select(Call).where(Call.sid == sid))


@dataclass
class OpenedCall:
    """The call's record, and whether screening may find anything (None: not known, screen as usual)."""

    call: Call
    to_screen: bool | None = None
    also: Sequence[tuple] = ()  # the rows of the statement asked with the call's id (open_call_screened's ``also``)


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
    also: tuple[direct.DirectStatement, dict] | None = None,
) -> OpenedCall:
    """open_call, and whether screening may find anything.

    On the first webhook nothing is read: the call's id is taken (with whether the caller has a flag in force on
    the line or called it since ``throttle_since``, the throttle's window start, None when the line has none) and
    its row is written when the turn commits, with its outcome and the turn's steps (a turn with nothing else to
    write: once the caller has been answered, see write_record). A CallSid recorded already raises
    CallAlreadyRecorded at once, before anything is answered; one recorded meanwhile (two tries at the same time)
    raises it when the turn writes. Later webhooks read it (and write it if the first never came).
    ``also``: a statement the turn is expected to ask, sent with the id's on a first webhook (one round trip).
    """
    if first_webhook:
        screen = {"sid": sid, "line_id": line_id, "caller_hash": caller_hash, "now": now, "since": throttle_since}
        also_rows: Sequence[tuple] = ()
        if direct.driver_of(session) is not None:
            if also is None:
                (new_id, recorded, to_screen), = direct.rows(session, NEW_CALL_ID_DIRECT, screen)
            else:
                ((new_id, recorded, to_screen),), also_rows = direct.rows_with(
                    session, (NEW_CALL_ID_DIRECT, screen), also)
        else:
            new_id, recorded, to_screen = session.connection().execute(
                NEW_CALL_ID[session.get_bind().dialect.name], screen).one()
            also_rows = direct.rows(session, *also) if also is not None else ()
        if recorded:
            raise CallAlreadyRecorded(sid)
        # Written when the turn commits, as the turn left it (or before anything that refers to it is flushed).
        call = _unwritten_call(id=new_id, sid=sid, line_id=line_id, caller_hash=caller_hash,
                               caller_withheld=caller_withheld, started_at=now, ended_at=None, duration=None,
                               status="in-progress", outcome=None, closed_reason=None, department=None,
                               caller_type=None, language=language)
        session.info[PENDING_CALL] = call
        return OpenedCall(call, bool(to_screen), also_rows)
    call = find_call(session, sid)
    if call is None:  # its first webhook never came, or its record is being written after its answer right now
        session.execute(INSERT_NEW_CALL[session.get_bind().dialect.name], {
            "sid": sid, "line_id": line_id, "caller_hash": caller_hash, "caller_withheld": caller_withheld,
            "started_at": now, "status": "in-progress", "language": language})
        call = find_call(session, sid)  # this one, or the record that came meanwhile
    return OpenedCall(call)


def _unwritten_call(**columns) -> Call:
    """A call's record not yet written, its columns set as a loaded row's are: the constructor's instrumented sets
    (~20 µs a call) keep a history nothing reads (_write_pending_call resets it); later changes are tracked as usual."""
    if columns.keys() != _CALL_COLUMN_SET:  # what the constructor would have refused: a column missing or misspelt
        raise TypeError(f"a call's record needs exactly its columns, not {sorted(columns)}")
    call = Call()
    call.__dict__.update(columns)
    return call


def record(session: Session, call: Call, now: datetime, kind: str, detail: str = "",
           rule_index: int | None = None) -> None:
    """A routing step, written with the rest of the turn when the session commits (in one statement)."""
    session.info.setdefault(PENDING_EVENTS, []).append(
        {"call_id": call.id, "at": now, "kind": kind, "rule_index": rule_index, "detail": detail[:DETAIL_MAX]})


def only_a_record(session: Session) -> bool:
    """Whether all a turn has to write is its call's record: a first webhook that ran nothing in a transaction
    (PostgreSQL, store/direct.py), whose call and steps are still to be written."""
    return direct.outside_transaction(session) and PENDING_CALL in session.info


def commit_turn(session: Session) -> None:
    """Commit a webhook's turn: write_record for a turn that is only a record (above), else the session's commit."""
    if only_a_record(session):
        write_record(session)
    else:
        session.commit()


def write_record(session: Session) -> None:
    """A record-only turn's call, as the turn left it, and its steps, in one statement atomic by itself. The call
    written meanwhile on the same line (by its next webhook, or Twilio's retry of this one) is joined; another line's
    raises CallAlreadyRecorded, and nothing of this turn is written. A first webhook runs it once the caller has been
    answered (ivr/answer_first.py); the unknown number's, before (commit_turn)."""
    call = session.info.pop(PENDING_CALL)
    events = session.info.pop(PENDING_EVENTS, None) or []
    written = direct.execute(session, WRITE_NEW_CALL_RECORD_DIRECT, {
        **{column: getattr(call, column) for column in _CALL_COLUMNS}, "steps": _steps_as_json(events)}).fetchone()
    if written is None:
        raise CallAlreadyRecorded(call.sid)


def discard_turn(session: Session) -> None:
    """Nothing of this turn is written: its call and steps not yet written are dropped (a first webhook's session
    outside a transaction has no rollback to drop them), and its transaction, if it began one, rolled back."""
    session.info.pop(PENDING_CALL, None)
    session.info.pop(PENDING_EVENTS, None)
    session.rollback()


def _steps_as_json(events: list[dict]) -> str:
    """The turn's steps as one JSON parameter (json.dumps is C; four typed arrays cost the driver ~50 µs of Python
    to dump on every call). Times keep their UTC offset, as UTCDateTime requires of every time written."""
    for step in events:
        if step["at"].utcoffset() is None:
            raise ValueError("naive datetime given to a UTC column")
    return json.dumps([{"at": step["at"].isoformat(), "kind": step["kind"], "rule_index": step["rule_index"],
                        "detail": step["detail"]} for step in events], ensure_ascii=False)


@event.listens_for(Session, "before_flush")
def _write_pending_call_first(session: Session, _context, _instances) -> None:
    """Rows that refer to a new call (its place in a queue, an email) are flushed after the call's own row."""
    if PENDING_CALL in session.info:
        _write_pending_call(session, [])


@event.listens_for(Session, "before_commit")
def _write_pending_events(session: Session) -> None:
    pending = session.info.pop(PENDING_EVENTS, None) or []
    if PENDING_CALL in session.info:
        pending = _write_pending_call(session, pending)
    if pending:
        session.connection().execute(INSERT_EVENTS, pending)


def _write_pending_call(session: Session, events: list[dict]) -> list[dict]:
    """Write the turn's new call (with ``events`` in the same statement where the database allows); returns the
    events still to write. The call then belongs to the session, so later changes are plain updates."""
    call = session.info.pop(PENDING_CALL)
    values = {column: getattr(call, column) for column in _CALL_COLUMNS}
    connection = session.connection()
    if connection.dialect.name == "postgresql" and events:
        written = connection.execute(WRITE_NEW_CALL_WITH_EVENTS, {**values, "steps": _steps_as_json(events)}).first()
        events = []
    else:
        written = connection.execute(INSERT_NEW_CALL[connection.dialect.name], values).first()
    if written is None:
        raise CallAlreadyRecorded(call.sid)
    make_transient_to_detached(call)
    session.add(call)
    return events


@event.listens_for(Session, "after_soft_rollback")
def _forget_pending_events(session: Session, _previous_transaction) -> None:
    session.info.pop(PENDING_EVENTS, None)
    session.info.pop(PENDING_CALL, None)


def queue_email(session: Session, call: Call, now: datetime, kind: str, callback_id: int | None = None) -> None:
    session.add(EmailOutbox(line_id=call.line_id, call_id=call.id, callback_id=callback_id, kind=kind,
                            created_at=now))

