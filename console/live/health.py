"""The live board's banner: what fails (Twilio's REST API, the scheduler), since when, and what callers get."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from console.describe import clock_time, moment_words, rule_words, zone_city
from console.roster.words import wait_words
from console.texts import t
from routing.model import ActionKind, Line
from store.service_health import Trouble, troubles


def health_banners(session: Session, line: Line, now: datetime) -> list[dict]:
    """One banner per trouble, in the account's language, its times in the line's; ``key`` changes only when
    the trouble does (the script redraws, and screen readers hear the alert, only then)."""
    banners = []
    for trouble in troubles(session, now):
        banner = _banner(trouble, line, now)
        banner["key"] = f"{trouble.what}:{trouble.since.isoformat() if trouble.since else ''}"
        banner["callers_label"] = t("health.callers_label")
        banners.append(banner)
    return banners


def _banner(trouble: Trouble, line: Line, now: datetime) -> dict:
    zone = ZoneInfo(line.schedule.timezone)
    since = _since_words(trouble.since.astimezone(zone), now, zone_city(line.schedule.timezone)) \
        if trouble.since else t("health.since_never")
    if trouble.what == "twilio_rest":
        return {"what": trouble.what, "title": t("health.rest_title"), "since": since,
                "detail": t("health.rest_detail", detail=trouble.detail, failures=trouble.failures),
                "callers": _callers_without_rest(line), "action": t("health.rest_action")}
    return {"what": trouble.what, "title": t("health.scheduler_title"), "since": since, "detail": "",
            "callers": t("health.scheduler_callers"), "action": t("health.scheduler_action")}


def _since_words(since: datetime, now: datetime, city: str) -> str:
    """"Depuis aujourd'hui à 10:00 (heure de Bruxelles)." or, another day, "Depuis le lundi 23 novembre 2026 à …"."""
    if since.date() == now.astimezone(since.tzinfo).date():
        return t("health.since_today", time=clock_time(since), zone=city)
    return t("health.since", moment=moment_words(since), zone=city)


def _callers_without_rest(line: Line) -> str:
    """Callers still hear the line and wait in its queue, but no listener's phone can be rung: after the queue's
    longest wait the chain goes on (the rule after the queue's), or the line's last rules apply."""
    queue = next((index for index, rule in enumerate(line.rules) if rule.action.kind is ActionKind.QUEUE), None)
    if queue is None:
        return t("health.rest_callers_no_queue")
    after = line.rules[queue + 1] if queue + 1 < len(line.rules) else None
    then = rule_words(after) if after is not None else t("health.rest_then_fallback")
    return t("health.rest_callers", wait=wait_words(line.queue.max_wait), then=then[:1].lower() + then[1:])
