"""Opening hours, pure: weekly shifts, public holidays, dated closures and coordinator overrides, and when a line
opens next. Takes an explicit `now`.

Imports no other project package, nor Flask or SQLAlchemy. The email outbox and the periodic jobs live in jobs/.
The one file it touches: the `holidays` library's answers kept on disk (holiday_files, in a folder the app names),
so that the webhooks' workers need not import that library."""

from schedules.model import (
    Closure,
    HolidayCalendar,
    Override,
    OverrideMode,
    Reason,
    Schedule,
    Shift,
    Status,
)
from schedules.hours import status_at, next_opening, upcoming_holidays

__all__ = [
    "Closure",
    "HolidayCalendar",
    "Override",
    "OverrideMode",
    "Reason",
    "Schedule",
    "Shift",
    "Status",
    "status_at",
    "next_opening",
    "upcoming_holidays",
]
