"""When a line, centre or association is open, as written in its file: weekly hours and their shifts, public
holidays, dated closures and the moments they give, checked with their problems (the other values: fields.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


from directory_data.fields import Problems, check_bool

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_GROUPS = {"daily": WEEKDAYS, "weekdays": WEEKDAYS[:5], "weekend": WEEKDAYS[5:]}
SHIFT = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


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
    import holidays  # 17 MB: imported only where the library itself is asked
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
