"""A short memory of computed reports, shared by every console worker through the database, so a page and the
charts and CSV files it links to are counted once, whichever worker serves them."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Callable, Hashable, TypeVar

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store import report_cache
from store.extension import database
from store.models import Call, CallEvent, ListenerShift, QueueEvent

Value = TypeVar("Value")
KEEP_SECONDS = report_cache.KEEP.total_seconds()
# One computation at a time per report within a worker: ten people opening the same yearly report wait for
# the first one's figures instead of counting ten times.
_locks: dict[str, threading.Lock] = {}
_locks_lock = threading.Lock()


def data_mark(session: Session) -> tuple:
    """Moves with every new call, call step, queue event or shift change: a new call is never missed.

    Changes to an existing row (a call's outcome arriving) are seen within KEEP_SECONDS.
    """
    return tuple(session.execute(select(
        select(func.max(Call.id)).scalar_subquery(), select(func.max(CallEvent.id)).scalar_subquery(),
        select(func.max(QueueEvent.id)).scalar_subquery(), select(func.max(ListenerShift.id)).scalar_subquery(),
        select(func.count(ListenerShift.id)).scalar_subquery())).one())


def remembered(session: Session, key: Hashable, compute: Callable[[], Value], now: datetime) -> Value:
    """The value computed for ``key`` on the same data less than KEEP_SECONDS ago (by any worker), else a fresh one."""
    stored_key = report_cache.cache_key((key, data_mark(session)))
    found = report_cache.read(session, stored_key, now)
    if found is not None:
        return found
    with _locks_lock:
        lock = _locks.setdefault(stored_key, threading.Lock())
    with lock:
        found = report_cache.read(session, stored_key, now)
        if found is not None:
            return found
        value = compute()
        _store(stored_key, value, now)
    with _locks_lock:
        _locks.pop(stored_key, None)
    return value


def _store(key: str, value, now: datetime) -> None:
    """In a transaction of its own: the page's session stays read-only. A report that cannot be kept (the
    database busy with callers' writes) is still shown; the next reading counts it again."""
    try:
        with database.session() as writer:
            report_cache.write(writer, key, value, now)
            writer.commit()
    except Exception as error:  # noqa: BLE001 — any database failure: the figures are there all the same
        current_app.logger.warning("report not kept in the cache: %s", type(error).__name__)
