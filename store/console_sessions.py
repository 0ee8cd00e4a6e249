"""A coordinator's console sessions, kept on the server: opened at sign-in (only a hash of the cookie's random token
is stored), checked on every page, ended at sign-out or when the password or the account changes."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from store.models import ConsoleAccount, ConsoleSession

def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, account: ConsoleAccount, now: datetime) -> str:
    """A new server-side session; returns the random token for the (signed) cookie, never kept in clear here."""
    token = secrets.token_urlsafe(32)
    session.add(ConsoleSession(token_hash=_token_hash(token), account_id=account.id, created_at=now))
    return token


def session_is_open(session: Session, account_id: int, token: str | None) -> bool:
    if not token or not isinstance(token, str):
        return False
    return session.scalar(select(ConsoleSession.id).where(ConsoleSession.token_hash == _token_hash(token),
                                                          ConsoleSession.account_id == account_id)) is not None


def end_session(session: Session, token: str | None) -> None:
    if token and isinstance(token, str):
        session.execute(delete(ConsoleSession).where(ConsoleSession.token_hash == _token_hash(token)))


def end_all_sessions(session: Session, account_id: int, older_than: datetime | None = None) -> int:
    """Every session of the account (or those opened before ``older_than``); returns how many were open."""
    query = delete(ConsoleSession).where(ConsoleSession.account_id == account_id)
    if older_than is not None:
        query = query.where(ConsoleSession.created_at < older_than)
    return session.execute(query.execution_options(synchronize_session=False)).rowcount
