"""What a line's live board shows, as one plain dict for the first paint and the JSON the page polls.

Callers appear by position, pool, language and time waited only: never a number, never a call's id.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from console.overview import line_pools, status_view
from console.roster.words import STATUS_ORDER, language_label, percent_words, wait_words
from console.texts import t
from routing.model import Line
from store.dispatch import waited
from store.metrics import queue_stats
from store.roster import listeners_in_pools, waiting_in_pools
from store.snapshot import Snapshot

POLL_SECONDS = 5


def board(session: Session, snapshot: Snapshot, line: Line, now: datetime) -> dict:
    zone = ZoneInfo(line.schedule.timezone)
    pools = line_pools(line)
    waiting = _waiting(session, pools, now)
    groups = _listener_groups(session, pools, zone)
    available = next(g["count"] for g in groups if g["status"] == "available")
    status = status_view(line.schedule, now)
    return {
        "line": {"slug": line.slug, "name": line.name},
        "status": {"open": status.is_open, "text": f"{t('dashboard.open') if status.is_open else t('dashboard.closed')}"
                                                   f" — {status.reason}"},
        "updated": t("live.updated", time=now.astimezone(zone).strftime("%H:%M:%S")),
        "summary": t("live.summary", waiting=len(waiting), available=available),
        "waiting": waiting,
        "waiting_empty": t("live.nobody_waiting"),
        "listeners": groups,
        "today": _today(session, snapshot, line, zone, now),
    }


def _waiting(session: Session, pools: list[str], now: datetime) -> list[dict]:
    rows, position, previous_pool = [], 0, None
    for caller in waiting_in_pools(session, pools):
        position = position + 1 if caller.pool == previous_pool else 1
        previous_pool = caller.pool
        seconds = waited(caller, now)
        rows.append({
            "position": position,
            "pool": caller.pool,
            "language": language_label(caller.language),
            "wait_seconds": seconds,
            "wait": wait_words(seconds),
            "state": t("live.ringing" if caller.status == "offered" else "live.waiting"),
        })
    return rows


def _listener_groups(session: Session, pools: list[str], zone: ZoneInfo) -> list[dict]:
    by_status: dict[str, list[dict]] = {status: [] for status in STATUS_ORDER}
    for listener in listeners_in_pools(session, pools, active=True):
        since = listener.status_since.astimezone(zone).strftime("%H:%M")
        by_status.setdefault(listener.status, []).append(
            {"name": listener.name, "since": t("live.since", time=since)})
    return [{"status": status, "label": t(f"live.group_{status}"), "count": len(people), "people": people,
             "empty": t("live.nobody")}
            for status, people in by_status.items()]


def _today(session: Session, snapshot: Snapshot, line: Line, zone: ZoneInfo, now: datetime) -> dict:
    """Since local midnight: the service level within the pool's threshold and the abandon rate."""
    today = now.astimezone(zone).date()
    midnight = datetime.combine(today, time(0), tzinfo=zone)
    # The whole local day, not [midnight, now): a caller who joined this very second counts already.
    stats = queue_stats(session, midnight, datetime.combine(today + timedelta(days=1), time(0), tzinfo=zone),
                        snapshot, line_slug=line.slug)
    return {
        "service_level": percent_words(stats.service_level),
        "service_level_label": t("live.service_level", seconds=line.queue.service_level_seconds),
        "abandon_rate": percent_words(stats.abandon_rate),
        "offered": stats.offered,
        "answered": stats.answered,
        "abandoned": stats.abandoned,
    }
