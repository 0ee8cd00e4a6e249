"""Nuisance callers: what a flag or the line's throttle does to an incoming call — pure, takes ``now``."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Sequence

# A flag never lasts for ever: a number changes hands, a person in crisis calls again months later.
MAX_FLAG_DAYS = 90
LOW_PRIORITY = -1  # behind every unflagged caller (0) and every callback (0 to 10) of the pool


class FlagAction(str, enum.Enum):
    MESSAGE_THEN_END = "message_end"  # a short message, then the call ends
    LOWER_PRIORITY = "low_priority"  # answered, but queued behind unflagged callers


class Verdict(str, enum.Enum):
    ADMIT = "admit"
    LOWER_PRIORITY = "low_priority"
    FLAGGED_MESSAGE = "flagged_message"
    THROTTLED = "throttled"


@dataclass(frozen=True, slots=True)
class Throttle:
    """At most ``calls`` calls from one caller within ``minutes`` on the line; the next ones hear a message."""

    calls: int
    minutes: int

    def window_start(self, now: datetime) -> datetime:
        return now - timedelta(minutes=self.minutes)


@dataclass(frozen=True, slots=True)
class Flag:
    action: FlagAction
    expires_at: datetime
    lifted_at: datetime | None = None

    def active(self, now: datetime) -> bool:
        return self.lifted_at is None and self.expires_at > now


@dataclass(frozen=True, slots=True)
class Screening:
    verdict: Verdict
    reason: str  # recorded on the call, in words, never with the number

    @property
    def ends_the_call(self) -> bool:
        return self.verdict in (Verdict.FLAGGED_MESSAGE, Verdict.THROTTLED)


ADMITTED = Screening(Verdict.ADMIT, "")


def screen(*, withheld: bool, flags: Iterable[Flag], throttle: Throttle | None,
           earlier_calls: Sequence[datetime], now: datetime) -> Screening:
    """The verdict for one incoming call.

    Withheld callers are never screened: they have no identity to flag or count, and blocking "anonymous"
    would turn away exactly the callers who hide their number to be safe. A flag that ends calls wins over
    the throttle, which wins over a lower priority (the throttled call ends; a priority would not matter).
    ``earlier_calls`` are the start times of this caller's previous calls to the line, any age.
    """
    if withheld:
        return ADMITTED
    active = [flag for flag in flags if flag.active(now)]
    if any(flag.action is FlagAction.MESSAGE_THEN_END for flag in active):
        return Screening(Verdict.FLAGGED_MESSAGE, "caller flagged by a coordinator: message, then end")
    if throttle is not None:
        since = throttle.window_start(now)
        recent = sum(1 for started in earlier_calls if since <= started <= now)
        if recent >= throttle.calls:
            return Screening(Verdict.THROTTLED,
                             f"{recent} earlier calls within {throttle.minutes} minutes (limit {throttle.calls})")
    if any(flag.action is FlagAction.LOWER_PRIORITY for flag in active):
        return Screening(Verdict.LOWER_PRIORITY, "caller flagged by a coordinator: answered with lower priority")
    return ADMITTED


def queue_priority(flags: Iterable[Flag], now: datetime) -> int:
    """The priority a caller waits with: lower for an active lower-priority flag, the usual 0 otherwise."""
    if any(flag.active(now) and flag.action is FlagAction.LOWER_PRIORITY for flag in flags):
        return LOW_PRIORITY
    return 0


def expiry_problem(expires_at: datetime | None, now: datetime) -> str | None:
    """Why a flag's expiry cannot be accepted ("missing", "past", "too_far"), or None."""
    if expires_at is None:
        return "missing"
    if expires_at <= now:
        return "past"
    if expires_at > now + timedelta(days=MAX_FLAG_DAYS):
        return "too_far"
    return None


def flags_from(rows: Sequence[tuple[str, datetime, datetime | None]]) -> list[Flag]:
    """Plain flags from (action, expires_at, lifted_at) rows; an unknown action is ignored, not guessed."""
    known = {action.value: action for action in FlagAction}
    return [Flag(known[action], expires, lifted) for action, expires, lifted in rows if action in known]
