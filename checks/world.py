"""Virtual time shared by every leg of every call: each leg runs in a thread of its own, one at a time, earliest first.

A leg is written as plain sequential code (play this, wait that long, fetch the next document); ``World.sleep`` is
where it lets virtual time pass. Only one leg runs at any moment, so the legs, the REST side and the conferences
share their state without races; what another party does to a leg (a REST redirect, the conference ending, the
caller hanging up) reaches it as an ``Interrupted`` raised out of its sleep, at the virtual instant it happened.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from typing import Callable

TURN_WALL_SECONDS = 60.0  # a leg that keeps its turn longer than this (a stalled server) stops the world


class Interrupted(Exception):
    """Something outside the leg changed what it does: ``kind`` is redirect, hangup, conference-left, dequeued."""

    def __init__(self, kind: str, **details) -> None:
        super().__init__(kind)
        self.kind = kind
        self.details = details


class _Entry:
    __slots__ = ("leg", "token", "action")

    def __init__(self, leg=None, token: int = 0, action: Callable[[], None] | None = None) -> None:
        self.leg, self.token, self.action = leg, token, action


class World:
    """``world.spawn(leg, at)`` starts ``leg.live()`` in its own thread at virtual second ``at``; ``world.run()``
    hands the turn to the earliest leg until none is left. ``advance(seconds)`` moves the engine's clock along."""

    def __init__(self, advance: Callable[[float], None] = lambda seconds: None) -> None:
        self.now = 0.0
        self.advance = advance
        self.lock = threading.RLock()
        self._heap: list[tuple[float, int, _Entry]] = []
        self._seq = itertools.count()
        self._yielded = threading.Event()
        self.errors: list[str] = []
        self.legs: list = []  # every leg ever spawned, for the checks (who was on which call, when)

    # --- scheduling -------------------------------------------------------------------------------------------------

    def _push(self, at: float, entry: _Entry) -> None:
        heapq.heappush(self._heap, (max(at, self.now), next(self._seq), entry))

    def at(self, when: float, action: Callable[[], None]) -> None:
        """Run ``action`` at virtual second ``when``, while no leg runs (a webhook Twilio sends on its own: a
        conference event, a hold-music fetch, a status callback)."""
        with self.lock:
            self._push(when, _Entry(action=action))

    def spawn(self, leg, at: float | None = None) -> None:
        with self.lock:
            leg.wake_token = 0
            leg.pending = None
            leg.go = threading.Event()
            self.legs.append(leg)
            thread = threading.Thread(target=self._live, args=(leg,), name=f"leg-{getattr(leg, 'sid', '?')}",
                                      daemon=True)
            leg.thread = thread
            self._push(self.now if at is None else at, _Entry(leg, 0))
        thread.start()

    def _live(self, leg) -> None:
        leg.go.wait()
        if getattr(leg, "closed", False):  # never answered (canceled, or the world ended first)
            return
        leg.had_a_turn = True
        try:
            leg.live()
        except Exception as error:  # noqa: BLE001 — reported, never lost in a thread
            self.errors.append(f"{type(error).__name__} in a leg: {error}")
        finally:
            leg.finished = True
            self._yielded.set()

    def run(self) -> None:
        while True:
            with self.lock:
                entry = self._next_entry()
                if entry is None:
                    return
            if entry.action is not None:  # outside the lock: it may send a webhook, whose answer may call REST
                try:
                    entry.action()
                except Exception as error:  # noqa: BLE001 — reported, the world goes on
                    self.errors.append(f"{type(error).__name__} in a timed action: {error}")
                continue
            self._yielded.clear()
            entry.leg.go.set()
            if not self._yielded.wait(TURN_WALL_SECONDS):
                self.errors.append("a leg kept its turn over a minute of real time: the world stopped")
                return

    def close(self) -> None:
        """After ``run``: the threads of legs that never got a turn (a call canceled while ringing) end too."""
        for leg in self.legs:
            if not getattr(leg, "had_a_turn", False):
                leg.closed = True
                leg.go.set()

    def _next_entry(self) -> _Entry | None:
        while self._heap:
            when, _, entry = heapq.heappop(self._heap)
            if entry.leg is not None and (entry.token != entry.leg.wake_token or getattr(entry.leg, "finished", 0)):
                continue  # rescheduled since (interrupted): a stale wake-up
            if when > self.now:
                self.advance(when - self.now)
                self.now = when
            return entry
        return None

    # --- what a leg calls --------------------------------------------------------------------------------------------

    def sleep(self, leg, seconds: float) -> None:
        """Let ``seconds`` of virtual time pass for this leg; raise ``Interrupted`` if something changed it first."""
        with self.lock:
            self._raise_pending(leg)
            leg.wake_token += 1
            self._push(self.now + max(seconds, 0.0), _Entry(leg, leg.wake_token))
            leg.go.clear()
        self._yielded.set()
        leg.go.wait()
        with self.lock:
            self._raise_pending(leg)

    def checkpoint(self, leg) -> None:
        """Between two verbs: an interruption that came while the leg was busy (its own webhook) takes effect."""
        with self.lock:
            self._raise_pending(leg)

    @staticmethod
    def _raise_pending(leg) -> None:
        if leg.pending is not None:
            pending, leg.pending = leg.pending, None
            raise pending

    def interrupt(self, leg, interruption: Interrupted) -> None:
        """Called by whatever changes a leg (REST side, a conference, a timer): it wakes now and hears about it.
        A hang-up is never overridden by a later redirect at the same instant."""
        with self.lock:
            if getattr(leg, "finished", False):
                return
            if leg.pending is not None and leg.pending.kind == "hangup":
                return
            leg.pending = interruption
            leg.wake_token += 1
            self._push(self.now, _Entry(leg, leg.wake_token))
