"""Dispatchers racing one pool, for benchmarks/dispatch_burst.py: seeding, the race loop, the checks.

A dispatcher is a loop that, like ivr/dispatcher.py, runs ``end_wrapups`` then ``claim_offers`` in one
transaction, and then plays every offer it won to its end as the webhooks would (ivr/queue.py), each step
its own transaction with the offer row locked first as ``offer_turn`` does:

    dialled (offer_dialled) -> answered -> accepted (accept_offer) -> bridged (caller_bridged)
    -> [talk] -> leg ended (listener_leg_ended, wrap-up 0 s: the listener is free again)

``play="test"`` instead plays dialled..bridged (and the end when there is no talk) in one transaction, as
tests/store/test_dispatch_concurrency.py does.

Order that can be trusted. Every instant given to the app comes from a clock shared by all dispatchers
(threads or processes) that strictly increases, but it is read *before* the transaction takes its row locks,
so ``Offer.created_at`` and ``Offer.ended_at`` are not commit order. A second reading of the same counter,
a "stamp", is taken after ``claim_offers`` (resp. ``listener_leg_ended``) has returned and before the commit,
i.e. while the listener's row lock is held (FOR UPDATE on PostgreSQL; on SQLite the whole transaction is
BEGIN IMMEDIATE). Two transactions that lock the same listener are serialised by that lock, so for one
listener the stamps are in commit order. Offer ids are drawn under the same lock (flush inside the claim).
"""

from __future__ import annotations

import heapq
import os
import random
import signal
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, or_, select

from routing.queueing import ListenerStatus, PoolSettings, Strategy
from store.dispatch import (
    LIVE_OFFERS,
    WAITING,
    OfferPlan,
    accept_offer,
    caller_bridged,
    claim_offers,
    listener_leg_ended,
    locked,
    offer_dialled,
)
from store.listeners import create_listener, end_wrapups, set_status
from store.models import Listener, ListenerStatusChange, Offer, QueuedCaller

POOL = "burst"
START = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)  # the shared clock's tick 0
SEED_AT = START - timedelta(hours=1)  # listeners' presence and callers' arrivals, before the burst
TICK = timedelta(milliseconds=1)
PLAY_ATTEMPTS = 3


# --- the shared clock ---------------------------------------------------------------------------------------


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


class StateError(RuntimeError):
    """An offer or a caller was not in the state the step expects (reported as an error)."""


def leg_sid(offer_id: int) -> str:
    return f"CL{offer_id:032d}"


