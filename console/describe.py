"""Opening status, dates, weekly hours and overflow rules put into the console's words (French first)."""

from __future__ import annotations

from datetime import date, datetime, time

from babel.dates import get_timezone_location

from console.texts import MONTHS, WEEKDAYS, current_language, t
from routing.model import ActionKind, Condition, OverflowRule, When
from schedules import Reason, Schedule, Status

CLOSED_REASON_KEYS = {
    Reason.OVERRIDE_CLOSED: "status.override_closed",
    Reason.CLOSURE: "status.closure",
    Reason.HOLIDAY: "status.holiday",
    Reason.OUTSIDE_HOURS: "status.outside_hours",
}


def clock_time(moment: time | datetime) -> str:
    return f"{moment.hour:02d}:{moment.minute:02d}"


def zone_city(timezone: str, language: str | None = None) -> str:
    """A time zone as people say it, from the Unicode CLDR: "Bruxelles", "Paris", "La Réunion" (Indian/Reunion)."""
    try:
        return get_timezone_location(timezone, locale=language or current_language(), return_city=True)
    except LookupError:
        return timezone


def day_words(day: date, language: str | None = None) -> str:
    language = language or current_language()
    return t("date.day", language, weekday=WEEKDAYS[language][day.weekday()], day=_day_number(day, language),
             month=MONTHS[language][day.month - 1], year=day.year)


def moment_words(moment: datetime, now: datetime | None = None, language: str | None = None) -> str:
    """"aujourd'hui à 19:00", "demain à 09:00" or "lundi 30 novembre 2026 à 09:00", in ``moment``'s zone."""
    language = language or current_language()
    if now is not None:
        today = now.astimezone(moment.tzinfo).date()
        if moment.date() == today:
            return t("date.today", language, time=clock_time(moment))
        if moment.date().toordinal() == today.toordinal() + 1:
            return t("date.tomorrow", language, time=clock_time(moment))
    return t("date.full", language, weekday=WEEKDAYS[language][moment.weekday()],
             day=_day_number(moment.date(), language), month=MONTHS[language][moment.month - 1],
             year=moment.year, time=clock_time(moment))


def _day_number(day: date, language: str) -> str:
    return "1er" if language == "fr" and day.day == 1 else str(day.day)


def status_reason(status: Status) -> str:
    """Why the schedule is open or closed, with the closure's, override's or holiday's own words."""
    if status.is_open:
        text = t("status.override_open" if status.reason is Reason.OVERRIDE_OPEN else "status.open_hours")
    else:
        text = t(CLOSED_REASON_KEYS.get(status.reason, "status.outside_hours"))
    return t("status.with_detail", reason=text, detail=status.detail) if status.detail else text


def status_change(status: Status, now: datetime) -> str:
    if status.changes_at is None:
        return t("status.no_change")
    key = "status.closes_at" if status.is_open else "status.reopens_at"
    return t(key, moment=moment_words(status.changes_at, now))


def weekly_hours(schedule: Schedule) -> list[tuple[str, list[str]]]:
    """One row a weekday, Monday first: its name and its shifts ("21:00–02:00" crosses midnight)."""
    language = current_language()
    rows = []
    for weekday in range(7):
        shifts = sorted((s for s in schedule.shifts if s.weekday == weekday), key=lambda s: s.start)
        rows.append((WEEKDAYS[language][weekday],
                     [f"{clock_time(s.start)}–{_end(s.end)}" for s in shifts] or [t("line.closed_all_day")]))
    return rows


def _end(moment: time) -> str:
    return "24:00" if moment == time(0) else clock_time(moment)


def condition_words(when: When) -> str:
    condition = when.condition
    if condition is Condition.CLOSED and when.reason is not None:
        return t("cond.closed_for", reason=t(CLOSED_REASON_KEYS.get(when.reason, "status.outside_hours")))
    if condition in (Condition.QUEUE_LENGTH_AT_LEAST, Condition.ESTIMATED_WAIT_AT_LEAST):
        return t(f"cond.{condition.value}", n=when.threshold or 0)
    return t(f"cond.{condition.value}")


def _message_words(action) -> str:
    """The shared prompt as callers hear it (in French), not its key."""
    from ivr import prompts

    try:
        return prompts.render(action.prompt, "fr", line_name="…", country="FR")
    except Exception:  # noqa: BLE001 — a prompt needing call facts: its key is the best we can show
        return action.prompt


def rule_words(rule: OverflowRule) -> str:
    action = rule.action
    if action.kind is ActionKind.MESSAGE:
        words = t("action.message", target=_message_words(action)) if action.prompt else t("action.message_text")
    elif action.kind in (ActionKind.QUEUE, ActionKind.FORWARD):
        words = t(f"action.{action.kind.value}", target=action.label.fr if action.label else action.name or action.target or action.number or "")
    else:
        words = t(f"action.{action.kind.value}")
    conditions = [w for w in rule.when if w.condition is not Condition.ALWAYS]
    if not conditions:
        return t("chain.always", action=words)
    return t("chain.if", conditions=t("chain.and").join(condition_words(w) for w in conditions), action=words)
