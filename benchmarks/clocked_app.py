"""The real app (``app.create_app()``, settings from the environment) with only its CLOCK replaced.

webhook_throughput.py serves this by default so that its figures do not depend on the hour it is run at:
each request takes the next instant of ``INSTANTS`` in turn, so the seed lines are seen open, closed for
the night, closed for the weekend and closed for a public holiday (FR and BE) in fixed proportions.
``--clock real`` serves ``app:create_app()`` itself instead.

    gunicorn -w 2 -b 127.0.0.1:8000 'benchmarks.clocked_app:create()'
"""

from __future__ import annotations

import itertools
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from app import create_app

PARIS = ZoneInfo("Europe/Paris")
INSTANTS = (
    datetime(2026, 11, 24, 10, 30, tzinfo=PARIS),  # Tuesday morning: every seed line is open
    datetime(2026, 11, 24, 15, 45, tzinfo=PARIS),  # Tuesday afternoon: open
    datetime(2026, 11, 24, 20, 15, tzinfo=PARIS),  # Tuesday evening: only France Victimes (9-21) is open
    datetime(2026, 11, 25, 3, 0, tzinfo=PARIS),  # night: everything closed
    datetime(2026, 11, 28, 11, 0, tzinfo=PARIS),  # Saturday: the Mon-Fri lines are closed
    datetime(2026, 11, 11, 11, 0, tzinfo=PARIS),  # Armistice, a public holiday in France and Belgium
)


class RotatingClock:
    """The instants in turn, each read a new datetime a microsecond later than the last, as a real clock's reads are
    (the same object twice would let the engine's answers kept per instant, schedules/hours.py, serve other calls)."""

    def __init__(self, instants):
        self._cycle = itertools.cycle(instants)
        self._reads = itertools.count()
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return next(self._cycle) + timedelta(microseconds=next(self._reads) % 1_000_000)


def create():
    return create_app({"CLOCK": RotatingClock(INSTANTS)})
