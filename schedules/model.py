"""Plain, immutable descriptions of a line's or centre's opening hours and the answer to "open now?"."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, time


class Reason(str, enum.Enum):
    """Why a schedule is open or closed at a moment; stable strings used in rules, records and reports."""

    HOURS = "hours"  # open: inside a weekly shift
    OVERRIDE_OPEN = "override_open"  # open: a coordinator forced it open
    OVERRIDE_CLOSED = "override_closed"  # closed: a coordinator forced it closed
    CLOSURE = "closure"  # closed: a dated closure (training day, move, strike...)
    HOLIDAY = "holiday"  # closed: a public holiday of the calendar, and holidays close this schedule
    OUTSIDE_HOURS = "outside_hours"  # closed: no weekly shift covers this moment


class OverrideMode(str, enum.Enum):
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Shift:
    """A weekly opening window in local wall-clock time.

    ``weekday`` is 0 for Monday.  ``end <= start`` means the shift crosses midnight into the next day;
    ``end == time(0)`` means "until midnight".
    """

    weekday: int
    start: time
    end: time

    @property
    def crosses_midnight(self) -> bool:
        return self.end <= self.start


@dataclass(frozen=True, slots=True)
class Closure:
    """A dated closure, from ``starts_at`` (inclusive) to ``ends_at`` (exclusive); aware datetimes."""

    starts_at: datetime
    ends_at: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class Override:
    """A coordinator's decision that beats everything else.

    ``until`` is an aware datetime, or None for "until the next scheduled change": the override then ends
    at the first moment after ``starts_at`` where the schedule without overrides changes between open and
    closed.
    """

    mode: OverrideMode
    starts_at: datetime
    until: datetime | None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class HolidayCalendar:
    """Public holidays from the ``holidays`` library; ``closes`` says whether they close the schedule."""

    country: str  # ISO 3166-1 alpha-2, e.g. "FR", "BE"
    subdivision: str | None = None  # e.g. "57", "6AE" (Alsace), "974"
    closes: bool = True


@dataclass(frozen=True, slots=True)
class Schedule:
    timezone: str  # IANA name, e.g. "Europe/Paris"
    shifts: tuple[Shift, ...] = ()
    holidays: HolidayCalendar | None = None
    closures: tuple[Closure, ...] = ()
    overrides: tuple[Override, ...] = ()


@dataclass(frozen=True, slots=True)
class Status:
    """Open or closed at ``at``, why, and when that changes next (None: never, as far as we look)."""

    at: datetime
    is_open: bool
    reason: Reason
    detail: str = ""  # the closure's or override's reason, or the holiday's name
    changes_at: datetime | None = None  # next moment the open/closed answer flips, in the schedule's timezone
    holiday_date: date | None = field(default=None)

    @property
    def reopens_at(self) -> datetime | None:
        """When a closed schedule opens again (None when open, or never)."""
        return None if self.is_open else self.changes_at
