"""Relays to centres counted by the database: per target (a line's report) or per relaying line (a centre's),
with how many left a number, were called back, were reached, and how long until the first call-back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from store.models import CallbackRequest, CaseFile, LineRow


@dataclass(frozen=True)
class RelayCounts:
    key: str  # the target "centre:3977-94" (a line's report) or the relaying line's slug (a centre's)
    relays: int
    with_number: int
    called_back: int
    reached: int
    average_delay: float | None  # seconds from the relay to the first call-back tried, over those called back
    longest_delay: float | None


def _seconds_between(session: Session, start, end):
    """``end - start`` in seconds, as each database writes it."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def _counts(session: Session, key, where: list) -> list[RelayCounts]:
    delay = _seconds_between(session, CaseFile.relayed_at, CaseFile.first_callback_at)
    query = (
        select(key.label("key"), func.count(CaseFile.id),
               func.sum(case((CaseFile.consent.is_(True), 1), else_=0)),
               func.count(CaseFile.first_callback_at),
               func.sum(case((CallbackRequest.status == "reached", 1), else_=0)),
               func.avg(delay), func.max(delay))
        .select_from(CaseFile)
        .outerjoin(CallbackRequest, CallbackRequest.id == CaseFile.callback_request_id)
        .where(*where).group_by(key).order_by(key)
    )
    return [RelayCounts(str(k), n, int(numbers or 0), called, int(reached or 0),
                        float(average) if average is not None else None, float(longest) if longest is not None else None)
            for k, n, numbers, called, reached, average, longest in session.execute(query)]


def line_relays(session: Session, line_id: int, start: datetime, end: datetime) -> list[RelayCounts]:
    """The line's relays in [start, end), by the centre or association they went to."""
    key = CaseFile.target_kind + ":" + CaseFile.target_slug
    return _counts(session, key, [CaseFile.line_id == line_id, CaseFile.relayed_at >= start,
                                  CaseFile.relayed_at < end])


def target_relays(session: Session, kind: str, slug: str, start: datetime, end: datetime) -> list[RelayCounts]:
    """The relays a centre (or association) received in [start, end), by the line that relayed them."""
    key = func.coalesce(select(LineRow.slug).where(LineRow.id == CaseFile.line_id).scalar_subquery(), "")
    return _counts(session, key, [CaseFile.target_kind == kind, CaseFile.target_slug == slug,
                                  CaseFile.relayed_at >= start, CaseFile.relayed_at < end])
