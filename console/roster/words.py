"""The roster's values in the console's words: statuses, shifts, languages, skills, waits and rates."""

from __future__ import annotations

from console.describe import clock_time, zone_city
from console.texts import WEEKDAYS, current_language, t
from store.models import ListenerShift

# The order a coordinator reads a team in: who can take a call now first, who is away last.
STATUS_ORDER = ("available", "ringing", "on_call", "wrap_up", "paused", "offline")


def status_label(status: str) -> str:
    """"disponible", "en pause"...: one listener's status."""
    return t(f"presence.{status}") if status in STATUS_ORDER else status


def shift_words(shift: ListenerShift) -> str:
    """"lundi 22:00–06:00 (le lendemain), heure de Paris"."""
    day = WEEKDAYS[current_language()][shift.weekday]
    key = "shift.overnight" if shift.ends <= shift.starts else "shift.same_day"
    return t(key, day=day, starts=clock_time(shift.starts), ends=clock_time(shift.ends), zone=zone_city(shift.timezone))


def language_label(code: str) -> str:
    words = t(f"language.{code}")
    return code if words == f"language.{code}" else words


def skill_label(code: str) -> str:
    words = t(f"skill.{code}")
    return code.replace("_", " ") if words == f"skill.{code}" else words


def wait_words(seconds: int) -> str:
    minutes, rest = divmod(max(0, int(seconds)), 60)
    return t("live.wait", minutes=minutes, seconds=f"{rest:02d}") if minutes else t("live.wait_seconds",
                                                                                   seconds=rest)


def percent_words(ratio: float | None) -> str:
    return t("live.none_yet") if ratio is None else t("live.percent", n=round(ratio * 100))
