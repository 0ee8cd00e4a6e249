"""The real app for the load and fault scripts, its clock moved to a weekday morning but running in real time.

HELPLINE_STORM_START (an ISO instant) is what the clock says at HELPLINE_STORM_ANCHOR (a Unix time), so every
worker and the scripts agree on "now" while wrap-ups and queue waits still pass in real seconds.

    gunicorn -c gunicorn.conf.py 'benchmarks.storm_app:create()'
"""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta

from app import create_app


class ShiftedClock:
    def __init__(self, start: datetime, anchor: float):
        self.start, self.anchor = start, anchor

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.time() - self.anchor)


def clock_from_environment() -> ShiftedClock:
    return ShiftedClock(datetime.fromisoformat(os.environ["HELPLINE_STORM_START"]),
                        float(os.environ["HELPLINE_STORM_ANCHOR"]))


def create():
    return create_app({"CLOCK": clock_from_environment()})
