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
from store.report_hours import hourly_pass, whole_hours
from store.report_line_kept import first_time_calls, forward_rows
from store.report_sql import HOUR, bucket, bucket_seconds, bucket_start

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


def count_traffic(session: Session, where: list, period, gives_email: bool | None,
                  line_id: int | None = None) -> TrafficCounts:
    """``where``: the conditions on Call that pick the report's calls (period included); ``line_id`` when
    they are exactly one line's calls in the period (a line's report: line_where), which lets the line's hourly
    totals stand for its calls and makes first calls cheaper to find."""
    counts = _one_pass(session, where, period, gives_email, line_id)
    callers = _callers(session, where, counts.pop("kinds"), line_id, period)
    if line_id is None:
        forwards = session.execute(_forwards_query(where))
    else:
        forwards = forward_rows(session, line_id, period.start, period.end)
    return TrafficCounts(**counts, forwards=_forwards(forwards), callers=callers)


def _one_pass(session: Session, where: list, period, gives_email: bool | None, line_id: int | None) -> dict:
    """Calls per UTC bucket, outcome and closed reason, with the kinds of callers: a line's hourly totals when
    its zone keeps whole-hour offsets (report_hour), else one scan of the calls."""
    size = bucket_seconds(period.zone, period.start, period.end)
    if line_id is not None and size == HOUR and whole_hours(period.start, period.end):
        return hourly_pass(session, line_id, period, gives_email)
    slot = bucket(session, Call.started_at, size)
    rows = session.execute(select(
        slot, Call.outcome, Call.closed_reason, func.count(),
        func.sum(case((Call.caller_withheld.is_(True), 1), else_=0)),
        func.sum(case((and_(Call.caller_withheld.is_(False), Call.caller_hash.is_(None)), 1), else_=0)),
    ).where(*where).group_by(slot, Call.outcome, Call.closed_reason))
    grid = [[0] * HOURS for _ in range(WEEKDAYS)]
    wanted: dict[tuple[int, int], int] = {}
    outcomes: Counter[str] = Counter()
    closed: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    local_of: dict[int, tuple[int, int]] = {}
    judged: dict[tuple, tuple[bool, str, bool]] = {}
    email = 0
    for number, outcome, reason, calls, withheld, not_kept in rows:
        if number not in local_of:
            local = bucket_start(number, size).astimezone(period.zone)
            local_of[number] = local.weekday(), local.hour
        weekday, hour = local_of[number]
        grid[weekday][hour] += calls
        if (outcome, reason) not in judged:  # the same rules as a single call's, judged once per pair
            record = CallRecord(None, outcome, reason, "")
            judged[outcome, reason] = (record.wanted_a_listener_while_open, record.outcome_group,
                                       gives_email is not None and record.heard_after_hours_email(gives_email))
        wants, group, heard_email = judged[outcome, reason]
        if wants:
            wanted[weekday, hour] = wanted.get((weekday, hour), 0) + calls
        outcomes[group] += calls
        if reason:
            closed[reason] += calls
        if heard_email:
            email += calls
        kinds["all"] += calls
        kinds["withheld"] += int(withheld)
        kinds["not_kept"] += int(not_kept)
    return {"calls": kinds["all"], "heatmap": grid, "wanted": wanted,
            "outcomes": {group: outcomes.get(group, 0) for group in OUTCOME_ORDER},
            "closed": {reason: closed.get(reason, 0) for reason in CLOSED_REASONS},
            "after_hours_email": None if gives_email is None else email, "kinds": kinds}


def _forwards_query(where: list):
    """(last "forward to" step's text, calls, first call's instant) of the forwarded calls ``where`` picks."""
    forwarded = and_(*where, Call.outcome == "forwarded")
    last = (select(CallEvent.call_id, func.max(CallEvent.id).label("step"))
            .join(Call, Call.id == CallEvent.call_id).where(forwarded, CallEvent.kind == "forward")
            .group_by(CallEvent.call_id).subquery())
    return (select(CallEvent.detail, func.count(), func.min(Call.started_at)).select_from(Call)
            .outerjoin(last, last.c.call_id == Call.id).outerjoin(CallEvent, CallEvent.id == last.c.step)
            .where(forwarded).group_by(CallEvent.detail))


def _forwards(rows) -> dict[str, int]:
    """Answered forwards per target (each call's last "forward to X" step), most frequent first; a tie goes to
    the target forwarded to first. A forwarded call without such a step counts as "?"."""
    merged: dict[str, list] = {}
    for detail, count, first in rows:  # no step, and a step naming no target, both count as "?"
        target = (detail or "").removeprefix(FORWARD_PREFIX) or "?"
        entry = merged.setdefault(target, [0, first])
        entry[0] += count
        entry[1] = min(entry[1], first)
    return {target: count for target, (count, _) in sorted(merged.items(), key=lambda item: (-item[1][0], item[1][1]))}


def _callers(session: Session, where: list, kinds: Counter, line_id: int | None, period) -> dict[str, int]:
    """Withheld, not kept (no keyed number), and first-time or repeat: a call is its caller's first on that line
    when no call of the same keyed number came in on the line before it, in the period or before."""
    hashed = and_(Call.caller_withheld.is_(False), Call.caller_hash.is_not(None))
    known = kinds["all"] - kinds["withheld"] - kinds["not_kept"]
    if line_id is not None:
        # Every call of the line in the period is counted: a number's first call in the period is its first
        # ever unless the number called the line before the period began (each number's first call is kept).
        first_time = first_time_calls(session, line_id, period.start, period.end)
    else:
        firsts = (select(Call.line_id, Call.caller_hash, func.min(Call.started_at).label("first"))
                  .where(*where, hashed).group_by(Call.line_id, Call.caller_hash).subquery())
        earlier = aliased(Call)
        first_time = session.execute(select(func.count()).select_from(firsts).where(~exists().where(
            earlier.line_id == firsts.c.line_id, earlier.caller_hash == firsts.c.caller_hash,
            earlier.started_at < firsts.c.first))).scalar_one()
    counts = {"first_time": first_time, "repeat": known - first_time, "withheld": kinds["withheld"],
              "not_kept": kinds["not_kept"]}
    return {kind: counts[kind] for kind in CALLER_KINDS}
