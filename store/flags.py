"""Nuisance flags in the database: who is flagged on which line (by keyed HMAC only), and the throttle's count."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Integer, String, bindparam, delete, literal, or_, select, union_all
from sqlalchemy.orm import Session

from routing.nuisance import Flag, FlagAction, Throttle, flags_from
from store import direct
from store.models import Call, CallerFlag, UTCDateTime


def flags_for(session: Session, line_id: int | None, caller_hash: str | None, now: datetime) -> list[Flag]:
    """The caller's flags on the line still in force (an expired or lifted flag simply stops applying)."""
    if line_id is None or caller_hash is None:
        return []
    rows = session.execute(
        select(CallerFlag.action, CallerFlag.expires_at, CallerFlag.lifted_at).where(
            CallerFlag.line_id == line_id, CallerFlag.caller_hash == caller_hash,
            CallerFlag.lifted_at.is_(None), CallerFlag.expires_at > now)
    ).all()
    return flags_from([tuple(row) for row in rows])


def earlier_calls(session: Session, call: Call, throttle: Throttle | None, now: datetime) -> list[datetime]:
    """Start times of the caller's other calls to the line within the throttle's window (none without one)."""
    if throttle is None or call.caller_hash is None or call.line_id is None:
        return []
    # Found through the caller's hash: "line_id + 0" keeps a planner from picking the line's index instead
    # (every call of a busy line: 50 times slower on SQLite). At most the throttle's count is read, all the
    # verdict needs, so a number calling hundreds of times costs no more than one calling a few.
    return list(session.scalars(
        select(Call.started_at).where(Call.caller_hash == call.caller_hash, (Call.line_id + 0) == call.line_id,
                                      Call.id != call.id, Call.started_at >= throttle.window_start(now),
                                      Call.started_at <= now)
        .order_by(Call.started_at.desc()).limit(throttle.calls)
    ))


def _screening_statement():
    """flags_for's and earlier_calls' queries as one UNION ALL, built once with parameters: screening is on
    every incoming call, and building the statement cost more CPU than running it."""
    no_time = literal(None, UTCDateTime())
    flags = select(literal("flag").label("source"), CallerFlag.action.label("action"),
                   CallerFlag.expires_at.label("expires_at"), CallerFlag.lifted_at.label("lifted_at"),
                   no_time.label("started_at")).where(
        CallerFlag.line_id == bindparam("line_id"), CallerFlag.caller_hash == bindparam("caller_hash"),
        CallerFlag.lifted_at.is_(None), CallerFlag.expires_at > bindparam("now", type_=UTCDateTime()))
    # As earlier_calls: through the caller's hash ("line_id + 0"), at most the throttle's count.
    calls = select(Call.started_at).where(
        Call.caller_hash == bindparam("caller_hash"), (Call.line_id + 0) == bindparam("line_id"),
        Call.id != bindparam("call_id"), Call.started_at >= bindparam("since", type_=UTCDateTime()),
        Call.started_at <= bindparam("now", type_=UTCDateTime()),
    ).order_by(Call.started_at.desc()).limit(bindparam("most", type_=Integer())).subquery()
    earlier = select(literal("call"), literal(None, String()), no_time, no_time, calls.c.started_at)
    return union_all(flags, earlier)


SCREENING = _screening_statement()
SCREENING_DIRECT = direct.DirectStatement(SCREENING, ("line_id", "caller_hash", "call_id", "now", "since", "most"))


def screening_facts(session: Session, call: Call, throttle: Throttle | None,
                    now: datetime) -> tuple[list[Flag], list[datetime]]:
    """``flags_for`` and ``earlier_calls`` of an incoming call in one statement: screening is on every call's
    path, and two round trips to the database were a quarter of its time."""
    if call.caller_hash is None or call.line_id is None:
        return [], []
    if throttle is None:
        return flags_for(session, call.line_id, call.caller_hash, now), []
    rows = direct.rows(session, SCREENING_DIRECT, {
        "line_id": call.line_id, "caller_hash": call.caller_hash, "call_id": call.id, "now": now,
        "since": throttle.window_start(now), "most": throttle.calls})
    found = flags_from([(action, expires, lifted) for source, action, expires, lifted, _ in rows if source == "flag"])
    started = sorted((at for source, _, _, _, at in rows if source == "call"), reverse=True)
    return found, started


def create_flag(session: Session, *, call: Call, action: FlagAction, reason: str, expires_at: datetime,
                now: datetime, created_by: str, account_id: int | None) -> CallerFlag:
    """Flag the caller of ``call`` on its line. The call must carry a hash: withheld callers cannot be flagged."""
    if call.caller_hash is None or call.line_id is None:
        raise ValueError("a withheld caller cannot be flagged")
    flag = CallerFlag(line_id=call.line_id, caller_hash=call.caller_hash, action=action.value, reason=reason[:200],
                      created_at=now, expires_at=expires_at, created_by=created_by[:254], account_id=account_id,
                      call_id=call.id)
    session.add(flag)
    session.flush()
    return flag


def lift_flag(session: Session, flag: CallerFlag, now: datetime, lifted_by: str) -> bool:
    """End a flag now; False when it had already ended (lifted, or expired by itself)."""
    if flag.lifted_at is not None or flag.expires_at <= now:
        return False
    flag.lifted_at = now
    flag.lifted_by = lifted_by[:254]
    return True


def flags_on_lines(session: Session, line_ids: list[int], now: datetime, include_ended: bool = False) -> list[CallerFlag]:
    """Flags of these lines, newest first; only those in force unless ``include_ended``."""
    if not line_ids:
        return []
    query = select(CallerFlag).where(CallerFlag.line_id.in_(line_ids))
    if not include_ended:
        query = query.where(CallerFlag.lifted_at.is_(None), CallerFlag.expires_at > now)
    return list(session.scalars(query.order_by(CallerFlag.created_at.desc(), CallerFlag.id.desc()).limit(200)))


def active_flag_for_call(session: Session, call: Call, now: datetime) -> CallerFlag | None:
    """The flag in force on this call's caller and line, if any (the call log shows it)."""
    if call.caller_hash is None or call.line_id is None:
        return None
    return session.scalar(select(CallerFlag).where(
        CallerFlag.line_id == call.line_id, CallerFlag.caller_hash == call.caller_hash,
        CallerFlag.lifted_at.is_(None), CallerFlag.expires_at > now).order_by(CallerFlag.expires_at.desc()).limit(1))


# An ended flag stays listed (with its hash) this long for the coordinators' record, then goes.
ENDED_FLAG_KEEP_DAYS = 90


def erase_flags(session: Session, caller_hash: str) -> int:
    """The right to erasure: every flag on the number, in force or not."""
    return session.execute(delete(CallerFlag).where(CallerFlag.caller_hash == caller_hash)).rowcount


def purge_ended_flags(session: Session, now: datetime) -> int:
    """Flags that ended (expired or lifted) more than ``ENDED_FLAG_KEEP_DAYS`` ago, deleted with their hash."""
    before = now - timedelta(days=ENDED_FLAG_KEEP_DAYS)
    return session.execute(delete(CallerFlag).where(
        or_(CallerFlag.expires_at < before, CallerFlag.lifted_at < before))).rowcount


def flags_of_number(session: Session, caller_hash: str) -> list[CallerFlag]:
    """For the right of access: every flag held on the number."""
    return list(session.scalars(select(CallerFlag).where(CallerFlag.caller_hash == caller_hash)
                                .order_by(CallerFlag.created_at, CallerFlag.id)))
