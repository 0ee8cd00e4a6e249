"""Call categories in the database: classifying a call, and the counts a funder's annual report needs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from routing.model import Category, Line
from store.models import Call, CallCategory, QueuedCaller

UNCLASSIFIED = ""  # the category of a call a listener talked to and nobody classified


def classify(session: Session, call: Call, category: Category, now: datetime, via: str,
             listener_id: int | None = None, account_id: int | None = None) -> tuple[str | None, CallCategory]:
    """Give ``call`` this category (replacing an earlier one); returns the previous label and the record."""
    row = session.scalar(select(CallCategory).where(CallCategory.call_id == call.id).with_for_update())
    before = row.label if row is not None else None
    if row is None:
        row = CallCategory(call_id=call.id)
        session.add(row)
    row.line_id = call.line_id
    row.category, row.label = category.slug, category.label.fr[:200]
    row.classified_at, row.via = now, via
    row.listener_id, row.account_id = listener_id, account_id
    session.flush()
    return before, row


def category_of(session: Session, call_id: int) -> CallCategory | None:
    return session.scalar(select(CallCategory).where(CallCategory.call_id == call_id))


def talked_to_a_listener():
    """A condition on Call: a listener was bridged to this caller (these calls are expected to be classified)."""
    bridged = select(QueuedCaller.call_id).where(QueuedCaller.call_id.is_not(None),
                                                 QueuedCaller.status.in_(("bridged", "done")))
    return or_(Call.outcome == "answered", Call.id.in_(bridged))


@dataclass(frozen=True)
class CountedCall:
    """One call of the report: when (month in the line's time zone), where, and its category."""

    month: str  # "2026-11"
    line: str  # slug
    centre: str  # the département centre's slug for the caller's département, "" for the line's own team
    category: str  # slug, or UNCLASSIFIED
    label: str  # as recorded when classified


def counted_calls(session: Session, lines: dict[int, Line], centres, start: datetime, end: datetime) -> list[CountedCall]:
    """The calls of these lines (by row id) from ``start`` to ``end``: the classified ones and the unclassified
    ones a listener took. ``centres`` is the snapshot's (network, département) → centre index."""
    if not lines:
        return []
    rows = session.execute(
        select(Call.line_id, Call.started_at, Call.department, CallCategory.category, CallCategory.label)
        .outerjoin(CallCategory, CallCategory.call_id == Call.id)
        .where(Call.line_id.in_(list(lines)), Call.started_at >= start, Call.started_at < end,
               or_(CallCategory.id.is_not(None), talked_to_a_listener()))
        .order_by(Call.started_at)
    ).all()
    zones = {line_id: ZoneInfo(line.schedule.timezone) for line_id, line in lines.items()}
    counted = []
    for line_id, started_at, department, category, label in rows:
        line = lines[line_id]
        centre = centres.get((line.handoff_network, department)) if line.handoff_network and department else None
        counted.append(CountedCall(started_at.astimezone(zones[line_id]).strftime("%Y-%m"), line.slug,
                                   centre.slug if centre else "", category or UNCLASSIFIED, label or ""))
    return counted
