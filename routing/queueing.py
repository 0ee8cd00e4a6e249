"""Queue rules of a pool: who may take which caller, in what order, how long the wait is, what to announce."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Iterable, Mapping, Sequence


class Strategy(str, enum.Enum):
    LONGEST_IDLE = "longest_idle"  # the listener idle the longest gets the call (Asterisk leastrecent)
    ROUND_ROBIN = "round_robin"  # take turns, remembering who was offered last (rrmemory)
    RING_SEVERAL = "ring_several"  # ring up to N matching listeners at once; the first to press 1 takes it


class ListenerStatus(str, enum.Enum):
    OFFLINE = "offline"
    AVAILABLE = "available"
    RINGING = "ringing"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"
    PAUSED = "paused"


LOGGED_IN = frozenset(s.value for s in ListenerStatus if s is not ListenerStatus.OFFLINE)
DEFAULT_HANDLE_SECONDS = 300  # before a pool has history: a helpline call is long


@dataclass(frozen=True, slots=True)
class PoolSettings:
    max_size: int = 20  # callers waiting at most; the next one goes on to the next rule
    max_wait: int = 600  # seconds in the queue before the caller leaves it and the chain goes on
    ring_timeout: int = 20  # seconds a listener's phone rings before the offer counts as missed
    accept_timeout: int = 10  # seconds to press 1 after the whisper
    wrapup: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({"default": 60}))
    strategy: Strategy = Strategy.LONGEST_IDLE
    ring_several: int = 3
    auto_pause_after: int = 2  # missed offers in a row before a listener is paused
    announce_position: bool = True
    announce_to_head: bool = True  # tell the caller at the head "you are next"; a line may turn it off
    announce_every: int = 45
    leave_key: str | None = "0"  # key to leave the queue for a callback request
    message: Mapping[str, str] | None = None  # periodic message, per language
    service_level_seconds: int = 60
    short_abandon_seconds: int = 10
    # A call the listener marked difficult (the desk, issue 14): a longer pause before the next one, for a debrief.
    difficult_wrapup: int = 300
    # Every call offered to two listeners at once (a 3977 centre's binôme, issue 14 §2): the first to take it is
    # bridged, the second joins muted as the binôme when they answer. Only from listeners no other caller needs.
    offer_to_pair: bool = False

    def wrapup_seconds(self, caller_type: str | None) -> int:
        return self.wrapup.get(caller_type or "default", self.wrapup.get("default", 60))

    def wrapup_after(self, caller_type: str | None, difficult: bool) -> int:
        """The wrap-up after a call: a difficult one never shortens what its caller type already gives."""
        usual = self.wrapup_seconds(caller_type)
        return max(usual, self.difficult_wrapup) if difficult else usual


@dataclass(frozen=True, slots=True)
class Candidate:
    """An available listener as the dispatcher sees it."""

    id: int
    languages: tuple[str, ...]
    skills: tuple[str, ...]
    idle_since: datetime | None
    last_offered_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class WaitingCaller:
    id: int
    language: str
    caller_type: str | None
    callback: bool = False  # a callback request rather than a caller on the line
    priority: int = 0
    since: datetime | None = None


def can_take(listener: Candidate, caller: WaitingCaller) -> bool:
    """Language must match; skills restrict only when both the listener lists skills and the type is known."""
    if listener.languages and caller.language not in listener.languages:
        return False
    if listener.skills and caller.caller_type and caller.caller_type not in listener.skills:
        return False
    return True


def _never_first(moment: datetime | None) -> tuple:
    # None sorts first: a listener never stamped has waited "forever". Aware datetimes compare to each other only.
    return (moment is not None, moment.timestamp() if moment else 0.0)


def _idle_key(listener: Candidate) -> tuple:
    # Ties (same second) go to whoever was offered a call the longest ago: a missed offer goes to the back.
    return (*_never_first(listener.idle_since), *_never_first(listener.last_offered_at), listener.id)


def order_listeners(strategy: Strategy, listeners: Iterable[Candidate]) -> list[Candidate]:
    listeners = list(listeners)
    if strategy is Strategy.ROUND_ROBIN:
        return sorted(listeners, key=lambda l: (*_never_first(l.last_offered_at), l.id))
    return sorted(listeners, key=_idle_key)


def match(
    strategy: Strategy,
    callers: Sequence[WaitingCaller],
    listeners: Iterable[Candidate],
    ring_several: int = 1,
    pair: bool = False,
) -> list[tuple[WaitingCaller, list[Candidate]]]:
    """Pair waiting callers (oldest first) with listeners; each listener is offered at most one caller.

    ``pair``: once every caller who can be served has a listener, each (callbacks aside) gets a second one from those
    left, in the same order: a caller never waits so that another one gets a binôme."""
    free = order_listeners(strategy, listeners)
    per_caller = ring_several if strategy is Strategy.RING_SEVERAL else 1
    pairs = []
    for caller in callers:
        chosen = [l for l in free if can_take(l, caller)][:1 if caller.callback else per_caller]
        if not chosen:
            continue
        pairs.append((caller, chosen))
        taken = {l.id for l in chosen}
        free = [l for l in free if l.id not in taken]
        if not free:
            break
    if pair and per_caller == 1:
        pairs = [(caller, chosen + _partner(caller, chosen, free)) for caller, chosen in pairs]
    return pairs


def _partner(caller: WaitingCaller, chosen: list[Candidate], free: list[Candidate]) -> list[Candidate]:
    """The second listener of a pair, taken out of ``free`` (changed in place); none for a callback."""
    if caller.callback:
        return []
    for listener in free:
        if can_take(listener, caller):
            free.remove(listener)
            return [listener]
    return []


def average_handle_time(handle_times: Sequence[int]) -> int:
    recent = [t for t in handle_times if t > 0]
    return round(sum(recent) / len(recent)) if recent else DEFAULT_HANDLE_SECONDS


def estimated_wait(position: int, staffed: int, available: int, handle_seconds: int) -> int:
    """Seconds until the caller at ``position`` (1 = head) is answered.

    Callers ahead are served in rounds of ``staffed`` listeners; the calls under way are on average half
    done, hence the half handle time taken off.
    """
    if position <= available:
        return 0
    ahead = position - available
    rounds = math.ceil(ahead / max(staffed, 1))
    return max(0, rounds * handle_seconds - handle_seconds // 2)


@dataclass(frozen=True, slots=True)
class Announcement:
    position: int | None  # say "you are caller N" (None: nothing to say)
    wait_minutes: int | None  # say "about N minutes" (None: nothing to say)
    best_position: int | None
    best_wait: int | None


def announcement(settings: PoolSettings, position: int, wait_seconds: int,
                 best_position: int | None, best_wait: int | None) -> Announcement:
    """What to tell a waiting caller now; what we announce only ever improves (never a worse position or wait)."""
    say_position = None
    if settings.announce_position and position >= 1 and (position > 1 or settings.announce_to_head):
        if best_position is None or position < best_position:
            say_position = position
    minutes = max(1, math.ceil(wait_seconds / 60)) if wait_seconds > 0 else None
    say_wait = None
    if minutes is not None and (best_wait is None or minutes < best_wait):
        say_wait = minutes
    return Announcement(
        position=say_position,
        wait_minutes=say_wait,
        best_position=min(p for p in (best_position, position) if p is not None) if position >= 1 else best_position,
        best_wait=min(w for w in (best_wait, minutes) if w is not None) if minutes is not None else best_wait,
    )
