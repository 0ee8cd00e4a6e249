"""A listener's phone ringing for an offer, a caller's or a callback's: the row locks every status change takes,
how long an offer may live, and freeing a listener whose phone rang for nothing.

Shared by the queue's dispatcher (store/dispatch.py) and the callback attempts (store/callbacks.py), which the
dispatcher offers alongside waiting callers: both import this, neither imports the other back.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from routing.queueing import ListenerStatus, PoolSettings
from store.listeners import set_status
from store.models import Listener

OFFER_GRACE_SECONDS = 30  # past ring and accept timeouts, before an offer nobody answered counts as expired


def locked(session: Session, model, row_id: int | None):
    """The row, re-read under a row lock (FOR UPDATE on PostgreSQL): status changes never overwrite a
    concurrent one (on SQLite every transaction is already exclusive)."""
    if row_id is None:
        return None
    return session.get(model, row_id, with_for_update=True, populate_existing=True)


def free_ringing_listener(session: Session, listener: Listener | None, now: datetime, settings: PoolSettings,
                          missed: bool, why: str) -> None:
    """A listener whose phone rang for nothing is free again, or paused after too many missed offers."""
    if listener is None or listener.status != ListenerStatus.RINGING.value:
        return
    if missed:
        listener.missed_in_row += 1
    if missed and listener.missed_in_row >= settings.auto_pause_after:
        set_status(session, listener, ListenerStatus.PAUSED, now, f"missed {listener.missed_in_row} offers in a row")
    else:
        set_status(session, listener, ListenerStatus.AVAILABLE, now, why)
