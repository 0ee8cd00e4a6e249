"""Call traffic counted by the database: calls per local weekday-hour, outcome, closed reason, forward target and
kind of caller, in four GROUP BY queries whatever the number of calls (the rules are routing.traffic's)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from routing.traffic import (
    CALLER_KINDS,
    CLOSED_REASONS,
    HOURS,
    NOT_DEMAND,
    OUTCOME_ORDER,
    WEEKDAYS,
    CallRecord,
)
from store.models import Call, CallEvent
from store.report_sql import bucket, bucket_seconds, bucket_start

FORWARD_PREFIX = "forward to "


@dataclass(frozen=True)
class TrafficCounts:
    calls: int
    heatmap: list[list[int]]
    outcomes: dict[str, int]
    forwards: dict[str, int]
    closed: dict[str, int]
    after_hours_email: int | None
    callers: dict[str, int]
    wanted: dict[tuple[int, int], int]  # calls that wanted a listener while open, per local (weekday, hour)


def count_traffic(session: Session, where: list, period, gives_email: bool | None) -> TrafficCounts:
    """``where``: the conditions on Call that pick the report's calls (period included)."""
    heatmap, wanted = _by_hour_of_week(session, where, period)
    calls, outcomes, closed, email = _by_outcome(session, where, gives_email)
    return TrafficCounts(calls, heatmap, outcomes, _forwards(session, where), closed, email,
                         _callers(session, where), wanted)


def _by_hour_of_week(session: Session, where: list, period):
    size = bucket_seconds(period.zone, period.start, period.end)
    slot = bucket(session, Call.started_at, size)
    wanting = and_(Call.closed_reason.is_(None), or_(Call.outcome.is_(None), Call.outcome.not_in(NOT_DEMAND)))
    grid = [[0] * HOURS for _ in range(WEEKDAYS)]
    wanted: dict[tuple[int, int], int] = {}
    for number, calls, wanting_calls in session.execute(
            select(slot, func.count(), func.sum(case((wanting, 1), else_=0))).where(*where).group_by(slot)):
        local = bucket_start(number, size).astimezone(period.zone)
        grid[local.weekday()][local.hour] += calls
        if wanting_calls:
            key = local.weekday(), local.hour
            wanted[key] = wanted.get(key, 0) + int(wanting_calls)
    return grid, wanted


def _by_outcome(session: Session, where: list, gives_email: bool | None):
    outcomes: Counter[str] = Counter()
    closed: Counter[str] = Counter()
    calls = email = 0
    for outcome, reason, count in session.execute(
            select(Call.outcome, Call.closed_reason, func.count()).where(*where)
            .group_by(Call.outcome, Call.closed_reason)):
        record = CallRecord(None, outcome, reason, "")  # the same rules as a single call's
        calls += count
        outcomes[record.outcome_group] += count
        if reason:
            closed[reason] += count
        if gives_email is not None and record.heard_after_hours_email(gives_email):
            email += count
    return (calls, {group: outcomes.get(group, 0) for group in OUTCOME_ORDER},
            {reason: closed.get(reason, 0) for reason in CLOSED_REASONS}, None if gives_email is None else email)


def _forwards(session: Session, where: list) -> dict[str, int]:
    """Answered forwards per target (each call's last "forward to X" step), most frequent first; a tie goes to
    the target forwarded to first. A forwarded call without such a step counts as "?"."""
    last_step = (select(func.max(CallEvent.id)).where(CallEvent.call_id == Call.id, CallEvent.kind == "forward")
                 .correlate(Call).scalar_subquery())
    forwarded = select(Call.started_at, last_step.label("step")).where(*where, Call.outcome == "forwarded").subquery()
    rows = session.execute(
        select(CallEvent.detail, func.count(), func.min(forwarded.c.started_at))
        .select_from(forwarded).outerjoin(CallEvent, CallEvent.id == forwarded.c.step).group_by(CallEvent.detail))
    merged: dict[str, list] = {}
    for detail, count, first in rows:  # no step, and a step naming no target, both count as "?"
        target = (detail or "").removeprefix(FORWARD_PREFIX) or "?"
        entry = merged.setdefault(target, [0, first])
        entry[0] += count
        entry[1] = min(entry[1], first)
    return {target: count for target, (count, _) in sorted(merged.items(), key=lambda item: (-item[1][0], item[1][1]))}


def _callers(session: Session, where: list) -> dict[str, int]:
    """Withheld, not kept (no keyed number), and first-time or repeat: a call is its caller's first on that line
    when no call of the same keyed number came in on the line before it, in the period or before."""
    hashed = and_(Call.caller_withheld.is_(False), Call.caller_hash.is_not(None))
    withheld, not_kept, known = session.execute(select(
        func.sum(case((Call.caller_withheld.is_(True), 1), else_=0)),
        func.sum(case((and_(Call.caller_withheld.is_(False), Call.caller_hash.is_(None)), 1), else_=0)),
        func.sum(case((hashed, 1), else_=0))).where(*where)).one()
    firsts = (select(Call.line_id, Call.caller_hash, func.min(Call.started_at).label("first"))
              .where(*where, hashed).group_by(Call.line_id, Call.caller_hash).subquery())
    earlier = aliased(Call)
    first_time = session.execute(select(func.count()).select_from(firsts).where(~exists().where(
        earlier.line_id == firsts.c.line_id, earlier.caller_hash == firsts.c.caller_hash,
        earlier.started_at < firsts.c.first))).scalar_one()
    counts = {"first_time": first_time, "repeat": int(known or 0) - first_time, "withheld": int(withheld or 0),
              "not_kept": int(not_kept or 0)}
    return {kind: counts[kind] for kind in CALLER_KINDS}
