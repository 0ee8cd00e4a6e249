"""Dispatchers racing one pool, for benchmarks/dispatch_burst.py: seeding and the race loop (the clock they share
in _dispatch_clock.py, each offer's webhook steps in _dispatch_steps.py, the checks in _dispatch_checks.py).

A dispatcher is a loop that, like ivr/dispatcher.py, runs ``end_wrapups`` then ``claim_offers`` in one
transaction, and then plays every offer it won to its end as the webhooks would (ivr/queue.py), each step
its own transaction with the offer row locked first as ``offer_turn`` does:

    dialled (offer_dialled) -> answered -> accepted (accept_offer) -> bridged (caller_bridged)
    -> [talk] -> leg ended (listener_leg_ended, wrap-up 0 s: the listener is free again)

``play="test"`` instead plays dialled..bridged (and the end when there is no talk) in one transaction, as
tests/store/test_dispatch_concurrency.py does.

Order that can be trusted: see _dispatch_clock.py.
"""

from __future__ import annotations

import heapq
import os
import random
import signal
import time
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from routing.queueing import ListenerStatus, PoolSettings, Strategy
from store.dispatch import WAITING, OfferPlan, claim_offers
from store.listeners import create_listener, end_wrapups, set_status
from store.models import Listener, Offer, QueuedCaller

from _dispatch_checks import live_elsewhere
from _dispatch_clock import START, Ticker
from _dispatch_steps import StateError, WebhookSteps

POOL = "burst"
SEED_AT = START - timedelta(hours=1)  # listeners' presence and callers' arrivals, before the burst
PLAY_ATTEMPTS = 3


# --- seeding --------------------------------------------------------------------------------------------------


def seed(session_factory, listeners: int, callers: int) -> None:
    """Available listeners of the pool (create_listener, then available), then waiting callers, oldest first."""
    with session_factory() as session:
        for n in range(listeners):
            listener = create_listener(session, f"Bench listener {n}", f"+32470{n:06d}", [POOL], "1234", SEED_AT)
            set_status(session, listener, ListenerStatus.AVAILABLE, SEED_AT, "chosen by benchmark")
        session.add_all(
            QueuedCaller(call_sid=f"CA{n:032x}", pool=POOL, enqueued_at=SEED_AT + timedelta(milliseconds=n + 1),
                         language="fr")
            for n in range(callers)
        )
        session.commit()


# --- one dispatcher -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RaceConfig:
    timeout: float = 300.0  # seconds, from the start of the race
    talk_ms: float = 0.0
    idle_ms: float = 1.0  # pause after an empty claim while callers still wait
    play: str = "webhooks"  # or "test"
    strategy: str = Strategy.LONGEST_IDLE.value
    barrier_timeout: float = 120.0

    def settings(self) -> PoolSettings:
        return PoolSettings(wrapup={"default": 0}, strategy=Strategy(self.strategy))


