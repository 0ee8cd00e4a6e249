"""Weekly shifts and public holidays turned into open intervals in UTC, one local calendar day at a time."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from schedules.holiday_calendar import holiday_name
from schedules.model import HolidayCalendar, Shift

UTC = timezone.utc
MIDNIGHT = time(0)
# A loaded plan remembers the days it has seen; past this many it starts afresh rather than grow forever.
MAX_REMEMBERED_DAYS = 1500
# How far an open stretch is followed; callers never look further than their horizon of 400 days.
RUN_SCAN_DAYS = 402
_UNKNOWN = object()


def wall_to_utc(zone: ZoneInfo, day: date, clock: time) -> datetime:
    """The instant when clocks in ``zone`` show ``clock`` on ``day``.

    An ambiguous wall time (autumn fall-back) means its first occurrence (fold=0).  A wall time that does
    not exist (spring-forward gap) means the first instant that exists after it, i.e. the transition:
    02:30 on 2026-03-29 in Europe/Paris is 03:00 CEST (01:00 UTC).
    """
    wall = datetime.combine(day, clock)
    instant = wall.replace(tzinfo=zone).astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == wall:
        return instant
    return _end_of_gap(zone, wall)


def _end_of_gap(zone: ZoneInfo, wall: datetime) -> datetime:
    # In a gap the two folds straddle the transition; bisect on whole seconds, as tzdata transitions are.
    earlier, later = sorted(wall.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1))
    low, high = int(earlier.timestamp()) - 1, int(later.timestamp()) + 1  # low shows < wall, high >= wall
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


class LocalDay:
    """One calendar day in the plan's timezone: [start, end) in UTC and its open pieces, merged and sorted."""

    __slots__ = ("ordinal", "date", "start", "end", "pieces", "holiday", "run_end")

    def __init__(self, day: date, start: datetime, end: datetime, pieces: tuple, holiday: str | None):
        self.ordinal = day.toordinal()
        self.date = day
        self.start = start
        self.end = end
        self.pieces = pieces  # ((start, end), ...) in UTC, disjoint and not touching
        self.holiday = holiday  # the closing holiday's name, or None
        self.run_end = _UNKNOWN  # where an open stretch reaching this day's end stops (memoised)


class WeeklyPlan:
    """Shifts of one timezone, minus the days of a closing holiday calendar, queried per local day.

    A holiday closes its whole local day, 00:00 to 24:00, so a shift crossing midnight into a holiday
    stops at midnight, and one crossing out of a holiday opens at midnight.
    """

    __slots__ = ("zone", "has_shifts", "_starting", "_spilling", "_calendar", "_days")

    def __init__(self, timezone_name: str, shifts: tuple[Shift, ...], calendar: HolidayCalendar | None):
        for shift in shifts:
            if not 0 <= shift.weekday <= 6:
                raise ValueError(f"shift weekday must be 0 (Monday) to 6, got {shift.weekday}")
        self.zone = ZoneInfo(timezone_name)
        self.has_shifts = bool(shifts)
        self._starting = tuple(tuple(s for s in shifts if s.weekday == wd) for wd in range(7))
        self._spilling = tuple(
            tuple(s for s in shifts if s.weekday == (wd - 1) % 7 and s.crosses_midnight) for wd in range(7)
        )
        self._calendar = calendar if calendar is not None and calendar.closes else None
        self._days: dict[int, LocalDay] = {}

    def day(self, ordinal: int) -> LocalDay:
        found = self._days.get(ordinal)
        if found is None:
            if len(self._days) >= MAX_REMEMBERED_DAYS:
                self._days.clear()
            found = self._days[ordinal] = self._build_day(date.fromordinal(ordinal))
        return found

    def day_of(self, instant: datetime) -> LocalDay:
        return self.day(instant.astimezone(self.zone).toordinal())

    def _build_day(self, day: date) -> LocalDay:
        zone = self.zone
        next_day = day + timedelta(days=1)
        start, end = wall_to_utc(zone, day, MIDNIGHT), wall_to_utc(zone, next_day, MIDNIGHT)
        holiday = holiday_name(self._calendar, day) if self._calendar is not None else None
        if holiday is not None or not self.has_shifts:
            return LocalDay(day, start, end, (), holiday)
        raw = []
        for shift in self._spilling[day.weekday()]:
            raw.append((start, wall_to_utc(zone, day, shift.end)))
        for shift in self._starting[day.weekday()]:
            opens = wall_to_utc(zone, day, shift.start)
            closes = wall_to_utc(zone, next_day if shift.crosses_midnight else day, shift.end)
            raw.append((opens, min(closes, end)))
        return LocalDay(day, start, end, _merge(raw), None)

    def open_run_end(self, instant: datetime, day: LocalDay, limit: datetime) -> datetime | None:
        """End of the open stretch containing ``instant`` (which lies in ``day``), or None beyond ``limit``.

        Shifts that touch, within a day or across midnight, make one stretch with no flip between them.
        """
        end = next(closes for opens, closes in day.pieces if opens <= instant < closes)
        if end == day.end:
            end = self._run_end_after(day)
        return end if end is not None and end <= limit else None

    def _run_end_after(self, day: LocalDay) -> datetime | None:
        # Memoised so a 24/7 line does not walk the next 400 days on every call.
        if day.run_end is _UNKNOWN:
            end, current = day.end, day
            for _ in range(RUN_SCAN_DAYS):
                current = self.day(current.ordinal + 1)
                if not current.pieces or current.pieces[0][0] != end:
                    break
                end = current.pieces[0][1]
                if end != current.end:
                    break
            else:
                end = None
            day.run_end = end
        return day.run_end


def _merge(intervals: list[tuple[datetime, datetime]]) -> tuple[tuple[datetime, datetime], ...]:
    merged: list[list[datetime]] = []
    for opens, closes in sorted(intervals):
        if closes <= opens:
            continue
        if merged and opens <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], closes)
        else:
            merged.append([opens, closes])
    return tuple((opens, closes) for opens, closes in merged)


@lru_cache(maxsize=4096)
def weekly_plan(
    timezone_name: str, shifts: tuple[Shift, ...], calendar: HolidayCalendar | None
) -> WeeklyPlan:
    """One shared plan per distinct (timezone, shifts, calendar); lines with identical hours share it."""
    return WeeklyPlan(timezone_name, shifts, calendar)
