"""A schedule's state in words: open or closed, why, and until when ("Fermée … — rouvre demain à 09:00").

The console shows these on its pages; the audit log keeps them before and after an override, whether the console
or the coordinators' phone line placed it, so both read the same words from here.
"""

from __future__ import annotations

from datetime import date, datetime, time

from schedules import Reason, Schedule, Status, status_at
from words.catalogue import MONTHS, WEEKDAYS, known_language, text

CLOSED_REASON_KEYS = {
    Reason.OVERRIDE_CLOSED: "status.override_closed",
    Reason.CLOSURE: "status.closure",
    Reason.HOLIDAY: "status.holiday",
    Reason.OUTSIDE_HOURS: "status.outside_hours",
}


def clock_time(moment: time | datetime) -> str:
    return f"{moment.hour:02d}:{moment.minute:02d}"


def day_number(day: date, language: str) -> str:
    return "1er" if language == "fr" and day.day == 1 else str(day.day)


def moment_words(moment: datetime, now: datetime | None, language: str) -> str:
    """"aujourd'hui à 19:00", "demain à 09:00" or "lundi 30 novembre 2026 à 09:00", in ``moment``'s zone."""
    language = known_language(language)
    if now is not None:
        today = now.astimezone(moment.tzinfo).date()
        if moment.date() == today:
            return text("date.today", language, time=clock_time(moment))
        if moment.date().toordinal() == today.toordinal() + 1:
            return text("date.tomorrow", language, time=clock_time(moment))
    return text("date.full", language, weekday=WEEKDAYS[language][moment.weekday()],
                day=day_number(moment.date(), language), month=MONTHS[language][moment.month - 1],
                year=moment.year, time=clock_time(moment))


def status_reason(status: Status, language: str) -> str:
    """Why the schedule is open or closed, with the closure's, override's or holiday's own words."""
    if status.is_open:
        words = text("status.override_open" if status.reason is Reason.OVERRIDE_OPEN else "status.open_hours",
                     language)
    else:
        words = text(CLOSED_REASON_KEYS.get(status.reason, "status.outside_hours"), language)
    return text("status.with_detail", language, reason=words, detail=status.detail) if status.detail else words


def status_change(status: Status, now: datetime, language: str) -> str:
    if status.changes_at is None:
        return text("status.no_change", language)
    key = "status.closes_at" if status.is_open else "status.reopens_at"
    return text(key, language, moment=moment_words(status.changes_at, now, language))


def status_words(schedule: Schedule, now: datetime, language: str) -> str:
    """The schedule's state in one line, as the audit log keeps it: "Fermée par décision … — rouvre …"."""
    status = status_at(schedule, now)
    badge = text("dashboard.open" if status.is_open else "dashboard.closed", language)
    return f"{badge} {status_reason(status, language)} — {status_change(status, now, language)}"
