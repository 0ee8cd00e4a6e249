"""Report queries: a line's or centre's calls, queue figures, scheduled listeners and staffing over a period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from routing.coverage import SlotCoverage, SlotDemand, WeeklyWindow, coverage, week_minutes
from routing.metrics import (
    QueueStats,
    Thresholds,
    caller_records,
    group_stats,
    hour_joined,
    tally,
    week_slot_joined,
)
from routing.model import Centre, Line
from routing.queueing import DEFAULT_HANDLE_SECONDS
from routing.traffic import (
    CallRecord,
    caller_kind,
    caller_kind_counts,
    closed_counts,
    forward_targets,
    heatmap,
    outcome_counts,
    weekday_occurrences,
)
from store.metrics import period_events, pool_thresholds
from store.models import Call, CallEvent, Listener, ListenerPool, ListenerShift
from store.snapshot import Snapshot

FORWARD_PREFIX = "forward to "


@dataclass(frozen=True)
class Period:
    """Local days [first, last] in a time zone; queries use the UTC instants of their midnights."""

    first: date
    last: date
    timezone: str

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def start(self) -> datetime:
        return local_midnight(self.first, self.zone)

    @property
    def end(self) -> datetime:
        return local_midnight(self.last + timedelta(days=1), self.zone)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


@dataclass(frozen=True)
class TrafficReport:
    """What a line's or a centre's calls over the period show."""

    period: Period
    calls: int
    heatmap: list[list[int]]
    outcomes: dict[str, int]
    forwards: dict[str, int]
    closed: dict[str, int]
    after_hours_email: int | None  # None: the line gives no email address (or a centre)
    callers: dict[str, int]


@dataclass(frozen=True)
class LineReport:
    traffic: TrafficReport
    queue: QueueStats
    queue_by_hour: dict[int, QueueStats]
    thresholds: Thresholds
    target_level: float
    wrapup_seconds: int
    slots: list[SlotCoverage]


def _records(session: Session, calls_query) -> list[CallRecord]:
    """Call records, ordered by time, with each caller known only as first-time or repeat on the call's line."""
    rows = session.execute(calls_query).all()
    first_calls = _first_calls(session, calls_query)
    targets = _forward_targets(session, calls_query)
    records, seen = [], set()
    for row in rows:
        key = (row.line_id, row.caller_hash)
        # Rows come in (started_at, id) order: of two calls at the first instant, the first row is the first call.
        before = row.caller_hash is not None and (first_calls[key] < row.started_at or key in seen)
        seen.add(key)
        records.append(CallRecord(row.started_at, row.outcome, row.closed_reason,
                                  caller_kind(row.caller_withheld, row.caller_hash is not None, before),
                                  targets.get(row.id)))
    return records


def _first_calls(session: Session, calls_query) -> dict[tuple[int | None, str], datetime]:
    """When each (line, keyed number) of these calls first called that line, before the period too."""
    period_numbers = calls_query.with_only_columns(Call.caller_hash).where(Call.caller_hash.is_not(None)).order_by(None)
    period_lines = calls_query.with_only_columns(Call.line_id).order_by(None)
    rows = session.execute(
        select(Call.line_id, Call.caller_hash, func.min(Call.started_at))
        .where(Call.caller_hash.in_(period_numbers), Call.line_id.in_(period_lines))
        .group_by(Call.line_id, Call.caller_hash))
    return {(line_id, number): _aware(first) for line_id, number, first in rows}


def _aware(moment: datetime) -> datetime:
    """min() may come back as the stored value, naive UTC on SQLite."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _forward_targets(session: Session, calls_query) -> dict[int, str]:
    """Each call's last forward target, from its "forward to X" routing step."""
    call_ids = calls_query.with_only_columns(Call.id).order_by(None)
    rows = session.execute(
        select(CallEvent.call_id, CallEvent.detail)
        .where(CallEvent.call_id.in_(call_ids), CallEvent.kind == "forward").order_by(CallEvent.id))
    return {call_id: detail.removeprefix(FORWARD_PREFIX) for call_id, detail in rows}


def _call_columns():
    return select(Call.id, Call.line_id, Call.started_at, Call.outcome, Call.closed_reason, Call.caller_withheld,
                  Call.caller_hash)


def line_calls(session: Session, line_id: int, period: Period) -> list[CallRecord]:
    query = _call_columns().where(Call.line_id == line_id, Call.started_at >= period.start,
                                  Call.started_at < period.end).order_by(Call.started_at, Call.id)
    return _records(session, query)


def centre_calls(session: Session, centre_slug: str, period: Period) -> list[CallRecord]:
    """Calls a national line handed to the centre (its "handoff" step names the centre)."""
    pattern = "centre " + centre_slug.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + ",%"
    handed = select(CallEvent.call_id).where(CallEvent.kind == "handoff",
                                             CallEvent.detail.like(pattern, escape="\\"))
    query = _call_columns().where(Call.id.in_(handed), Call.started_at >= period.start,
                                  Call.started_at < period.end).order_by(Call.started_at, Call.id)
    return _records(session, query)


