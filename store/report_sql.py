"""SQL pieces the reports count with: instants as UTC time buckets, exact second differences, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, cast, func, literal
from sqlalchemy.orm import Session

HOUR = 3600
QUARTER = 900  # every offset any zone has used since 1970 is a multiple of 15 minutes


def bucket_seconds(zone: ZoneInfo, start: datetime, end: datetime) -> int:
    """The widest UTC bucket that never straddles two local hours in [start, end): an hour when every
    offset the zone has there is whole hours (Europe, the Antilles, Réunion…), else a quarter of an hour."""
    day = start
    while day <= end:
        if day.astimezone(zone).utcoffset() % timedelta(hours=1):
            return QUARTER
        day += timedelta(days=1)
    return QUARTER if end.astimezone(zone).utcoffset() % timedelta(hours=1) else HOUR


def epoch_seconds(session: Session, column):
    """Whole seconds since 1970 (UTC) of a stored instant."""
    if session.get_bind().dialect.name == "sqlite":  # stored as naive UTC text
        return cast(func.strftime("%s", column), Integer)
    return cast(func.floor(func.extract("epoch", column)), Integer)


def bucket(session: Session, column, size: int):
    """The UTC bucket number of a stored instant: floor(epoch / size)."""
    return epoch_seconds(session, column) // literal(size)  # integer division: seconds are never negative


def whole_seconds_between(session: Session, earlier, later):
    """int((later − earlier).total_seconds()) when later ≥ earlier, to the microsecond as Python counts it."""
    if session.get_bind().dialect.name == "sqlite":
        # SQLAlchemy stores '%Y-%m-%d %H:%M:%S.%f': the microseconds are characters 21-26.
        def micros(column):
            return (cast(func.strftime("%s", column), Integer) * literal(1_000_000)
                    + cast(func.coalesce(func.substr(column, 21, 6), "0"), Integer))

        return (micros(later) - micros(earlier)) // literal(1_000_000)  # truncated, as int() does
    return cast(func.floor(func.extract("epoch", later - earlier)), Integer)


def bucket_start(number: int, size: int) -> datetime:
    return datetime.fromtimestamp(number * size, timezone.utc)