class Dispatcher:
    def __init__(self, number: int, session_factory, ticker: Ticker, barrier, stop, config: RaceConfig):
        self.number = number
        self.sessions = session_factory
        self.ticker = ticker
        self.barrier = barrier
        self.stop = stop
        self.config = config
        self.settings = config.settings()
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
        steps = ((self._dial, self._answer, self._accept, self._bridge) if self.config.play == "webhooks"
                 else (self._all_to_bridge,))
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
            if not self._transaction(self._end, plan):
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

    def _locked_offer(self, session, plan: OfferPlan) -> Offer:
        """As ivr.queue.offer_turn: one lock order everywhere, the caller, then the offer (then the listener)."""
        offer = session.get(Offer, plan.offer_id)
        if offer is None:
            raise StateError("offer vanished")
        locked(session, QueuedCaller, offer.queued_caller_id)
        return locked(session, Offer, offer.id)

    def _dial(self, session, plan: OfferPlan) -> None:
        offer_dialled(session, plan.offer_id, leg_sid(plan.offer_id))

    def _answer(self, session, plan: OfferPlan) -> None:
        offer = self._locked_offer(session, plan)
        caller = session.get(QueuedCaller, offer.queued_caller_id)
        if offer.status not in ("dialling", "ringing") or caller is None or caller.status not in WAITING:
            raise StateError(f"answered but offer is {offer.status}, caller {caller.status if caller else None}")
        offer.status = "answered"

    def _accept(self, session, plan: OfferPlan) -> None:
        offer = self._locked_offer(session, plan)
        caller = session.get(QueuedCaller, offer.queued_caller_id)
        if offer.status != "answered" or caller is None or caller.status not in WAITING:
            raise StateError(f"pressed 1 but offer is {offer.status}, caller {caller.status if caller else None}")
        others = accept_offer(session, offer, self.ticker.now())
        if others:
            raise StateError(f"other live offers for the same caller: {[o.id for o in others]}")

    def _bridge(self, session, plan: OfferPlan) -> None:
        caller = caller_bridged(session, plan.caller_sid, leg_sid(plan.offer_id), self.ticker.now())
        offer = session.get(Offer, plan.offer_id)
        if caller is None or caller.status != "bridged" or offer.status != "bridged" \
                or offer.queued_caller_id != caller.id:
            raise StateError(f"bridge left caller {caller.status if caller else None}, offer {offer.status}")

    def _all_to_bridge(self, session, plan: OfferPlan) -> tuple[int, int] | None:
        """tests/store/test_dispatch_concurrency.py's play, in one transaction."""
        offer_dialled(session, plan.offer_id, leg_sid(plan.offer_id))
        offer = session.get(Offer, plan.offer_id)
        offer.status = "answered"
        accept_offer(session, offer, self.ticker.now())
        caller_bridged(session, plan.caller_sid, leg_sid(plan.offer_id), self.ticker.now())
        if not self.config.talk_ms:
            return self._end_leg(session, offer)
        return None

    def _end(self, session, plan: OfferPlan) -> tuple[int, int]:
        return self._end_leg(session, self._locked_offer(session, plan))

    def _end_leg(self, session, offer: Offer) -> tuple[int, int]:
        talk = max(1, round(self.config.talk_ms / 1000))
        listener_leg_ended(session, offer, self.ticker.now(), self.settings, "completed", talk)
        if offer.status != "ended":
            raise StateError(f"leg ended but offer is {offer.status}")
        return offer.id, self.ticker.stamp()  # stamped while the listener's row lock is still held

    def result(self) -> dict:
        return {
            "number": self.number, "pid": os.getpid(), "started": self.started, "finished": self.finished,
            "claims": self.claims, "empty_claims": self.empty_claims, "offers": self.offers,
            "play_transactions": self.play_transactions, "idle_checks": self.idle_checks,
            "claim_seconds": self.claim_seconds, "claim_stamps": self.claim_stamps,
            "end_stamps": self.end_stamps, "errors": self.errors, "overlaps": self.overlaps,
            "gave_up": self.gave_up, "pending": len(self.pending), "aborted": self.aborted,
        }


def live_elsewhere(session, mine: list[Offer]) -> list[str]:
    """Inside the claiming transaction: any other live offer for a listener or a caller just offered."""
    if not mine:
        return []
    found = set()
    for key in ("listener_id", "queued_caller_id"):
        counts = Counter(getattr(o, key) for o in mine)
        found.update(f"one claim made two offers for {key} {k}" for k, n in counts.items() if n > 1)
    by_listener = {o.listener_id: o for o in mine}
    by_caller = {o.queued_caller_id: o for o in mine}
    others = session.execute(
        select(Offer.id, Offer.listener_id, Offer.queued_caller_id, Offer.status).where(
            Offer.id.not_in([o.id for o in mine]), Offer.status.in_(LIVE_OFFERS + ("bridged",)),
            or_(Offer.listener_id.in_(list(by_listener)), Offer.queued_caller_id.in_(list(by_caller))))
    ).all()
    for other in others:
        for offer in (by_listener.get(other.listener_id), by_caller.get(other.queued_caller_id)):
            if offer is not None:
                found.add(f"offer {offer.id} (L{offer.listener_id} C{offer.queued_caller_id}) vs live offer "
                          f"{other.id} (L{other.listener_id} C{other.queued_caller_id} {other.status})")
    return sorted(found)


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


# --- the checks -----------------------------------------------------------------------------------------------

EXPECTED_NEXT = {  # a listener's statuses in this benchmark, in commit order
    "offline": ("available",),
    "available": ("ringing",),
    "ringing": ("on_call",),
    "on_call": ("wrap_up",),
    "wrap_up": ("available",),
}


