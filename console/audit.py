"""The audit log: who changed what in the console, when, with the values before and after."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.models import AuditEvent, ConsoleAccount

PAGE_SIZE = 50
COMMAND_LINE = "(ligne de commande)"  # who acted when no console account did: the `helpline` command


def record(session: Session, account: ConsoleAccount | None, action: str,
           target: tuple[str, str] | None = None, before: Mapping[str, Any] | None = None,
           after: Mapping[str, Any] | None = None, *, detail: str = "", email: str | None = None,
           now: datetime | None = None) -> AuditEvent:
    """Add one event to the session (the caller commits it with the change it describes).

    ``email`` names who acted when there is no account (a failed sign-in with an unknown email).
    """
    kind, slug = target if target is not None else (None, None)
    event = AuditEvent(
        at=now or current_app.config["CLOCK"](),
        account_id=account.id if account is not None else None,
        account_email=(account.email if account is not None else email or COMMAND_LINE)[:254],
        action=action,
        target_kind=kind,
        target_slug=slug,
        before=dict(before) if before is not None else None,
        after=dict(after) if after is not None else None,
        detail=detail[:400],
    )
    session.add(event)
    return event


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
