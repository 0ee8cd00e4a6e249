"""The call log as coordinators read it: time, line, duration, outcome, category — never a number."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from console.texts import current_language, t
from routing.model import Line
from store.categories import talked_to_a_listener
from store.models import Call, CallCategory

PAGE_SIZE = 50


@dataclass(frozen=True)
class CallRow:
    id: int
    started: str  # "2026-11-24 10:00", in the line's time zone
    line_name: str
    duration: str
    outcome: str
    category: str  # the label, "non classé" for a call a listener took, "" when nothing is expected
    unclassified: bool
    withheld: bool


@dataclass(frozen=True)
class CallLogPage:
    rows: list[CallRow]
    page: int
    pages: int


def duration_words(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


def outcome_words(outcome: str | None) -> str:
    key = f"calls.outcome.{outcome or 'none'}"
    words = t(key)
    return outcome or "—" if words == key else words


def category_words(category: CallCategory | None, line: Line | None, expected: bool) -> str:
    if category is None:
        return t("calls.unclassified") if expected else ""
    current = next((c for c in line.categories if c.slug == category.category), None) if line else None
    return current.label.get(current_language()) if current else category.label


def call_log(session: Session, lines: dict[int, Line], page: int, only_unclassified: bool = False) -> CallLogPage:
    """The calls of these lines (row id → line), newest first."""
    if not lines:
        return CallLogPage([], 1, 1)
    expected = talked_to_a_listener()
    query = (select(Call, CallCategory, expected.label("expected"))
             .outerjoin(CallCategory, CallCategory.call_id == Call.id)
             .where(Call.line_id.in_(list(lines))))
    if only_unclassified:
        query = query.where(CallCategory.id.is_(None), expected)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(1, page), pages)
    found = session.execute(query.order_by(Call.started_at.desc(), Call.id.desc())
                            .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    return CallLogPage([call_row(call, category, lines.get(call.line_id), bool(was_expected))
                        for call, category, was_expected in found], page, pages)


def call_row(call: Call, category: CallCategory | None, line: Line | None, expected: bool) -> CallRow:
    zone = ZoneInfo(line.schedule.timezone if line else "Europe/Paris")
    return CallRow(call.id, local_time(call.started_at, zone), line.name if line else "—", duration_words(call.duration),
                   outcome_words(call.outcome), category_words(category, line, expected),
                   expected and category is None, call.caller_hash is None)


def local_time(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")
