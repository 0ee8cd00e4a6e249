"""A listener's console logins and the presence line's number, as the roster pages show them."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import ConsoleAccount, Listener


def listener_logins(session: Session, listener: Listener) -> list[ConsoleAccount]:
    """The console accounts linked to this listener (usually none or one)."""
    return list(session.scalars(select(ConsoleAccount).where(ConsoleAccount.listener_id == listener.id)
                                .order_by(ConsoleAccount.id)))


def presence_number() -> str:
    """The presence line's number as listeners dial it (HELPLINE_PRESENCE_NUMBER), or "" when it is not set."""
    return current_app.config.get("PRESENCE_NUMBER") or ""
