"""Call traffic over a period: calls per weekday and hour, what became of them, who called (pure, no I/O)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Iterable

WEEKDAYS = 7
HOURS = 24

# Call.outcome as the conversation leaves it, grouped the way coordinators report it.
OUTCOME_GROUPS = {
    "answered": "answered",  # bridged to a listener
    "abandoned": "abandoned",  # hung up while waiting in the queue
    "forwarded": "forwarded",  # the forward (e.g. the 107) answered
    "handed_off": "handed_off",  # the département centre answered
    "emergency_fallback": "emergency_fallback",
    "callback_requested": "callback_requested",
    "ended_closed": "ended_closed",  # closed: told why and when it reopens, then the call ended
    "ended": "ended",  # the chain ended politely while the line was open
    "menu_information": "menu_information",  # the menu's information was enough (e.g. minors sent to the 119)
    "quick_exit": "quick_exit",
}
# Still in progress, or the caller hung up before a result came back (during a ring, the greeting or the menu).
NO_RESULT = "no_result"
OUTCOME_ORDER = ("answered", "abandoned", "forwarded", "handed_off", "emergency_fallback", "callback_requested",
                 "ended_closed", "ended", "menu_information", "quick_exit", NO_RESULT)
CLOSED_REASONS = ("outside_hours", "holiday", "closure", "override_closed")
CALLER_KINDS = ("first_time", "repeat", "withheld", "not_kept")
# Calls that never wanted a listener: they do not count in the demand the staffing advice answers.
NOT_DEMAND = frozenset({"menu_information"})
HANDOFF_OUTCOMES = frozenset({"handed_off", "handing_off"})


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One call as the reports need it; the caller is only known as first-time, repeat, withheld or not kept."""

    started_at: datetime  # aware
    outcome: str | None
    closed_reason: str | None  # set when the line was closed at one of the call's routing decisions
    caller_kind: str  # one of CALLER_KINDS
    forwarded_to: str | None = None  # the last forward's target as the rule names it

    @property
    def outcome_group(self) -> str:
        return OUTCOME_GROUPS.get(self.outcome or "", NO_RESULT)

    @property
    def wanted_a_listener_while_open(self) -> bool:
        return self.closed_reason is None and self.outcome not in NOT_DEMAND

    def heard_after_hours_email(self, line_has_email: bool) -> bool:
        """A closed line gives its email address unless the caller was handed to an open centre instead.

        Derived, not recorded: the conversation announces "closed" once, on the first closed decision that
        does not hand off or ask for the département; a caller who hung up before it (no outcome) is not counted.
        """
        return (line_has_email and self.closed_reason is not None and self.outcome is not None
                and self.outcome not in HANDOFF_OUTCOMES)


def caller_kind(withheld: bool, hashed: bool, called_before: bool) -> str:
    if withheld:
        return "withheld"
    if not hashed:
        return "not_kept"  # refused a callback (the hash is dropped), or past the retention period
    return "repeat" if called_before else "first_time"


def heatmap(records: Iterable[CallRecord], tz: tzinfo) -> list[list[int]]:
    """Calls per local weekday (rows, Monday first) and hour of day (columns)."""
    grid = [[0] * HOURS for _ in range(WEEKDAYS)]
    for record in records:
        local = record.started_at.astimezone(tz)
        grid[local.weekday()][local.hour] += 1
    return grid


def outcome_counts(records: Iterable[CallRecord]) -> dict[str, int]:
    """Calls per outcome group, every group present, in OUTCOME_ORDER."""
    found = Counter(record.outcome_group for record in records)
    return {group: found.get(group, 0) for group in OUTCOME_ORDER}


def forward_targets(records: Iterable[CallRecord]) -> dict[str, int]:
    """Answered forwards per target (the 107, the listening room...), most frequent first."""
    found = Counter(r.forwarded_to or "?" for r in records if r.outcome_group == "forwarded")
    return dict(found.most_common())


def closed_counts(records: Iterable[CallRecord]) -> dict[str, int]:
    found = Counter(record.closed_reason for record in records if record.closed_reason)
    return {reason: found.get(reason, 0) for reason in CLOSED_REASONS}


def caller_kind_counts(records: Iterable[CallRecord]) -> dict[str, int]:
    found = Counter(record.caller_kind for record in records)
    return {kind: found.get(kind, 0) for kind in CALLER_KINDS}


def weekday_occurrences(first: date, end: date) -> list[int]:
    """How many Mondays, Tuesdays… the local days [first, end) hold: each weekday-hour slot occurs that often."""
    counts = [0] * WEEKDAYS
    days = (end - first).days
    for offset in range(min(days, WEEKDAYS)):
        weekday = (first + timedelta(days=offset)).weekday()
        counts[weekday] = (days - offset + WEEKDAYS - 1) // WEEKDAYS
    return counts