def _short(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    first = text[0] if text else ""
    cause = getattr(error, "orig", None)
    name = type(cause).__name__ if cause is not None else type(error).__name__
    return f"{name}: {first[:220]}"


class Dispatcher:
    def __init__(self, number: int, session_factory, ticker: Ticker, barrier, stop, config: RaceConfig):
        self.number = number
        self.sessions = session_factory
        self.ticker = ticker
        self.barrier = barrier
        self.stop = stop
        self.config = config
        self.settings = config.settings()
        self.steps = WebhookSteps(ticker, config.talk_ms, self.settings)
        self.errors: list[str] = []
        self.overlaps: list[str] = []
        self.claims = 0
        self.empty_claims = 0
        self.offers = 0
        self.play_transactions = 0
        self.idle_checks = 0
        self.claim_seconds: list[float] = []
        self.claim_stamps: list[tuple[int, int, int, int, float]] = []  # offer, listener, caller, stamp, monotonic
        self.end_stamps: list[tuple[int, int]] = []  # offer, stamp
        self.pending: list[tuple[float, int, OfferPlan]] = []  # conversations under way: (due, offer id, plan)
        self.gave_up: list[int] = []
        self.aborted = ""
        self.started = self.finished = 0.0

    # the loop

    def run(self) -> dict:
        try:
            with self.sessions() as session:  # connect before the start: connecting is not measured
                session.scalar(select(Listener.id).limit(1))
                session.rollback()
            self.barrier.wait(timeout=self.config.barrier_timeout)
        except BaseException as error:  # noqa: BLE001 — a broken start is reported, not raised
            self.errors.append(f"start: {_short(error)}")
            self.aborted = "could not start"
            return self.result()
        self.started = time.monotonic()
        deadline = self.started + self.config.timeout
        try:
            self._loop(deadline)
        except BaseException as error:  # noqa: BLE001
            self.errors.append(f"dispatcher crashed: {_short(error)}")
            self.aborted = self.aborted or "crashed"
        self.finished = time.monotonic()
        return self.result()

    def _loop(self, deadline: float) -> None:
        idle = self.config.idle_ms / 1000
        while True:
            if self.stop.is_set() or time.monotonic() > deadline:
                self.aborted = self.aborted or ("stopped before the queue was drained" if self.stop.is_set()
                                                else f"not drained within {self.config.timeout:g} s")
                return
            self._finish_due()
            plans = self._claim()
            if plans:
                for plan in plans:
                    self._play(plan)
                    self._finish_due()
                continue
            if self.pending:
                time.sleep(max(0.0, min(idle, self.pending[0][0] - time.monotonic())))
                continue
            if not self._callers_left():
                return
            if idle:
                time.sleep(idle * (0.5 + random.random()))  # jitter: idle dispatchers do not retry in lockstep

    def _claim(self) -> list[OfferPlan]:
        began = time.perf_counter()
        try:
            with self.sessions() as session:
                end_wrapups(session, self.ticker.now())
                # As ivr/dispatcher.py: due callback requests compete too (the benchmark makes none).
                plans = claim_offers(session, POOL, self.ticker.now(), self.settings,
                                     callback_window=lambda request: True)
                if any(plan.kind != "caller" for plan in plans):
                    raise StateError(f"the claim offered callbacks: {[p for p in plans if p.kind != 'caller']}")
                mine = [session.get(Offer, plan.offer_id) for plan in plans]  # identity map: no query
                self.overlaps.extend(live_elsewhere(session, mine))  # inside the claiming transaction
                stamp = self.ticker.stamp()  # the listeners' row locks are still held
                rows = [(o.id, o.listener_id, o.queued_caller_id) for o in mine]
                session.commit()
        except Exception as error:  # noqa: BLE001
            self.errors.append(f"claim: {_short(error)}")
            self.claims += 1
            return []
        at = time.monotonic()
        self.claims += 1
        self.claim_seconds.append(time.perf_counter() - began)
        if not plans:
            self.empty_claims += 1
        self.offers += len(plans)
        self.claim_stamps.extend((o, l, c, stamp, at) for o, l, c in rows)
        return plans

    def _callers_left(self) -> bool:
        self.idle_checks += 1
        try:
            with self.sessions() as session:
                left = session.scalar(select(QueuedCaller.id).where(QueuedCaller.pool == POOL,
                                                                    QueuedCaller.status.in_(WAITING)).limit(1))
                session.rollback()
            return left is not None
        except Exception as error:  # noqa: BLE001
            self.errors.append(f"idle check: {_short(error)}")
            return True

    # playing an offer

    def _play(self, plan: OfferPlan) -> None:
        play = self.steps
        steps = (play.dial, play.answer, play.accept, play.bridge) if self.config.play == "webhooks" \
            else (play.all_to_bridge,)
        for step in steps:
            if not self._transaction(step, plan):
                self._give_up(plan)
                return
        if self.config.play == "test" and not self.config.talk_ms:
            return  # _all_to_bridge ended the leg in the same transaction, as the test does
        heapq.heappush(self.pending, (time.monotonic() + self.config.talk_ms / 1000, plan.offer_id, plan))

    def _finish_due(self) -> None:
        while self.pending and self.pending[0][0] <= time.monotonic():
            _, _, plan = heapq.heappop(self.pending)
            if not self._transaction(self.steps.end, plan):
                self._give_up(plan)

    def _give_up(self, plan: OfferPlan) -> None:
        """The offer is stuck: its caller can never be done, so the race stops now rather than at the timeout."""
        self.gave_up.append(plan.offer_id)
        self.aborted = self.aborted or "gave up on an offer after errors: the queue cannot drain"
        self.stop.set()

    def _transaction(self, step, plan: OfferPlan) -> bool:
        for attempt in range(PLAY_ATTEMPTS):
            try:
                with self.sessions() as session:
                    ended = step(session, plan)
                    session.commit()
                self.play_transactions += 1
                if ended is not None:
                    self.end_stamps.append(ended)  # only once committed
                return True
            except StateError as error:
                self.errors.append(f"{step.__name__.strip('_')} offer {plan.offer_id}: {error}")
                return False
            except Exception as error:  # noqa: BLE001 — counted, then retried
                self.errors.append(f"{step.__name__.strip('_')} offer {plan.offer_id} (try {attempt + 1}): "
                                   f"{_short(error)}")
                time.sleep(0.01 * (attempt + 1))
        return False

    def result(self) -> dict:
        return {
            "number": self.number, "pid": os.getpid(), "started": self.started, "finished": self.finished,
            "claims": self.claims, "empty_claims": self.empty_claims, "offers": self.offers,
            "play_transactions": self.play_transactions, "idle_checks": self.idle_checks,
            "claim_seconds": self.claim_seconds, "claim_stamps": self.claim_stamps,
            "end_stamps": self.end_stamps, "errors": self.errors, "overlaps": self.overlaps,
            "gave_up": self.gave_up, "pending": len(self.pending), "aborted": self.aborted,
        }


def process_main(number, url, counter, barrier, stop, config: RaceConfig, results) -> None:
    """A dispatcher in its own process (spawned): its own engine, the shared clock, barrier and stop flag."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops the race and cleans up
    result = {"number": number, "pid": os.getpid(), "errors": [], "aborted": "could not start"}
    try:
        from store.db import make_engine, make_session_factory

        engine = make_engine(url)
        try:
            result = Dispatcher(number, make_session_factory(engine), Ticker(counter), barrier, stop, config).run()
            results.put(result)
            stop.wait(30)  # the parent measures CPU use while this process and its connections still exist
        finally:
            engine.dispose()
    except BaseException as error:  # noqa: BLE001
        result["errors"].append(f"process: {_short(error)}")
        results.put(result)
