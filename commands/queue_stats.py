"""`helpline queue stats`: service level, abandons and waits of a pool or line over a period, for coordinators."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from flask import current_app
from flask.cli import with_appcontext

from routing.metrics import QueueStats, Thresholds, queue_stats, stats_by_day, stats_by_hour
from store.extension import database, directory
from store.metrics import period_events, pool_thresholds
from store.reports import local_midnight

UNDEFINED = "—"
LEFT_LABELS = {"left_key": "by key (callback request)", "left_max_wait": "at the maximum wait",
               "moved_on": "moved on (no listener logged in)", "left": "other (queue full, error)"}


@click.group("queue")
def queue_group() -> None:
    """Queue history and metrics."""


def percent(value: float | None) -> str:
    return UNDEFINED if value is None else f"{value * 100:.1f}%"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return UNDEFINED
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def summary_lines(stats: QueueStats, service_level: str, short_abandon: str) -> list[str]:
    rows = [
        ("Callers who joined", str(stats.offered)),
        ("Answered", str(stats.answered)),
        (f"  within {service_level}", str(stats.answered_within)),
        ("Abandoned (hung up waiting)", str(stats.abandoned)),
        (f"  short, within {short_abandon}", str(stats.short_abandons)),
        ("Left the queue", str(stats.left)),
        *((f"  {LEFT_LABELS[kind]}", str(count)) for kind, count in stats.left_by_kind.items()),
        ("Still waiting or no outcome", str(stats.waiting)),
        (f"Service level ({service_level})", percent(stats.service_level)),
        ("Service level counting abandons", percent(stats.service_level_with_abandons)),
        ("Abandon rate (short ones excluded)", percent(stats.abandon_rate)),
        ("Average wait, answered (m:ss)", duration(stats.average_wait)),
        ("Longest wait, answered (m:ss)", duration(stats.longest_wait)),
        ("Average wait before abandon (m:ss)", duration(stats.average_abandon_wait)),
        ("Average talk (m:ss)", duration(stats.average_talk)),
        ("Offers to listeners", str(stats.offers)),
        ("Missed offers", f"{stats.missed_offers} ({percent(stats.miss_rate)})"),
    ]
    return [f"{label:<38}{value:>12}" for label, value in rows]


def table_header(first: str) -> str:
    return (f"{first:<12}{'joined':>7}{'answd':>7}{'aband':>7}{'short':>7}{'left':>6}{'SL':>8}{'SL+ab':>8}"
            f"{'aband%':>8}{'avg wait':>10}")


def table_line(label: str, stats: QueueStats) -> str:
    return (f"{label:<12}{stats.offered:>7}{stats.answered:>7}{stats.abandoned:>7}{stats.short_abandons:>7}"
            f"{stats.left:>6}{percent(stats.service_level):>8}{percent(stats.service_level_with_abandons):>8}"
            f"{percent(stats.abandon_rate):>8}{duration(stats.average_wait):>10}")


def _timezone(name: str | None, snapshot, pool: str | None, line_slug: str | None) -> tuple[ZoneInfo, str]:
    """--tz, else the line's (or the pool's line's) timezone, else the one all lines share, else UTC (said so)."""
    if name:
        try:
            return ZoneInfo(name), name
        except (ZoneInfoNotFoundError, ValueError):
            raise click.BadParameter(f"unknown timezone {name!r}", param_hint="--tz") from None
    line = snapshot.lines_by_slug.get(line_slug) if line_slug else snapshot.line_for_pool(pool) if pool else None
    if line is not None:
        return ZoneInfo(line.schedule.timezone), line.schedule.timezone
    zones = {line.schedule.timezone for line in snapshot.lines_by_slug.values()}
    if len(zones) == 1:
        only = zones.pop()
        return ZoneInfo(only), only
    return ZoneInfo("UTC"), "UTC: the lines' timezones differ, give --tz"


