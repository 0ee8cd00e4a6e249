"""Is a line open at a given instant, why, and when does that change: overrides, closures, holidays, shifts."""

from __future__ import annotations

from bisect import bisect_right
from datetime import datetime, timedelta
from functools import lru_cache

from schedules.holiday_calendar import upcoming_holidays
from schedules.model import OverrideMode, Reason, Schedule, Status
from schedules.weekly import UTC, WeeklyPlan, weekly_plan

__all__ = ["HORIZON", "status_at", "next_opening", "upcoming_holidays"]

HORIZON = timedelta(days=400)


class _ActiveOverride:
    __slots__ = ("starts_at", "ends_at", "is_open", "reason")

    def __init__(self, starts_at: datetime, ends_at: datetime | None, is_open: bool, reason: str):
        self.starts_at, self.ends_at, self.is_open, self.reason = starts_at, ends_at, is_open, reason


class _CompiledSchedule:
    """A schedule with every instant in UTC, closures merged and overrides given their end."""

    __slots__ = ("plan", "closures", "closure_starts", "closure_ends", "overrides", "override_edges")

    def __init__(self, schedule: Schedule):
        self.plan: WeeklyPlan = weekly_plan(schedule.timezone, schedule.shifts, schedule.holidays)
        spans = [(_utc(c.starts_at), _utc(c.ends_at), c.reason) for c in schedule.closures]
        self.closures = sorted(span for span in spans if span[1] > span[0])
        merged: list[list[datetime]] = []
        for starts, ends, _ in self.closures:
            if merged and starts <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], ends)
            else:
                merged.append([starts, ends])
        self.closure_starts = [starts for starts, _ in merged]
        self.closure_ends = [ends for _, ends in merged]
        # Overrides come after closures: "until the next scheduled change" looks at everything else.
        self.overrides: list[_ActiveOverride] = []
        dated = sorted((_utc(o.starts_at), order, o) for order, o in enumerate(schedule.overrides))
        for starts, _, override in dated:
            if override.until is None:
                is_open = _open_without_overrides(self, starts)
                ends = _next_change_without_overrides(self, starts, is_open, starts + HORIZON)
            else:
                ends = _utc(override.until)
                if ends <= starts:
                    continue
            is_open = override.mode is OverrideMode.OPEN
            self.overrides.append(_ActiveOverride(starts, ends, is_open, override.reason))
        edges = {o.starts_at for o in self.overrides} | {o.ends_at for o in self.overrides}
        self.override_edges = sorted(edges - {None})

    def override_at(self, instant: datetime) -> _ActiveOverride | None:
        for override in reversed(self.overrides):  # sorted by start: the latest started comes first
            if override.starts_at <= instant and (override.ends_at is None or instant < override.ends_at):
                return override
        return None

    def closure_reason_at(self, instant: datetime) -> str | None:
        index = bisect_right(self.closure_starts, instant) - 1
        if index < 0 or self.closure_ends[index] <= instant:
            return None
        return [reason for starts, ends, reason in self.closures if starts <= instant < ends][-1]

    def after_closure(self, instant: datetime) -> datetime:
        """``instant`` itself, or the end of the closed period covering it."""
        index = bisect_right(self.closure_starts, instant) - 1
        if index >= 0 and self.closure_ends[index] > instant:
            return self.closure_ends[index]
        return instant

    def next_closure_start(self, instant: datetime) -> datetime | None:
        index = bisect_right(self.closure_starts, instant)
        return self.closure_starts[index] if index < len(self.closure_starts) else None


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"expected an aware datetime, got naive {moment!r}")
    return moment.astimezone(UTC)


@lru_cache(maxsize=4096)
def _compile(schedule: Schedule) -> _CompiledSchedule:
    return _CompiledSchedule(schedule)


def _state_without_overrides(compiled: _CompiledSchedule, instant: datetime, ordinal: int):
    """(is_open, reason, detail, holiday_date) from closures, holidays and shifts only."""
    reason = compiled.closure_reason_at(instant)
    if reason is not None:
        return False, Reason.CLOSURE, reason, None
    day = compiled.plan.day(ordinal)
    if day.holiday is not None:
        return False, Reason.HOLIDAY, day.holiday, day.date
    for opens, closes in day.pieces:
        if opens <= instant < closes:
            return True, Reason.HOURS, "", None
    return False, Reason.OUTSIDE_HOURS, "", None


def _open_without_overrides(compiled: _CompiledSchedule, instant: datetime) -> bool:
    return _state_without_overrides(compiled, instant, instant.astimezone(compiled.plan.zone).toordinal())[0]


