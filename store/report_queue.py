"""A line's queue figures counted by the database: callers who joined in a period, by local hour and weekday-hour.

The same figures as routing.metrics over store.metrics.period_events (each caller's first `joined`, its first
outcome, its talks and offers; judged by its pool's thresholds), added up in SQL per pool, UTC bucket and
outcome: a year of queue history comes back as a few thousand rows instead of a million events.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from types import MappingProxyType

from sqlalchemy import and_, case, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from routing.metrics import LEFT_KINDS, OUTCOME_KINDS, QueueStats, Thresholds
from store.metrics import CLOCK_SKEW, pool_thresholds
from store.models import QueueEvent
from store.report_queue_callers import boundary_callers, summed_callers
from store.report_sql import bucket, bucket_seconds, bucket_start, whole_seconds_between
from store.snapshot import Snapshot

SUMS = ("offered", "answered", "answered_within", "abandoned", "short_abandons", "waiting", "answered_wait_total",
        "abandon_wait_total", "talks", "talk_total", "offers", "missed_offers")


@dataclass
class _Tally:
    """QueueStats being added up from grouped rows."""

    sums: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SUMS, 0))
    left: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LEFT_KINDS, 0))
    longest: int | None = None

    def add(self, outcome, callers, wait_total, wait_max, within, short, talks, talk_total, offers, missed):
        sums = self.sums
        sums["offered"] += callers
        sums["offers"] += offers
        sums["missed_offers"] += missed
        sums["talks"] += talks
        sums["talk_total"] += talk_total
        if outcome == "bridged":
            sums["answered"] += callers
            sums["answered_within"] += within
            sums["answered_wait_total"] += wait_total
            self.longest = wait_max if self.longest is None else max(self.longest, wait_max)
        elif outcome == "abandoned":
            sums["abandoned"] += callers
            sums["short_abandons"] += short
            sums["abandon_wait_total"] += wait_total
        elif outcome in self.left:
            self.left[outcome] += callers
        else:
            sums["waiting"] += callers

    def stats(self) -> QueueStats:
        return QueueStats(**self.sums, left_by_kind=MappingProxyType(dict(self.left)), longest_wait=self.longest)


@dataclass(frozen=True)
class QueueFigures:
    overall: QueueStats
    by_hour: dict[int, QueueStats]  # local hour of joining, 0-23, each present
    by_slot: dict[tuple[int, int], QueueStats]  # (local weekday, hour) of joining, only those with callers


def _per_caller(session: Session, line_id: int, start, end):
    """One row per caller who joined the line's queues in [start, end), as routing.metrics.caller_records.

    Most callers come summed up already (report_queue_caller, kept by triggers); those near the period's
    bounds are added up from their events here.

    Plain aggregates per caller give the figures when the caller has one `joined` and at most one outcome, as
    the engine writes them; the few callers with more (a replayed webhook) get their first `joined` and first
    outcome, by instant then id, from a window query over their events alone: sorting every event of the
    year for them cost seconds."""
    joined = select(QueueEvent.queued_caller_id).where(
        QueueEvent.kind == "joined", QueueEvent.at >= start, QueueEvent.at < end,
        QueueEvent.queued_caller_id.in_(boundary_callers(line_id, start, end)), QueueEvent.line_id == line_id)
    events = select(
        QueueEvent.queued_caller_id.label("caller"), QueueEvent.id, QueueEvent.at, QueueEvent.kind,
        QueueEvent.wait_seconds.label("wait"), QueueEvent.pool,
    ).where(QueueEvent.queued_caller_id.in_(joined), QueueEvent.at >= start - CLOCK_SKEW).subquery()
    is_joined, is_outcome = events.c.kind == "joined", events.c.kind.in_(OUTCOME_KINDS)
    is_talk = and_(events.c.kind == "talk", events.c.wait.is_not(None))
    callers = select(
        events.c.caller,
        func.min(case((is_joined, events.c.at))).label("joined_at"),
        func.sum(case((is_joined, 1), else_=0)).label("joins"),
        func.max(case((is_joined, events.c.pool))).label("any_pool"),
        func.sum(case((is_outcome, 1), else_=0)).label("outcomes"),
        func.max(case((is_outcome, events.c.kind))).label("any_outcome"),
        func.max(case((is_outcome, events.c.wait))).label("any_wait"),
        func.min(case((is_outcome, events.c.at))).label("outcome_at"),
        func.sum(case((is_talk, 1), else_=0)).label("talks"),
        func.sum(case((is_talk, events.c.wait), else_=0)).label("talk_total"),
        func.sum(case((events.c.kind == "offered", 1), else_=0)).label("offers"),
        func.sum(case((events.c.kind == "missed", 1), else_=0)).label("missed"),
    ).group_by(events.c.caller).cte("callers")
    several = select(callers.c.caller).where(or_(callers.c.joins > 1, callers.c.outcomes > 1))
    # Straight from the table (its index on the caller), not from `events`: a second reference would make
    # PostgreSQL write all of `events` out instead of streaming it into the aggregate.
    kind_class = case((QueueEvent.kind == "joined", "j"), (QueueEvent.kind.in_(OUTCOME_KINDS), "o"), else_="x")
    ranked = select(
        QueueEvent.queued_caller_id.label("caller"), QueueEvent.kind, QueueEvent.wait_seconds.label("wait"),
        QueueEvent.pool, kind_class.label("class"),
        func.row_number().over(partition_by=(QueueEvent.queued_caller_id, kind_class),
                               order_by=(QueueEvent.at, QueueEvent.id)).label("rank"),
    ).where(QueueEvent.queued_caller_id.in_(several), QueueEvent.at >= start - CLOCK_SKEW).subquery()
    first_joined = and_(ranked.c["class"] == "j", ranked.c.rank == 1)
    first_outcome = and_(ranked.c["class"] == "o", ranked.c.rank == 1)
    firsts = select(
        ranked.c.caller,
        func.max(case((first_joined, ranked.c.pool))).label("pool"),
        func.max(case((first_outcome, ranked.c.kind))).label("outcome"),
        func.max(case((first_outcome, ranked.c.wait))).label("wait"),
    ).group_by(ranked.c.caller).subquery()
    pool = case((callers.c.joins > 1, firsts.c.pool), else_=callers.c.any_pool)
    outcome = case((callers.c.outcomes > 1, firsts.c.outcome), else_=callers.c.any_outcome)
    outcome_wait = case((callers.c.outcomes > 1, firsts.c.wait), else_=callers.c.any_wait)
    elapsed = whole_seconds_between(session, callers.c.joined_at, callers.c.outcome_at)
    wait = case((callers.c.outcomes == 0, None), (outcome_wait.is_not(None), outcome_wait), (elapsed < 0, 0),
                else_=elapsed)
    read_one_by_one = select(
        callers.c.joined_at, pool.label("pool"), outcome.label("outcome"), wait.label("wait"),
        callers.c.talks, callers.c.talk_total, callers.c.offers, callers.c.missed,
    ).select_from(callers).outerjoin(firsts, firsts.c.caller == callers.c.caller)
    return union_all(summed_callers(session, line_id, start, end), read_one_by_one).subquery()


def _threshold(pool_column, per_pool: dict[str, Thresholds], default: int, attribute: str):
    if not per_pool:
        return literal(default)
    return case(*((pool_column == pool, getattr(limits, attribute)) for pool, limits in per_pool.items()),
                else_=default)


def queue_figures(session: Session, snapshot: Snapshot, line_id: int, start, end, zone,
                  thresholds: Thresholds) -> QueueFigures:
    callers = _per_caller(session, line_id, start, end)
    per_pool = pool_thresholds(snapshot)  # the same threshold for a caller's pool as for the pools of its events
    level = _threshold(callers.c.pool, per_pool, thresholds.service_level_seconds, "service_level_seconds")
    short = _threshold(callers.c.pool, per_pool, thresholds.short_abandon_seconds, "short_abandon_seconds")
    size = bucket_seconds(zone, start, end)
    slot = bucket(session, callers.c.joined_at, size)
    rows = session.execute(select(
        slot, callers.c.outcome, func.count(), func.coalesce(func.sum(callers.c.wait), 0), func.max(callers.c.wait),
        func.sum(case((callers.c.wait <= level, 1), else_=0)), func.sum(case((callers.c.wait <= short, 1), else_=0)),
        func.sum(callers.c.talks), func.sum(callers.c.talk_total), func.sum(callers.c.offers),
        func.sum(callers.c.missed),
    ).group_by(slot, callers.c.outcome))
    overall, by_hour, by_slot = _Tally(), defaultdict(_Tally), defaultdict(_Tally)
    local_of: dict[int, tuple[int, int]] = {}  # a bucket's local (weekday, hour), worked out once
    for number, outcome, *sums in rows:
        if number not in local_of:
            local = bucket_start(number, size).astimezone(zone)
            local_of[number] = local.weekday(), local.hour
        weekday, hour = local_of[number]
        sums = [int(value) if value is not None else None for value in sums]
        for tally in (overall, by_hour[hour], by_slot[weekday, hour]):
            tally.add(outcome, *sums)
    hours = {hour: by_hour[hour].stats() if hour in by_hour else QueueStats() for hour in range(24)}
    return QueueFigures(overall.stats(), hours, {key: by_slot[key].stats() for key in sorted(by_slot)})
