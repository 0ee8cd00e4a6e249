"""The audit log's writer: who changed what, when, with the values before and after (console and phone alike)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from flask import current_app
from sqlalchemy.orm import Session

from store.models import AuditEvent, ConsoleAccount

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