def _next_change_without_overrides(
    compiled: _CompiledSchedule, instant: datetime, is_open: bool, limit: datetime
) -> datetime | None:
    """First flip strictly after ``instant`` of the schedule without overrides, or None after ``limit``."""
    plan = compiled.plan
    if is_open:
        end = plan.open_run_end(instant, plan.day_of(instant), limit)
        cut = compiled.next_closure_start(instant)
        if cut is not None and cut <= limit and (end is None or cut < end):
            return cut
        return end
    if not plan.has_shifts:
        return None
    probe, day = instant, plan.day_of(instant)
    while day.start <= limit:
        jumped = False
        for opens, closes in day.pieces:
            if closes <= probe:
                continue
            opens = compiled.after_closure(max(opens, probe))
            if opens < closes:
                return opens if opens <= limit else None
            probe = opens
            if probe >= day.end:
                jumped = True  # a long closure: skip straight to the day it ends
                break
        day = plan.day_of(probe) if jumped else plan.day(day.ordinal + 1)
    return None


def _next_flip(compiled: _CompiledSchedule, now: datetime, is_open: bool, limit: datetime) -> datetime | None:
    """Walk the segments between override edges; inside each, the override or the plain schedule rules."""
    edges = compiled.override_edges
    index = bisect_right(edges, now)
    instant = now
    while True:
        segment_end = edges[index] if index < len(edges) else None
        override = compiled.override_at(instant) if edges else None
        if override is not None:
            if override.is_open != is_open:
                return instant
        else:
            underlying_open = is_open if instant is now else _open_without_overrides(compiled, instant)
            if underlying_open != is_open:
                return instant
            change = _next_change_without_overrides(compiled, instant, is_open, limit)
            if change is not None and (segment_end is None or change < segment_end):
                return change
        if segment_end is None or segment_end > limit:
            return None
        instant, index = segment_end, index + 1


def status_at(schedule: Schedule, now: datetime) -> Status:
    """Open or closed at ``now`` (aware, any timezone), why, and when that flips next.

    Rules, in the order they are applied:

    * **Override** (force open / force closed): active when ``starts_at <= now < end``.  When several
      are active, the one that started last wins (equal starts: the later one in the tuple).  ``end`` is
      ``until``; with ``until=None`` it is the first moment strictly after ``starts_at`` at which the
      schedule *without any override* flips between open and closed (FreePBX's temporary override):
      forcing open at 20:00 a line that closed at 19:00 lasts until the 09:00 opening; forcing closed at
      10:00 lasts until the 19:00 closing.  If that schedule never flips within ``HORIZON`` of
      ``starts_at``, the override never ends.  An ``until`` not after ``starts_at`` voids the override.
    * **Closure**: closed on ``[starts_at, ends_at)``; overlapping or touching closures act as one.  The
      detail is the reason of the covering closure that started last.
    * **Holiday** (only if ``schedule.holidays`` and ``.closes``): closed for the whole local calendar
      day, 00:00 to 24:00; a shift crossing midnight into a holiday is cut at midnight, and one crossing
      out of a holiday opens at midnight.  Detail: the holiday's French name; ``holiday_date`` is set.
    * **Weekly shifts**: local wall-clock times in ``schedule.timezone``, following the clock on the
      wall across daylight-saving changes: a 01:00-04:00 shift on the autumn night lasts 4 real hours; a
      time that does not exist (02:30 on a spring-forward day) means the first instant after it (03:00);
      an ambiguous time means its first occurrence (fold=0).  Touching shifts (09-12 and 12-14, or one
      ending and one starting at midnight) form one open stretch with no flip between them.

    ``changes_at`` is the next instant strictly after ``now`` at which ``is_open`` flips, whichever rule
    causes it, looking at most ``HORIZON`` (400 days) ahead; None means no flip within that horizon.
    ``at`` and ``changes_at`` are in the schedule's timezone.  Raises ValueError on a naive ``now`` (or
    a naive closure or override datetime).
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("status_at needs an aware datetime; got a naive one")
    compiled = _compile(schedule)
    zone = compiled.plan.zone
    instant = now.astimezone(UTC)
    local = instant.astimezone(zone)
    override = compiled.override_at(instant) if compiled.overrides else None
    if override is not None:
        is_open = override.is_open
        reason = Reason.OVERRIDE_OPEN if is_open else Reason.OVERRIDE_CLOSED
        detail, holiday_date = override.reason, None
    else:
        is_open, reason, detail, holiday_date = _state_without_overrides(compiled, instant, local.toordinal())
    changes_at = _next_flip(compiled, instant, is_open, instant + HORIZON)
    return Status(
        at=local,
        is_open=is_open,
        reason=reason,
        detail=detail,
        changes_at=changes_at.astimezone(zone) if changes_at is not None else None,
        holiday_date=holiday_date,
    )


def next_opening(schedule: Schedule, now: datetime) -> datetime | None:
    """``now`` (in the schedule's timezone) if open, else when it next opens; None if not within HORIZON."""
    status = status_at(schedule, now)
    return status.at if status.is_open else status.changes_at