def check_database(session_factory, results: list[dict], callers: int) -> dict:
    """What the database says once the race is over, joined with the stamps the dispatchers took."""
    with session_factory() as session:
        queued = session.execute(select(QueuedCaller.id, QueuedCaller.status).order_by(QueuedCaller.id)).all()
        offers = session.execute(select(Offer.id, Offer.listener_id, Offer.queued_caller_id, Offer.status,
                                        Offer.created_at, Offer.ended_at).order_by(Offer.id)).all()
        changes = session.execute(select(ListenerStatusChange.listener_id, ListenerStatusChange.status,
                                         ListenerStatusChange.previous).order_by(ListenerStatusChange.id)).all()
        busy_listeners = session.scalar(select(func.count()).select_from(Listener).where(
            Listener.status.in_(("ringing", "on_call"))))
        session.rollback()
    claim = {o: (l, c, s, at) for r in results for o, l, c, s, at in r.get("claim_stamps", ())}
    ended = {o: s for r in results for o, s in r.get("end_stamps", ())}
    report: dict = {"examples": []}

    def note(kind: str, text: str) -> None:
        report[kind] = report.get(kind, 0) + 1
        if len(report["examples"]) < 8:
            report["examples"].append(f"{kind}: {text}")

    for kind in ("callers_not_done", "callers_without_offer", "callers_offered_twice", "offers_not_ended",
                 "offers_unaccounted", "listener_overlaps", "claim_order_differs_from_id_order",
                 "status_chain_breaks", "ringing_rows_not_offers", "clock_inversions"):
        report[kind] = 0
    report["callers"] = len(queued)
    if len(queued) != callers:
        note("callers_not_done", f"{len(queued)} callers in the database, {callers} seeded")
    for caller_id, status in queued:
        if status != "done":
            note("callers_not_done", f"caller {caller_id} is {status}")
    per_caller = defaultdict(list)
    per_listener = defaultdict(list)
    for offer in offers:
        per_caller[offer.queued_caller_id].append(offer.id)
        per_listener[offer.listener_id].append(offer)
        if offer.status != "ended" or offer.ended_at is None:
            note("offers_not_ended", f"offer {offer.id} is {offer.status}")
        if offer.id not in claim or offer.id not in ended:
            note("offers_unaccounted", f"offer {offer.id}: claim stamp {offer.id in claim}, end stamp "
                                       f"{offer.id in ended}")
    for caller_id, _ in queued:
        if caller_id not in per_caller:
            note("callers_without_offer", f"caller {caller_id}")
        elif len(per_caller[caller_id]) > 1:
            note("callers_offered_twice", f"caller {caller_id}: offers {per_caller[caller_id]}")
    report["offers"] = len(offers)
    for listener_id, own in per_listener.items():
        for before, after in zip(own, own[1:]):  # id order: ids are drawn under the listener's row lock
            if before.id in claim and after.id in claim and claim[before.id][2] > claim[after.id][2]:
                note("claim_order_differs_from_id_order", f"L{listener_id}: offers {before.id}, {after.id}")
            end_stamp = ended.get(before.id)
            if end_stamp is None or after.id not in claim or end_stamp > claim[after.id][2]:
                note("listener_overlaps", f"L{listener_id}: offer {after.id} claimed (stamp "
                                          f"{claim.get(after.id, (0, 0, None))[2]}) before offer {before.id} "
                                          f"ended (stamp {end_stamp})")
            if before.ended_at is not None and after.created_at < before.ended_at:
                report["clock_inversions"] += 1  # informational: instants read before the locks
    last = {}
    ringing = Counter()
    for listener_id, status, previous in changes:
        expected_previous = last.get(listener_id, previous)
        if previous != expected_previous or status not in EXPECTED_NEXT.get(previous, ()):
            note("status_chain_breaks", f"L{listener_id}: {previous} -> {status} after {expected_previous}")
        last[listener_id] = status
        ringing[listener_id] += status == "ringing"
    for listener_id in set(ringing) | set(per_listener):
        if ringing[listener_id] != len(per_listener.get(listener_id, ())):
            note("ringing_rows_not_offers", f"L{listener_id}: rung {ringing[listener_id]} times, "
                                            f"{len(per_listener.get(listener_id, ()))} offers")
    report["listeners_still_busy"] = busy_listeners or 0
    # Stragglers: callers offered after callers who came later (commit order of the claims), and when.
    order = sorted((c, s) for _, (l, c, s, at) in claim.items())
    overtaken = []
    seen: list[int] = []
    import bisect

    for _, stamp in reversed(order):  # later callers first
        overtaken.append(bisect.bisect_left(seen, stamp))
        bisect.insort(seen, stamp)
    report["callers_overtaken"] = sum(1 for n in overtaken if n)
    report["most_overtaken_by"] = max(overtaken, default=0)
    starts = [r["started"] for r in results if r.get("started")]
    if starts and claim:
        t0 = min(starts)
        waits = sorted(at - t0 for _, (_, _, _, at) in claim.items())
        report["offer_wait_p50"] = waits[len(waits) // 2]
        report["offer_wait_max"] = waits[-1]
    report["double_offers"] = (sum(len(r.get("overlaps", ())) for r in results) + report["callers_offered_twice"]
                               + report["listener_overlaps"])
    return report
