"""The hours editor's forms: weekly shifts, the holiday calendar and dated closures, to and from a line's file."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Mapping
from zoneinfo import ZoneInfo

import holidays
from babel import Locale

from console.describe import day_words, moment_words
from console.schedules.problems import problem_words
from console.texts import WEEKDAYS as DAY_NAMES
from console.texts import current_language, t
from directory_data.opening import WEEKDAYS, weekdays_of
from schedules import HolidayCalendar, upcoming_holidays
from store.directory_edits import Problem

EXTRA_ROWS = 1  # blank shift rows offered under a day's shifts
MAX_ROWS = 8
FIRST_COUNTRIES = ("FR", "BE")
SHIFT_PATH = re.compile(r"^hours\.(?P<day>[a-z]{3})\[(?P<index>\d+)\]$")
CLOSURE_PATH = re.compile(r"^closures\[(?P<index>\d+)\]\.(?P<key>from|to|reason)$")


@dataclass
class ShiftRow:
    start: str = ""
    end: str = ""
    error: str = ""


@dataclass
class Day:
    code: str  # mon
    closed: bool
    rows: list[ShiftRow]

    @property
    def name(self) -> str:
        return DAY_NAMES[current_language()][WEEKDAYS.index(self.code)]


@dataclass
class HoursForm:
    days: list[Day]
    holiday_country: str = ""
    holiday_subdivision: str = ""
    holiday_closes: bool = True
    errors: dict[str, str] = field(default_factory=dict)  # holiday_country, holiday_subdivision
    general: list[str] = field(default_factory=list)
    kept: dict[tuple[str, int], int] = field(default_factory=dict)  # (day, index in the file) → row shown

    def error_links(self) -> list[tuple[str, str]]:
        """Every refusal for the summary above the form: the field to go to, and the words."""
        links = [("weekly-title", words) for words in self.general]
        for day in self.days:
            links += [(f"shift-{day.code}-{index}-start", t("hours.error_in_shift", day=day.name, n=index + 1,
                                                            words=row.error))
                      for index, row in enumerate(day.rows) if row.error]
        return links + [(name, self.errors[name]) for name in ("holiday_country", "holiday_subdivision")
                        if name in self.errors]


@dataclass
class ClosureForm:
    start: str = ""
    end: str = ""
    reason: str = ""
    errors: dict[str, str] = field(default_factory=dict)  # start, end, reason

    def error_links(self) -> list[tuple[str, str]]:
        return [(f"closure-{name}", self.errors[name]) for name in ("start", "end", "reason") if name in self.errors]


def hours_form(raw: Mapping[str, Any]) -> HoursForm:
    """The editor as the file says it: one row per shift, a blank row under each day."""
    by_day: dict[str, list[str]] = {}
    for key, shifts in (raw.get("hours") or {}).items():
        for day in weekdays_of(key) or ():
            by_day.setdefault(day, []).extend(shifts)
    days = []
    for code in WEEKDAYS:
        rows = [_row(text) for text in sorted(by_day.get(code, []))]
        days.append(Day(code, not rows, rows + [ShiftRow() for _ in range(EXTRA_ROWS)]))
    calendar = raw.get("holidays") or {}
    return HoursForm(days, str(calendar.get("country") or ""), str(calendar.get("subdivision") or ""),
                     bool(calendar.get("closes", True)) if calendar else True)


def _row(text: str) -> ShiftRow:
    start, _, end = text.partition("-")
    return ShiftRow(start, "00:00" if end == "24:00" else end)  # <input type="time"> has no 24:00: midnight


def read_hours(values) -> tuple[HoursForm, dict[str, Any] | None]:
    """The form as typed, and the file's ``hours`` and ``holidays`` it stands for (None when a row is half
    filled: that is the form's own check; everything else is left to the loader)."""
    form = HoursForm([], values.get("holiday_country", "").strip(), values.get("holiday_subdivision", "").strip(),
                     values.get("holiday_closes", "yes") == "yes")
    hours: dict[str, list[str]] = {}
    complete = True
    for code in WEEKDAYS:
        count = min(values.get(f"rows-{code}", 0, type=int) or 0, MAX_ROWS)
        closed = values.get(f"closed-{code}") == "yes"
        rows = [ShiftRow(values.get(f"shift-{code}-{i}-start", "").strip()[:5],
                         values.get(f"shift-{code}-{i}-end", "").strip()[:5]) for i in range(count)]
        for index, row in enumerate(rows):
            if closed or not (row.start or row.end):
                continue
            if not (row.start and row.end):
                row.error = t("hours.half_row")
                complete = False
                continue
            form.kept[(code, len(hours.get(code, [])))] = index
            hours.setdefault(code, []).append(f"{row.start}-{row.end}")
        if values.get("add") == code and len(rows) < MAX_ROWS:
            rows.append(ShiftRow())
        form.days.append(Day(code, closed, rows or [ShiftRow()]))
    if not complete:
        return form, None
    calendar = None
    if form.holiday_country:
        calendar = {"country": form.holiday_country, "closes": form.holiday_closes}
        if form.holiday_subdivision:
            calendar["subdivision"] = form.holiday_subdivision
    return form, {"hours": hours, "holidays": calendar}


