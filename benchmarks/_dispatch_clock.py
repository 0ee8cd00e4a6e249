"""The clock every racing dispatcher shares (threads or processes), for benchmarks/dispatch_burst.py.

Order that can be trusted. Every instant given to the app comes from a clock shared by all dispatchers
(threads or processes) that strictly increases, but it is read *before* the transaction takes its row locks,
so ``Offer.created_at`` and ``Offer.ended_at`` are not commit order. A second reading of the same counter,
a "stamp", is taken after ``claim_offers`` (resp. ``listener_leg_ended``) has returned and before the commit,
i.e. while the listener's row lock is held (FOR UPDATE on PostgreSQL; on SQLite the whole transaction is
BEGIN IMMEDIATE). Two transactions that lock the same listener are serialised by that lock, so for one
listener the stamps are in commit order. Offer ids are drawn under the same lock (flush inside the claim).
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

START = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)  # the shared clock's tick 0
TICK = timedelta(milliseconds=1)


class ThreadCounter:
    """Same interface as multiprocessing.Value("q") for the thread mode."""

    def __init__(self):
        self.value = 0
        self._lock = threading.Lock()

    def get_lock(self):
        return self._lock


class Ticker:
    """Strictly increasing integers shared by every dispatcher; ``now()`` turns the next one into an instant."""

    def __init__(self, counter):
        self.counter = counter
        self.lock = counter.get_lock()

    def stamp(self) -> int:
        with self.lock:
            self.counter.value += 1
            return self.counter.value

    def now(self) -> datetime:
        return START + self.stamp() * TICK
