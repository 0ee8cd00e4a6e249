"""Queued callers read from their summed-up rows (report_queue_caller) where those stand exactly for their events."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, not_, or_, select

from store.metrics import CLOCK_SKEW
from store.models import ReportQueueCaller as Summed
from store.report_sql import whole_seconds_between


def _inside(line_id: int, start: datetime, end: datetime):
    """Every `joined` of the caller on this line and in [start, end), and no event of theirs older than the
    report's reading reaches back (CLOCK_SKEW): the summary is then what the events would add up to."""
    return and_(Summed.joined_line_min == line_id, Summed.joined_line_max == line_id, Summed.joined_at >= start,
                Summed.joined_last_at < end, Summed.first_event_at >= start - CLOCK_SKEW)


def summed_callers(session, line_id: int, start: datetime, end: datetime):
    """The rows store.report_queue counts per caller, for the callers inside the period."""
    elapsed = whole_seconds_between(session, Summed.joined_at, Summed.outcome_at)
    wait = case((Summed.outcomes == 0, None), (Summed.outcome_wait.is_not(None), Summed.outcome_wait),
                (elapsed < 0, 0), else_=elapsed)
    return select(Summed.joined_at.label("joined_at"), Summed.pool.label("pool"), Summed.outcome.label("outcome"),
                  wait.label("wait"), Summed.talks.label("talks"), Summed.talk_total.label("talk_total"),
                  Summed.offers.label("offers"), Summed.missed.label("missed"),
                  ).where(_inside(line_id, start, end))


def _unusual():
    """Joins on two lines or at two instants, or events before the first join: the only callers that can be
    neither inside a period nor outside it (one join, on one line, with nothing before it, is one or the other).
    The words of the partial index ix_report_queue_caller_unusual, so that PostgreSQL reads only those."""
    return or_(Summed.joined_line_min != Summed.joined_line_max, Summed.joined_last_at != Summed.joined_at,
               Summed.first_event_at < Summed.joined_at)


def boundary_callers(line_id: int, start: datetime, end: datetime):
    """The callers who may have joined the line's queues in the period but are not inside it (joins on either
    side of a bound, on two lines, events from before it): their events are read one by one."""
    return select(Summed.queued_caller_id).where(
        _unusual(), Summed.joined_line_min <= line_id, Summed.joined_line_max >= line_id, Summed.joined_at < end,
        Summed.joined_last_at >= start, not_(_inside(line_id, start, end)))
