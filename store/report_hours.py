"""A line's calls per UTC hour, outcome and closed reason, read from the totals the database keeps (report_hour)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import ReportHour
from store.report_sql import HOUR


def whole_hours(start: datetime, end: datetime) -> bool:
    """Whether [start, end) begins and ends on UTC hours, so that whole hours of totals cover it exactly."""
    return all(int(instant.timestamp()) % HOUR == 0 and instant.microsecond == 0 for instant in (start, end))


def hour_rows(session: Session, line_id: int, start: datetime, end: datetime):
    """(UTC hour number, outcome, closed reason, calls, withheld, not kept) of the line's calls in [start, end),
    as store.report_traffic's one pass over the calls would give them with hour buckets."""
    rows = session.execute(select(
        ReportHour.hour, ReportHour.outcome, ReportHour.closed_reason, ReportHour.calls, ReportHour.withheld,
        ReportHour.not_kept,
    ).where(ReportHour.line_id == line_id, ReportHour.hour >= int(start.timestamp()) // HOUR,
            ReportHour.hour < int(end.timestamp()) // HOUR, ReportHour.calls > 0))
    for hour, outcome, reason, calls, withheld, not_kept in rows:
        yield hour, outcome or None, reason or None, calls, withheld, not_kept
