"""Concurrent dispatchers racing one queue: no listener offered two calls, no caller offered twice or forgotten."""

from __future__ import annotations

import itertools
import threading
from collections import defaultdict
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from routing.queueing import ListenerStatus, PoolSettings, Strategy
from store.bridging import caller_bridged, listener_leg_ended
from store.dispatch import LIVE_OFFERS, accept_offer, claim_offers, offer_dialled
from store.extension import database
from store.listeners import create_listener, end_wrapups, set_status
from store.models import Offer, QueuedCaller

POOL = "race"
START = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)


class Ticker:
    """Strictly increasing instants shared by all threads, so offers can be ordered per listener."""

    def __init__(self):
        self._count = itertools.count()
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return START + timedelta(milliseconds=next(self._count))


def seed(app, listeners: int, callers: int, now: datetime) -> None:
    with app.app_context(), database.session() as session:
        for n in range(listeners):
            listener = create_listener(session, f"L{n}", f"+3247000{n:04d}", [POOL], "1234", now)
            set_status(session, listener, ListenerStatus.AVAILABLE, now, "chosen by test")
        for n in range(callers):
            session.add(QueuedCaller(call_sid=f"CA{n:032d}", pool=POOL, enqueued_at=now + timedelta(microseconds=n),
                                     language="fr"))
        session.commit()


def race(app, dispatchers: int, settings: PoolSettings, tick: Ticker) -> list[BaseException]:
    """Each dispatcher claims, then plays every offer it won to its end (press 1, bridge, hang up)."""
    errors: list[BaseException] = []
    overlaps: list[str] = []
    barrier = threading.Barrier(dispatchers)

    def dispatcher(number: int) -> None:
        try:
            barrier.wait()
            idle_rounds = 0
            with app.app_context():
                while idle_rounds < 30:
                    with database.session() as session:
                        end_wrapups(session, tick())
                        plans = claim_offers(session, POOL, tick(), settings)
                        overlaps.extend(_live_elsewhere(session, plans))  # checked inside the claim's transaction
                        session.commit()
                    if not plans:
                        with database.session() as session:
                            left = session.scalar(select(QueuedCaller.id).where(QueuedCaller.status.in_(("waiting", "offered"))).limit(1))
                        if left is None:
                            return
                        idle_rounds += 1
                        continue
                    idle_rounds = 0
                    for plan in plans:
                        with database.session() as session:
                            leg = f"LEG{plan.offer_id:030d}"
                            offer_dialled(session, plan.offer_id, leg)
                            offer = session.get(Offer, plan.offer_id)
                            offer.status = "answered"
                            accept_offer(session, offer, tick())
                            caller_bridged(session, plan.caller_sid, leg, tick())
                            listener_leg_ended(session, offer, tick(), settings, "completed", 1)
                            session.commit()
        except BaseException as error:  # noqa: BLE001 — reported by the test
            errors.append(error)

    threads = [threading.Thread(target=dispatcher, args=(n,)) for n in range(dispatchers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    if overlaps:
        errors.append(AssertionError(f"offers overlapping another live offer: {overlaps[:5]}"))
    return errors


def _live_elsewhere(session, plans) -> list[str]:
    """Any other live offer for the same listener or caller, seen from inside the claiming transaction."""
    found = []
    for plan in plans:
        offer = session.get(Offer, plan.offer_id)
        others = session.scalars(select(Offer).where(
            Offer.id != offer.id, Offer.status.in_(LIVE_OFFERS + ("bridged",)),
            (Offer.listener_id == offer.listener_id) | (Offer.queued_caller_id == offer.queued_caller_id))).all()
        found.extend(f"offer {offer.id} (L{offer.listener_id} C{offer.queued_caller_id}) vs {other.id} "
                     f"(L{other.listener_id} C{other.queued_caller_id} {other.status})" for other in others)
    return found


def check_invariants(app, callers: int) -> None:
    with app.app_context(), database.session() as session:
        offers = session.scalars(select(Offer).order_by(Offer.id)).all()
        queued = session.scalars(select(QueuedCaller)).all()
    assert all(c.status == "done" for c in queued), "every caller was bridged and talked"
    per_caller = defaultdict(list)
    per_listener = defaultdict(list)
    for offer in offers:
        per_caller[offer.queued_caller_id].append(offer)
        per_listener[offer.listener_id].append(offer)
    assert len(per_caller) == callers
    doubles = [c for c, o in per_caller.items() if len(o) > 1]
    assert doubles == [], "a caller was offered twice"
    assert all(o.status == "ended" for o in offers)
    assert sum(len(o) for o in per_listener.values()) == callers


def test_four_dispatchers_race_one_queue_without_double_offers(empty_app):
    tick = Ticker()
    settings = PoolSettings(wrapup={"default": 0})
    seed(empty_app, listeners=12, callers=60, now=tick())
    errors = race(empty_app, dispatchers=4, settings=settings, tick=tick)
    assert errors == []
    check_invariants(empty_app, callers=60)


def test_racing_ring_several_dispatchers_never_ring_a_listener_twice(empty_app):
    tick = Ticker()
    settings = PoolSettings(wrapup={"default": 0}, strategy=Strategy.RING_SEVERAL, ring_several=3)
    seed(empty_app, listeners=9, callers=20, now=tick())
    barrier = threading.Barrier(4)
    claimed: list = []
    lock = threading.Lock()

    def claim_once():
        barrier.wait()
        with empty_app.app_context(), database.session() as session:
            plans = claim_offers(session, POOL, tick(), settings)
            session.commit()
        with lock:
            claimed.extend(plans)

    threads = [threading.Thread(target=claim_once) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    phones = [plan.listener_phone for plan in claimed]
    assert len(phones) == 9 and len(set(phones)) == 9  # every listener rung once, none twice
    callers = defaultdict(int)
    for plan in claimed:
        callers[plan.caller_sid] += 1
    assert sorted(callers.values()) == [3, 3, 3]  # three callers, each rung on three phones
