"""Queue metrics read from queue_event: the history of callers who joined a queue within a period."""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from routing.metrics import Event, QueueStats, Thresholds, queue_stats as summarise, stats_by_day, stats_by_hour
from store.models import QueueEvent
from store.snapshot import Snapshot

# Workers stamp events with their own clocks; a caller's later events may look a little older than its `joined`.
CLOCK_SKEW = timedelta(minutes=5)


class UnknownLine(LookupError):
    pass


def pool_thresholds(snapshot: Snapshot, pools: set[str] | None = None) -> dict[str, Thresholds]:
    """The service-level and short-abandon thresholds of each pool, from the line whose settings govern it."""
    if pools is None:
        pools = {line.pool for line in snapshot.lines_by_slug.values() if line.pool}
        pools |= {r.action.target for line in snapshot.lines_by_slug.values() for r in line.rules
                  if r.action.kind.value == "queue" and r.action.target}
    found = {}
    for pool in pools:
        line = snapshot.line_for_pool(pool)
        if line is not None:
            found[pool] = Thresholds(line.queue.service_level_seconds, line.queue.short_abandon_seconds)
    return found


def period_events(session: Session, start: datetime, end: datetime, snapshot: Snapshot, pool: str | None = None,
                  line_slug: str | None = None) -> list[Event]:
    """Every event of the callers whose `joined` falls in [start, end), whenever the later events happened.

    ``pool`` keeps callers who joined that pool; ``line_slug`` keeps callers whose call came in on that line.
    """
    joined = select(QueueEvent.queued_caller_id).where(
        QueueEvent.kind == "joined", QueueEvent.at >= start, QueueEvent.at < end,
        QueueEvent.queued_caller_id.is_not(None))
    if pool is not None:
        joined = joined.where(QueueEvent.pool == pool)
    if line_slug is not None:
        if line_slug not in snapshot.line_ids:
            raise UnknownLine(line_slug)
        joined = joined.where(QueueEvent.line_id == snapshot.line_ids[line_slug])
    # No event of a caller precedes its `joined`: the lower bound lets the database use the index on `at`.
    rows = session.execute(
        select(QueueEvent.at, QueueEvent.kind, QueueEvent.queued_caller_id, QueueEvent.wait_seconds, QueueEvent.pool)
        .where(QueueEvent.queued_caller_id.in_(joined), QueueEvent.at >= start - CLOCK_SKEW)
        .order_by(QueueEvent.at, QueueEvent.id))
    return [Event(at, kind, caller, wait, pool) for at, kind, caller, wait, pool in rows]


def queue_stats(session: Session, start: datetime, end: datetime, snapshot: Snapshot, pool: str | None = None,
                line_slug: str | None = None) -> QueueStats:
    """The figures for callers who joined within [start, end), each judged by its own pool's thresholds."""
    events = period_events(session, start, end, snapshot, pool, line_slug)
    return summarise(events, per_pool=pool_thresholds(snapshot, {e.pool for e in events}))


def queue_stats_by_hour(session: Session, start: datetime, end: datetime, tz: tzinfo, snapshot: Snapshot,
                        pool: str | None = None, line_slug: str | None = None) -> dict[int, QueueStats]:
    """The figures per local hour of day (0–23) in which callers joined."""
    events = period_events(session, start, end, snapshot, pool, line_slug)
    return stats_by_hour(events, tz, per_pool=pool_thresholds(snapshot, {e.pool for e in events}))


def queue_stats_by_day(session: Session, start: datetime, end: datetime, tz: tzinfo, snapshot: Snapshot,
                       pool: str | None = None, line_slug: str | None = None) -> dict[date, QueueStats]:
    """The figures per local date on which callers joined."""
    events = period_events(session, start, end, snapshot, pool, line_slug)
    return stats_by_day(events, tz, per_pool=pool_thresholds(snapshot, {e.pool for e in events}))
