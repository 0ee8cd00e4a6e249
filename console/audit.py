"""The audit log: who changed what in the console, when, with the values before and after."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

# The writer lives below the console: the coordinators' phone line writes the very same events.
from store.audit import COMMAND_LINE, record  # noqa: F401
from store.models import AuditEvent

PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditPage:
    events: list[AuditEvent]
    page: int
    pages: int


def audit_page(session: Session, page: int) -> AuditPage:
    """Newest first; a page number past the end shows the last page."""
    total = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(1, page), pages)
    events = session.scalars(
        select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    ).all()
    return AuditPage(list(events), page, pages)
