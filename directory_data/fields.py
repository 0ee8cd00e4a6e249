"""Validators for the values written in directory files: numbers, hours, holidays, texts, targets."""
# Over 300 lines: the value checkers that lines, centres and associations files share, each a few lines.

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from directory_data.problems import Problem
from directory_data.reference import load_services
from phones.numbers import e164

DATA_DIR = Path(__file__).parent
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_GROUPS = {"daily": WEEKDAYS, "weekdays": WEEKDAYS[:5], "weekend": WEEKDAYS[5:]}
CLOSED_REASONS = ("holiday", "closure", "override_closed", "outside_hours")
ACTIONS = ("queue", "forward", "handoff", "message", "callback", "notify_email", "end", "association")
SIMPLE_CONDITIONS = ("always", "open", "closed", "no_listener_logged_in", "no_listener_available", "forward_failed")
THRESHOLD_CONDITIONS = ("queue_length", "estimated_wait")
LANGUAGES = ("fr", "en")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
SHIFT = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class DirectoryError(Exception):
    """Every problem found in the directory files, one line each: ``file: key.path: what is wrong``."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class Problems:
    """The problems found in one file; each is added as a code with its values (directory_data/problems.py)."""

    file: str
    found: list[Problem] = field(default_factory=list)

    def add(self, path: str, code: str, **values: Any) -> None:
        self.found.append(Problem(self.file, path, code, **values))


def check_required_text(raw: dict, key: str, problems: Problems) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        problems.add(key, "required_text")
        return ""
    return value.strip()


def check_numbers(value: Any, country: str, path: str, problems: Problems) -> list[str]:
    if not isinstance(value, list) or not value:
        problems.add(path, "no_number")
        return []
    numbers = []
    for index, item in enumerate(value):
        number = e164(item, country)
        if number is None:
            problems.add(f"{path}[{index}]", "phone_number", value=item)
        elif number in numbers:
            problems.add(f"{path}[{index}]", "number_twice", value=number)
        else:
            numbers.append(number)
    return numbers


def check_timezone(value: Any, path: str, problems: Problems) -> str:
    try:
        ZoneInfo(str(value))
        return str(value)
    except (ZoneInfoNotFoundError, ValueError):
        problems.add(path, "timezone", value=value)
        return "Europe/Paris"


def check_language(value: Any, path: str, problems: Problems) -> str:
    if value not in LANGUAGES:
        problems.add(path, "language", value=value, choices=", ".join(LANGUAGES))
        return "fr"
    return value


def check_voices(value: Any, problems: Problems) -> dict[str, str]:
    if not isinstance(value, dict):
        problems.add("voices", "voices")
        return {}
    for language in value:
        check_language(language, f"voices.{language}", problems)
    return {str(k): str(v) for k, v in value.items()}


def check_localized(value: Any, path: str, problems: Problems, required: bool = False) -> dict[str, str] | None:
    if value is None:
        if required:
            problems.add(path, "message_missing")
        return None
    if isinstance(value, str):
        return {"fr": value.strip()}
    if not isinstance(value, dict) or not isinstance(value.get("fr"), str):
        problems.add(path, "message_shape")
        return None
    for language in value:
        check_language(language, f"{path}.{language}", problems)
    return {k: str(v).strip() for k, v in value.items()}


def check_bool(value: Any, path: str, problems: Problems) -> bool:
    if not isinstance(value, bool):
        problems.add(path, "boolean")
        return False
    return value


def check_int(value: Any, path: str, problems: Problems, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        problems.add(path, "whole_number", low=low, high=high)
        return low
    return value


def check_key(value: Any, path: str, problems: Problems) -> str | None:
    if value is None:
        return None
    value = str(value)
    if value not in "0123456789*#" or len(value) != 1:
        problems.add(path, "keypad_key")
        return None
    return value


def check_choice(value: Any, choices: tuple[str, ...], path: str, problems: Problems) -> str:
    if value not in choices:
        problems.add(path, "choice", choices=", ".join(choices))
        return choices[0]
    return value


def check_email(value: Any, problems: Problems) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not re.match(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", value):
        problems.add("after_hours_email", "email", value=value)
        return None
    return value


def check_hours(value: Any, path: str, problems: Problems) -> dict[str, list[str]]:
    """``{"mon-fri": "09:00-19:00", "sat": ["09:00-12:00", "14:00-17:00"]}`` → one list per weekday."""
    hours: dict[str, list[str]] = {}
    if value is None:
        return hours
    if not isinstance(value, dict):
        problems.add(path, "hours_shape")
        return hours
    for key, spec in value.items():
        days = weekdays_of(str(key))
        if days is None:
            problems.add(f"{path}.{key}", "unknown_day")
            continue
        shifts = spec if isinstance(spec, list) else str(spec).split(",") if spec else []
        for index, text in enumerate(shifts):
            parsed = parse_shift(str(text))
            if parsed is None:
                # An index only helps when the person wrote a list; a single value is named by its day key.
                where = f"{path}.{key}[{index}]" if isinstance(spec, list) else f"{path}.{key}"
                problems.add(where, "time_range", value=str(text).strip())
                continue
            for day in days:
                hours.setdefault(day, []).append(format_shift(*parsed))
    for day in hours:
        hours[day] = sorted(set(hours[day]))
    return {day: hours[day] for day in WEEKDAYS if day in hours}


def grouped_hours(hours: dict[str, list[str]]) -> dict[str, list[str]]:
    """Consecutive days with the same shifts become one range (mon-fri), as a person would write it."""
    grouped: dict[str, list[str]] = {}
    run: list[str] = []
    for day in WEEKDAYS + ("",):
        if run and (day == "" or hours.get(day) != hours.get(run[0])):
            if hours.get(run[0]):
                key = run[0] if len(run) == 1 else f"{run[0]}-{run[-1]}"
                grouped["daily" if len(run) == 7 else key] = list(hours[run[0]])
            run = []
        if day:
            run.append(day)
    return grouped


def weekdays_of(key: str) -> tuple[str, ...] | None:
    key = key.strip().lower()
    if key in DAY_GROUPS:
        return DAY_GROUPS[key]
    if key in WEEKDAYS:
        return (key,)
    if "-" in key:
        first, _, last = key.partition("-")
        if first in WEEKDAYS and last in WEEKDAYS:
            a, b = WEEKDAYS.index(first), WEEKDAYS.index(last)
            return WEEKDAYS[a : b + 1] if a <= b else WEEKDAYS[a:] + WEEKDAYS[: b + 1]
    return None


def parse_shift(text: str) -> tuple[time, time] | None:
    match = SHIFT.match(text)
    if not match:
        return None
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    until_midnight = (h2, m2) == (24, 0)
    if until_midnight:
        h2 = 0
    # "00:00-24:00" is a whole day; any other range that starts where it ends means nothing.
    if not (h1 < 24 and h2 < 24 and m1 < 60 and m2 < 60) or ((h1, m1) == (h2, m2) and not until_midnight):
        return None
    return time(h1, m1), time(h2, m2)


def format_shift(start: time, end: time) -> str:
    return f"{start:%H:%M}-{'24:00' if end == time(0) else f'{end:%H:%M}'}"


def check_holidays(value: Any, country: str, path: str, problems: Problems) -> dict[str, Any] | None:
    if value is None or value is False:
        return None
    if not isinstance(value, dict):
        problems.add(path, "holidays_shape")
        return None
    for key in value:
        if key not in ("country", "subdivision", "closes"):
            # A typo such as "close: false" would otherwise silently keep the default (closed on holidays).
            problems.add(f"{path}.{key}", "unknown_setting_of", choices="country, subdivision, closes")
    calendar_country = value.get("country", country)
    subdivision = value.get("subdivision")
    # Unquoted codes such as 57 or 974 arrive as integers; the calendar and the database keep text.
    subdivision = str(subdivision) if subdivision is not None else None
    supported = holidays.list_supported_countries()
    if not isinstance(calendar_country, str) or calendar_country not in supported:
        problems.add(f"{path}.country", "holiday_country", value=calendar_country)
    elif subdivision is not None and subdivision not in supported[calendar_country]:
        choices = ", ".join(supported[calendar_country]) or "none"
        problems.add(f"{path}.subdivision", "holiday_subdivision", value=subdivision, country=calendar_country,
                     choices=choices)
    return {
        "country": calendar_country,
        "subdivision": subdivision,
        "closes": check_bool(value.get("closes", True), f"{path}.closes", problems),
    }


def check_closures(value: Any, timezone: Any, problems: Problems, prefix: str = "closures") -> list[dict[str, str]]:
    if not isinstance(value, list):
        problems.add(prefix, "closures_shape")
        return []
    closures = []
    for index, item in enumerate(value):
        path = f"{prefix}[{index}]"
        if not isinstance(item, dict):
            problems.add(path, "closure_shape")
            continue
        start = check_aware(item.get("from"), timezone, f"{path}.from", problems)
        end = check_aware(item.get("to"), timezone, f"{path}.to", problems)
        reason = str(item.get("reason") or "").strip()
        if not reason:
            problems.add(f"{path}.reason", "closure_reason")
        if start and end and end <= start:
            problems.add(f"{path}.to", "closure_order")
        if start and end:
            closures.append({"from": start.isoformat(), "to": end.isoformat(), "reason": reason})
    return closures


def check_aware(value: Any, timezone: Any, path: str, problems: Problems) -> datetime | None:
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        problems.add(path, "moment", value=value)
        return None
    try:
        zone = ZoneInfo(str(timezone))
    except (ZoneInfoNotFoundError, ValueError):
        return None
    # Written in the line's time zone, and always given back in it, so exports read like the file.
    local = moment.replace(tzinfo=zone) if moment.tzinfo is None else moment
    # Through UTC and back: a wall time skipped by a spring-forward (02:30) becomes the real instant
    # (03:30+02:00), the one the database will give back, so the next load does not see a change.
    return local.astimezone(UTC).astimezone(zone)


def check_alternatives(value: Any, country: str, problems: Problems) -> list[str]:
    services = load_services()
    if not isinstance(value, list):
        problems.add("alternatives", "alternatives")
        return []
    for index, service in enumerate(value):
        if service not in services:
            problems.add(f"alternatives[{index}]", "unknown_service", value=service)
        elif services[service].country != country:
            problems.add(f"alternatives[{index}]", "service_country", value=service, country=country)
    return [str(v) for v in value]


def check_target(value: Any, country: str, path: str, problems: Problems) -> str | None:
    """A service id from services.yaml (dialled on its dial number) or a phone number."""
    if value is None:
        return None
    services = load_services()
    if isinstance(value, str) and value in services:
        if not services[value].dial_number:
            problems.add(path, "service_without_number", value=value)
        elif services[value].country != country:
            problems.add(path, "service_country", value=value, country=country)
        return value
    number = e164(value, country)
    if number is None:
        problems.add(path, "unknown_target", value=value)
    return number




def check_audio_url(value: Any, path: str, problems: Problems) -> str | None:
    """An absolute http(s) address Twilio can fetch and <Play> (hold music)."""
    if value is None:
        return None
    if not isinstance(value, str) or not re.match(r"^https?://[^\s/]+/\S*$", value):
        problems.add(path, "audio_url")
        return None
    return value
