"""Opening status, dates, weekly hours and overflow rules put into the console's words (French first)."""

from __future__ import annotations

from datetime import date, datetime, time

from babel.dates import get_timezone_location

from console.texts import MONTHS, WEEKDAYS, current_language, t
from routing.model import ActionKind, Condition, OverflowRule, When
from schedules import Schedule, Status
from words import status as schedule_words
from words.status import CLOSED_REASON_KEYS, clock_time, day_number

__all__ = ["clock_time", "condition_words", "day_words", "moment_words", "rule_words", "status_change",
           "status_reason", "weekly_hours"]


def zone_city(timezone: str, language: str | None = None) -> str:
    """A time zone as people say it, from the Unicode CLDR: "Bruxelles", "Paris", "La Réunion" (Indian/Reunion)."""
    try:
        return get_timezone_location(timezone, locale=language or current_language(), return_city=True)
    except LookupError:
        return timezone


def day_words(day: date, language: str | None = None) -> str:
    language = language or current_language()
    return t("date.day", language, weekday=WEEKDAYS[language][day.weekday()], day=day_number(day, language),
             month=MONTHS[language][day.month - 1], year=day.year)


def moment_words(moment: datetime, now: datetime | None = None, language: str | None = None) -> str:
    """"aujourd'hui à 19:00", "demain à 09:00" or "lundi 30 novembre 2026 à 09:00", in ``moment``'s zone."""
    return schedule_words.moment_words(moment, now, language or current_language())


def status_reason(status: Status) -> str:
    """Why the schedule is open or closed, in the console's language (words.status)."""
    return schedule_words.status_reason(status, current_language())


def status_change(status: Status, now: datetime) -> str:
    return schedule_words.status_change(status, now, current_language())


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