def traffic_report(records: list[CallRecord], period: Period, gives_email: bool | None) -> TrafficReport:
    """``gives_email``: whether the line reads out an after-hours email address; None for a centre."""
    email = None if gives_email is None else sum(r.heard_after_hours_email(gives_email) for r in records)
    return TrafficReport(period, len(records), heatmap(records, period.zone), outcome_counts(records),
                         forward_targets(records), closed_counts(records), email, caller_kind_counts(records))


def centre_report(session: Session, centre: Centre, period: Period) -> TrafficReport:
    return traffic_report(centre_calls(session, centre.slug, period), period, None)


def line_report(session: Session, snapshot: Snapshot, line: Line, pools: list[str], period: Period,
                target_level: float, now: datetime) -> LineReport:
    records = line_calls(session, snapshot.line_ids[line.slug], period)
    traffic = traffic_report(records, period, bool(line.after_hours_email))
    events = period_events(session, period.start, period.end, snapshot, line_slug=line.slug)
    per_pool = pool_thresholds(snapshot, {event.pool for event in events})
    thresholds = Thresholds(line.queue.service_level_seconds, line.queue.short_abandon_seconds)
    wrapup = line.queue.wrapup_seconds(None)
    callers = caller_records(events)  # built once for the three groupings
    overall = tally(callers, thresholds, per_pool)
    by_hour = group_stats(callers, hour_joined(period.zone), thresholds, per_pool)
    by_slot = group_stats(callers, week_slot_joined(period.zone), thresholds, per_pool)
    demand = _demand(records, by_slot, period, overall, wrapup)
    shift_offset = _offsets(session, pools, line.schedule.timezone, now)
    slots = coverage(
        week_minutes(WeeklyWindow(s.weekday, s.start, s.end) for s in line.schedule.shifts),
        [week_minutes(windows, offset) for windows, offset in shift_offset],
        demand, thresholds.service_level_seconds, target_level)
    return LineReport(traffic, overall, {hour: by_hour.get(hour, QueueStats()) for hour in range(24)}, thresholds,
                      target_level, wrapup, slots)


def _demand(records: list[CallRecord], by_slot: dict[tuple[int, int], QueueStats], period: Period,
            overall: QueueStats, wrapup: int) -> list[SlotDemand]:
    """Per weekday-hour: calls wanting a listener while open, and the handle time (talk + wrap-up) seen there."""
    occurrences = weekday_occurrences(period.first, period.last + timedelta(days=1))
    calls: dict[tuple[int, int], int] = {}
    for record in records:
        if record.wanted_a_listener_while_open:
            local = record.started_at.astimezone(period.zone)
            calls[local.weekday(), local.hour] = calls.get((local.weekday(), local.hour), 0) + 1
    demand = []
    for (weekday, hour), count in calls.items():
        talk = by_slot.get((weekday, hour), QueueStats()).average_talk
        source = "slot"
        if talk is None:
            talk, source = overall.average_talk, "period"
        if talk is None:
            talk, source = DEFAULT_HANDLE_SECONDS, "default"
        demand.append(SlotDemand(weekday, hour, count, occurrences[weekday], talk + wrapup, source))
    return demand


def _offsets(session: Session, pools: list[str], line_zone: str, now: datetime):
    """Each active listener of the pools: their weekly shifts, moved into the line's time zone if need be.

    A shift written in another zone is moved by the zones' difference at ``now`` (a typical week, not dated).
    """
    listener_ids = select(ListenerPool.listener_id).where(ListenerPool.pool.in_(pools))
    rows = session.execute(
        select(ListenerShift.listener_id, ListenerShift.weekday, ListenerShift.starts, ListenerShift.ends,
               ListenerShift.timezone)
        .join(Listener, Listener.id == ListenerShift.listener_id)
        .where(Listener.active.is_(True), ListenerShift.listener_id.in_(listener_ids))
        .order_by(ListenerShift.listener_id, ListenerShift.weekday, ListenerShift.starts))
    by_listener: dict[int, list[tuple[WeeklyWindow, int]]] = {}
    line_offset = now.astimezone(ZoneInfo(line_zone)).utcoffset()
    for listener_id, weekday, starts, ends, zone in rows:
        difference = line_offset - now.astimezone(ZoneInfo(zone)).utcoffset()
        by_listener.setdefault(listener_id, []).append(
            (WeeklyWindow(weekday, starts, ends), int(difference.total_seconds() // 60)))
    # One listener's shifts share a zone in practice; the first shift's offset moves them all.
    return [([w for w, _ in shifts], shifts[0][1]) for shifts in by_listener.values()]