def place_hours_problems(form: HoursForm, problems: list[Problem]) -> None:
    """Each refusal next to its field: the shift row, the country or the subdivision; others above the form."""
    for problem in problems:
        words = problem_words(problem)
        shift = SHIFT_PATH.match(problem.path)
        key = problem.path.removeprefix("holidays").lstrip(".") if problem.path.startswith("holidays") else None
        if shift and (shift["day"], int(shift["index"])) in form.kept:
            day = next(d for d in form.days if d.code == shift["day"])
            day.rows[form.kept[(shift["day"], int(shift["index"]))]].error = words
        elif key is not None:
            form.errors["holiday_subdivision" if key == "subdivision" else "holiday_country"] = words
        else:
            form.general.append(words)


def read_closure(values: Mapping[str, str]) -> tuple[ClosureForm, dict[str, str] | None]:
    form = ClosureForm(values.get("start", "").strip()[:32], values.get("end", "").strip()[:32],
                       " ".join(values.get("reason", "").split())[:200])
    if not form.start:
        form.errors["start"] = t("closure.start_missing")
    if not form.end:
        form.errors["end"] = t("closure.end_missing")
    if form.errors:
        return form, None
    return form, {"from": form.start, "to": form.end, "reason": form.reason}


def place_closure_problems(form: ClosureForm, problems: list[Problem], new_index: int) -> list[str]:
    """The new closure's refusals on its fields; anything else is returned for the top of the page."""
    general = []
    for problem in problems:
        found = CLOSURE_PATH.match(problem.path)
        if found and int(found["index"]) == new_index:
            form.errors[{"from": "start", "to": "end", "reason": "reason"}[found["key"]]] = problem_words(problem)
        else:
            general.append(problem_words(problem))
    return general


@dataclass(frozen=True)
class ClosureView:
    index: int
    text: str
    past: bool


def closure_views(raw: Mapping[str, Any], timezone: str, now) -> list[ClosureView]:
    """Each dated closure in the line's time zone, as the file lists them."""
    from datetime import datetime

    zone = ZoneInfo(timezone)
    views = []
    for index, closure in enumerate(raw.get("closures") or ()):
        start = datetime.fromisoformat(closure["from"]).astimezone(zone)
        end = datetime.fromisoformat(closure["to"]).astimezone(zone)
        views.append(ClosureView(index, t("line.closure", start=moment_words(start), end=moment_words(end),
                                          reason=closure["reason"]), end <= now))
    return views


def holiday_rows(raw: Mapping[str, Any], today: date, days: int = 365) -> list[tuple[str, str, str]]:
    """The next twelve months of holidays as they apply to this line: (date, name, what the line does)."""
    calendar = raw.get("holidays")
    if not calendar:
        return []
    hours = hours_form(raw)
    shifts = {day.code: [f"{row.start}–{row.end}" for row in day.rows if row.start] for day in hours.days}
    found = upcoming_holidays(HolidayCalendar(calendar["country"], calendar.get("subdivision"),
                                              bool(calendar.get("closes", True))), today, days)
    rows = []
    for day, name in found:
        usual = ", ".join(shifts[WEEKDAYS[day.weekday()]])
        if not usual:
            effect = t("holidays.closed_anyway")
        elif calendar.get("closes", True):
            effect = t("holidays.closed_instead", hours=usual)
        else:
            effect = t("holidays.open_as_usual", hours=usual)
        rows.append((day_words(day), name, effect))
    return rows


def country_name(code: str, language: str | None = None) -> str:
    """A country's name in the reader's language, from the Unicode CLDR (Babel): "Allemagne", not "Germany"."""
    return Locale.parse(language or current_language()).territories.get(code, code)


def country_choices() -> list[tuple[str, str]]:
    """France and Belgium first, then every calendar the ``holidays`` package (and so the loader) knows, in the
    alphabetical order of their names in the reader's language."""
    supported = holidays.list_supported_countries()
    others = sorted((code for code in supported if code not in FIRST_COUNTRIES),
                    key=lambda code: strxfrm_key(country_name(code)))
    return [(code, f"{country_name(code)} ({code})") for code in FIRST_COUNTRIES + tuple(others)]


def strxfrm_key(name: str) -> str:
    """Sorting key that puts "Égypte" with the E's rather than after Z."""
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()


def subdivision_choices(country: str) -> list[tuple[str, list[str]]]:
    """Subdivisions grouped by country: France's and Belgium's, and the chosen country's."""
    supported = holidays.list_supported_countries()
    countries = list(dict.fromkeys(FIRST_COUNTRIES + ((country,) if country in supported else ())))
    return [(code, list(supported[code])) for code in countries if supported.get(code)]

