"""A line's forward targets and first-time callers read from the rows triggers keep (report_call_forward,
report_caller_first) instead of every call's steps and every caller's history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.models import ReportCallerFirst, ReportCallForward


def forward_rows(session: Session, line_id: int, start: datetime, end: datetime):
    """(last forward step's text or None, calls, first call's instant) of the line's forwarded calls in
    [start, end), as store.report_traffic's join of calls and steps gives them."""
    kept = ReportCallForward
    return session.execute(select(kept.detail, func.count(), func.min(kept.started_at)).where(
        kept.line_id == line_id, kept.started_at >= start, kept.started_at < end).group_by(kept.detail))


def first_time_calls(session: Session, line_id: int, start: datetime, end: datetime) -> int:
    """Keyed numbers that called the line, not withheld, in [start, end) and never before it."""
    first = ReportCallerFirst
    return session.scalar(select(func.count()).where(
        first.line_id == line_id, first.first_at >= start, first.first_shown_at < end))
