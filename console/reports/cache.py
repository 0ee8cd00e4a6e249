"""A short memory of computed reports, so a page and the charts it asks for right after compute them once."""

from __future__ import annotations

import threading
import time
from typing import Callable, Hashable, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.models import Call, CallEvent, ListenerShift, QueueEvent

Value = TypeVar("Value")
KEEP_SECONDS = 60.0
MAX_ENTRIES = 16
_entries: dict[Hashable, tuple[float, Value]] = {}
_lock = threading.Lock()


def data_mark(session: Session) -> tuple:
    """Moves with every new call, call step, queue event or shift change: a new call is never missed.

    Changes to an existing row (a call's outcome arriving) are seen within KEEP_SECONDS.
    """
    return tuple(session.execute(select(
        select(func.max(Call.id)).scalar_subquery(), select(func.max(CallEvent.id)).scalar_subquery(),
        select(func.max(QueueEvent.id)).scalar_subquery(), select(func.max(ListenerShift.id)).scalar_subquery(),
        select(func.count(ListenerShift.id)).scalar_subquery())).one())


def remembered(session: Session, key: Hashable, compute: Callable[[], Value]) -> Value:
    """The value computed for ``key`` on the same data less than KEEP_SECONDS ago, else a fresh one."""
    full_key = (key, data_mark(session))
    moment = time.monotonic()
    with _lock:
        found = _entries.get(full_key)
        if found is not None and moment - found[0] < KEEP_SECONDS:
            return found[1]
    value = compute()
    with _lock:
        _entries[full_key] = (moment, value)
        for stale in [k for k, (at, _) in _entries.items() if moment - at >= KEEP_SECONDS]:
            del _entries[stale]
        while len(_entries) > MAX_ENTRIES:
            del _entries[min(_entries, key=lambda k: _entries[k][0])]
    return value