def _threshold_labels(limits: set[Thresholds]) -> tuple[str, str]:
    service = {t.service_level_seconds for t in limits}
    short = {t.short_abandon_seconds for t in limits}
    # Pools may set different thresholds; each caller is judged by its own pool's.
    return (f"{service.pop()} s" if len(service) == 1 else "each pool's threshold",
            f"{short.pop()} s" if len(short) == 1 else "each pool's threshold")


@queue_group.command("stats")
@click.option("--pool", help="Only callers who joined this pool.")
@click.option("--line", "line_slug", help="Only callers whose call came in on this line (slug).")
@click.option("--from", "first_day", type=click.DateTime(["%Y-%m-%d"]),
              help="First local day, included. Default: the first of this month.")
@click.option("--to", "end_day", type=click.DateTime(["%Y-%m-%d"]),
              help="Local day the period ends, excluded. Default: tomorrow (so today is counted).")
@click.option("--tz", "tz_name", help="IANA timezone for days and hours. Default: the line's.")
@click.option("--by-hour", is_flag=True, help="Also a table per local hour of day (when callers joined).")
@click.option("--by-day", is_flag=True, help="Also a table per local day.")
@with_appcontext
def queue_stats_command(pool: str | None, line_slug: str | None, first_day: datetime | None,
                        end_day: datetime | None, tz_name: str | None, by_hour: bool, by_day: bool) -> None:
    """Queue figures for callers who joined within [--from, --to), counted by the day and hour they joined.

    Service level = answered within the threshold / answered; counting abandons, the denominator is
    answered + abandoned − short abandons. Abandon rate = (abandoned − short) / (joined − short).
    """
    if pool and line_slug:
        raise click.UsageError("give --pool or --line, not both")
    now = current_app.config["CLOCK"]()
    with database.session() as session:
        snapshot = directory.get(session, now)
        if line_slug and line_slug not in snapshot.lines_by_slug:
            raise click.BadParameter(f"no line {line_slug!r}", param_hint="--line")
        tz, tz_label = _timezone(tz_name, snapshot, pool, line_slug)
        first, end = _period(first_day, end_day, now.astimezone(tz).date())
        start_at, end_at = local_midnight(first, tz), local_midnight(end, tz)
        events = period_events(session, start_at, end_at, snapshot, pool, line_slug)
        per_pool = pool_thresholds(snapshot, {event.pool for event in events})
        service_level, short_abandon = _threshold_labels(_judged(snapshot, events, per_pool, pool))
    stats = queue_stats(events, per_pool=per_pool)
    hours = stats_by_hour(events, tz, per_pool=per_pool) if by_hour else {}
    days = stats_by_day(events, tz, per_pool=per_pool) if by_day else {}
    scope = f"pool {pool}" if pool else f"line {line_slug}" if line_slug else "all queues"
    click.echo(f"Queue statistics, {scope}: callers who joined from {first} to {end - timedelta(days=1)} "
               f"included ({tz_label})")
    for text in summary_lines(stats, service_level, short_abandon):
        click.echo(text)
    if by_day:
        _echo_table("day", {day.isoformat(): figures for day, figures in days.items()})
    if by_hour:
        _echo_table("hour joined", {f"{hour:02d}:00": figures for hour, figures in hours.items()})


def _period(first_day: datetime | None, end_day: datetime | None, today: date) -> tuple[date, date]:
    """[first, end) in local days: by default from the first of this month to tomorrow (today counted)."""
    first = first_day.date() if first_day else today.replace(day=1)
    end = end_day.date() if end_day else today + timedelta(days=1)
    if end <= first:
        raise click.UsageError("--to must be after --from")
    return first, end


def _judged(snapshot, events, per_pool: dict, pool: str | None) -> set:
    """The thresholds that judged these callers; with nobody, those that would have."""
    return ({per_pool.get(event.pool, Thresholds()) for event in events}
            or set(pool_thresholds(snapshot, {pool} if pool else None).values()) or {Thresholds()})


def _echo_table(label: str, rows: dict) -> None:
    click.echo("")
    click.echo(table_header(label))
    for key, figures in rows.items():
        click.echo(table_line(key, figures))

