"""A line's calls per local weekday-hour, outcome and closed reason, added up from the hourly totals the database
keeps (report_hour): two small GROUP BY queries whatever the number of calls."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone

from sqlalchemy import and_, case, false, func, or_, select
from sqlalchemy.orm import Session

from routing.traffic import CLOSED_REASONS, HOURS, OUTCOME_ORDER, WEEKDAYS, CallRecord
from store.models import ReportHour
from store.report_sql import HOUR


def whole_hours(start: datetime, end: datetime) -> bool:
    """Whether [start, end) begins and ends on UTC hours, so that whole hours of totals cover it exactly."""
    return all(int(instant.timestamp()) % HOUR == 0 and instant.microsecond == 0 for instant in (start, end))


def hourly_pass(session: Session, line_id: int, period, gives_email: bool | None) -> dict:
    """What store.report_traffic's pass over the calls gives, for a line in a zone of whole-hour offsets."""
    kept = ReportHour
    where = (kept.line_id == line_id, kept.hour >= int(period.start.timestamp()) // HOUR,
             kept.hour < int(period.end.timestamp()) // HOUR)
    outcomes: Counter[str] = Counter()
    closed: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    email, wanted_pairs = 0, []
    for outcome, reason, calls, withheld, not_kept in session.execute(select(
            kept.outcome, kept.closed_reason, func.sum(kept.calls), func.sum(kept.withheld),
            func.sum(kept.not_kept)).where(*where).group_by(kept.outcome, kept.closed_reason)):
        calls = int(calls)  # PostgreSQL adds bigints up as numeric
        record = CallRecord(None, outcome or None, reason or None, "")  # the same rules as a single call's
        if record.wanted_a_listener_while_open:
            wanted_pairs.append(and_(kept.outcome == outcome, kept.closed_reason == reason))
        outcomes[record.outcome_group] += calls
        if reason:
            closed[reason] += calls
        if gives_email is not None and record.heard_after_hours_email(gives_email):
            email += calls
        kinds.update(all=calls, withheld=int(withheld), not_kept=int(not_kept))
    grid = [[0] * HOURS for _ in range(WEEKDAYS)]
    wanted: dict[tuple[int, int], int] = {}
    wanting = case((or_(false(), *wanted_pairs), kept.calls), else_=0)
    for hour_number, calls, wants in session.execute(select(
            kept.hour, func.sum(kept.calls), func.sum(wanting)).where(*where).group_by(kept.hour)):
        local = datetime.fromtimestamp(hour_number * HOUR, timezone.utc).astimezone(period.zone)
        grid[local.weekday()][local.hour] += int(calls)
        if wants:
            key = local.weekday(), local.hour
            wanted[key] = wanted.get(key, 0) + int(wants)
    return {"calls": kinds["all"], "heatmap": grid, "wanted": wanted,
            "outcomes": {group: outcomes.get(group, 0) for group in OUTCOME_ORDER},
            "closed": {reason: closed.get(reason, 0) for reason in CLOSED_REASONS},
            "after_hours_email": None if gives_email is None else email, "kinds": kinds}
