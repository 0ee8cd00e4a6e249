"""What the dashboard and a line's page show: status now, queues, callbacks, hours, holidays, chain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from babel import Locale
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from console.describe import day_words, moment_words, rule_words, status_change, status_reason, weekly_hours
from console.texts import current_language, t
from routing.model import ActionKind, Centre, Line
from schedules import OverrideMode, Schedule, status_at, upcoming_holidays
from store.callbacks import OPEN as OPEN_CALLBACKS
from store.listeners import pool_state
from store.models import CallbackRequest
from store.snapshot import Snapshot

HOLIDAY_DAYS = 365


@dataclass(frozen=True)
class StatusView:
    is_open: bool
    reason: str
    change: str


@dataclass(frozen=True)
class PoolView:
    name: str
    waiting: int
    available: int
    logged_in: int


@dataclass(frozen=True)
class LineView:
    slug: str
    name: str
    display_number: str
    status: StatusView
    pools: list[PoolView]
    pending_callbacks: int


@dataclass(frozen=True)
class CentreView:
    slug: str
    name: str
    status: StatusView


@dataclass(frozen=True)
class LineDetail:
    line: LineView
    timezone: str
    hours: list[tuple[str, list[str]]]
    holiday_rule: str
    holidays: list[tuple[str, str]]
    closures: list[str]
    rules: list[str]


def status_view(schedule: Schedule, now: datetime) -> StatusView:
    status = status_at(schedule, now)
    return StatusView(status.is_open, status_reason(status), status_change(status, now))


def line_pools(line: Line) -> list[str]:
    """The line's own pool, then every pool its chain queues callers in, each once."""
    pools = [line.pool] + [r.action.target for r in line.rules if r.action.kind is ActionKind.QUEUE]
    return [p for p in dict.fromkeys(pools) if p]


def line_view(session: Session, snapshot: Snapshot, line: Line, now: datetime) -> LineView:
    pools = []
    for pool in line_pools(line):
        state = pool_state(session, pool, now)
        pools.append(PoolView(pool, state.queue_length, state.available, state.logged_in))
    callbacks = session.scalar(
        select(func.count()).select_from(CallbackRequest)
        .where(CallbackRequest.line_id == snapshot.line_ids.get(line.slug),
               CallbackRequest.status.in_(OPEN_CALLBACKS))
    ) or 0
    return LineView(line.slug, line.name, line.display_number, status_view(line.schedule, now), pools, callbacks)


def visible_lines(snapshot: Snapshot, allowed) -> list[Line]:
    return sorted((l for l in snapshot.lines_by_slug.values() if allowed("line", l.slug)), key=lambda l: l.name)


def visible_centres(snapshot: Snapshot, allowed) -> list[Centre]:
    centres = {c.slug: c for c in snapshot.centres.values() if allowed("centre", c.slug)}
    return sorted(centres.values(), key=lambda c: c.name)


def centre_view(centre: Centre, now: datetime) -> CentreView:
    return CentreView(centre.slug, centre.name, status_view(centre.schedule, now))


def line_detail(session: Session, snapshot: Snapshot, line: Line, now: datetime) -> LineDetail:
    schedule = line.schedule
    local_today = now.astimezone(ZoneInfo(schedule.timezone)).date()
    calendar = schedule.holidays
    if calendar is None:
        holiday_rule, holidays = t("line.no_holidays"), []
    else:
        where = Locale.parse(current_language()).territories.get(calendar.country, calendar.country) + (
            f" ({calendar.subdivision})" if calendar.subdivision else "")
        holiday_rule = t("line.holidays_close" if calendar.closes else "line.holidays_stay_open", country=where)
        holidays = [(day_words(day), name) for day, name in upcoming_holidays(calendar, local_today, HOLIDAY_DAYS)]
    return LineDetail(
        line=line_view(session, snapshot, line, now),
        timezone=schedule.timezone,
        hours=weekly_hours(schedule),
        holiday_rule=holiday_rule,
        holidays=holidays,
        closures=_closures_ahead(schedule, now),
        rules=[rule_words(rule) for rule in line.rules],
    )


def _closures_ahead(schedule: Schedule, now: datetime) -> list[str]:
    zone = ZoneInfo(schedule.timezone)
    found: list[tuple[datetime, str]] = []
    for closure in schedule.closures:
        if closure.ends_at > now:
            found.append((closure.starts_at, t("line.closure", start=moment_words(closure.starts_at.astimezone(zone)),
                                               end=moment_words(closure.ends_at.astimezone(zone)),
                                               reason=closure.reason)))
    for override in schedule.overrides:
        if override.until is not None and override.until <= now:
            continue
        until = (t("line.until", moment=moment_words(override.until.astimezone(zone))) if override.until
                 else t("line.until_next_change"))
        key = "line.override_open" if override.mode is OverrideMode.OPEN else "line.override_closed"
        found.append((override.starts_at, t(key, start=moment_words(override.starts_at.astimezone(zone)),
                                            until=until, reason=override.reason or "—")))
    return [text for _, text in sorted(found, key=lambda item: item[0])]
