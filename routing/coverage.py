"""Coverage of a typical week: opening hours against scheduled listeners and the advised number, hour by hour."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Iterable, Sequence

from routing.staffing import Advice, listeners_needed

MINUTES_PER_WEEK = 7 * 24 * 60


@dataclass(frozen=True, slots=True)
class WeeklyWindow:
    """A weekly span in local wall-clock time; ``end <= start`` crosses midnight, ``end == 00:00`` is midnight."""

    weekday: int  # 0 = Monday
    start: time
    end: time


def week_minutes(windows: Iterable[WeeklyWindow], shift_minutes: int = 0) -> list[bool]:
    """Which minutes of the week (Monday 00:00 first) the windows cover; Sunday night wraps onto Monday.

    ``shift_minutes`` moves every window, for shifts written in another time zone than the line's.
    """
    covered = [False] * MINUTES_PER_WEEK
    for window in windows:
        start = window.weekday * 1440 + window.start.hour * 60 + window.start.minute
        length = (window.end.hour * 60 + window.end.minute) - (window.start.hour * 60 + window.start.minute)
        if length <= 0:
            length += 1440
        for minute in range(start + shift_minutes, start + shift_minutes + length):
            covered[minute % MINUTES_PER_WEEK] = True
    return covered


@dataclass(frozen=True, slots=True)
class SlotDemand:
    """What one weekday-hour slot saw over the period."""

    weekday: int
    hour: int
    calls: int  # calls that wanted a listener while the line was open
    occurrences: int  # how many times the period holds this slot
    handle_seconds: float  # talk plus wrap-up used for the advice
    handle_source: str  # "slot" (talks in this slot), "period" (the line's mean) or "default" (no talk seen)


@dataclass(frozen=True, slots=True)
class SlotCoverage:
    weekday: int
    hour: int
    open_minutes: int  # minutes of the hour the line is open in a usual week
    scheduled: int  # fewest listeners scheduled at any open minute of the hour (all day when closed)
    calls_per_hour: float
    handle_seconds: float
    handle_source: str
    advice: Advice

    @property
    def is_open(self) -> bool:
        return self.open_minutes > 0

    @property
    def gap(self) -> str | None:
        """"nobody" (open, nobody scheduled), "short" (fewer than advised), or None."""
        if not self.is_open:
            return None
        if self.scheduled == 0:
            return "nobody"
        if self.scheduled < self.advice.listeners:
            return "short"
        return None


def coverage(open_minutes: Sequence[bool], listeners: Sequence[Sequence[bool]], demand: Iterable[SlotDemand],
             target_seconds: float, target_level: float) -> list[SlotCoverage]:
    """Every one of the 168 slots, Monday 00:00 first: open minutes, listeners scheduled, advice from demand."""
    by_slot = {(d.weekday, d.hour): d for d in demand}
    staffed = [sum(column) for column in zip(*listeners)] if listeners else [0] * MINUTES_PER_WEEK
    rows = []
    for slot in range(7 * 24):
        weekday, hour = divmod(slot, 24)
        minutes = range(slot * 60, slot * 60 + 60)
        open_here = [m for m in minutes if open_minutes[m]]
        counted = open_here or list(minutes)
        scheduled = min(staffed[m] for m in counted)
        seen = by_slot.get((weekday, hour))
        rate = seen.calls / seen.occurrences if seen and seen.occurrences else 0.0
        handle = seen.handle_seconds if seen else 0.0
        advice = listeners_needed(rate, handle, target_seconds, target_level) if rate > 0 else \
            listeners_needed(0, 1, target_seconds, target_level)
        rows.append(SlotCoverage(weekday, hour, len(open_here), scheduled, rate, handle,
                                 seen.handle_source if seen else "", advice))
    return rows
