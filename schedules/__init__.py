"""Opening hours: weekly shifts, public holidays, dated closures and coordinator overrides (pure, no I/O)."""

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
