"""Offers in the database: claiming a listener and a caller atomically, and every way an offer ends without a
conversation (the listener missed it, the caller left).

Every write on an offer takes its row locks in one order — caller, then offer, then listener — here and in
store/bridging.py (what Twilio reports once a listener took the call); store/dispatch_queries.py finds what the
sweep repairs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from routing.queueing import Candidate, ListenerStatus, PoolSettings, WaitingCaller, match
from store.callbacks import due_requests, start_attempt
from store.listeners import phone_free, set_status
from store.models import CallbackRequest, Listener, ListenerPool, Offer, QueuedCaller, QueueEvent
from store.ringing import OFFER_GRACE_SECONDS, free_ringing_listener, locked

LIVE_OFFERS = ("dialling", "ringing", "answered", "accepted")
WAITING = ("waiting", "offered")
# A live caller's wait document is fetched again as soon as the last one has played: its speech (position, wait,
# the leave key: 10 to 20 s), then a pause of the queue's announce_every seconds. The margin covers that speech,
# a slow fetch (Twilio waits up to 15 s for a webhook) and the sweep's 15 s period, with room to spare. Too short
# costs a REST question about a live caller; too long lets a caller who hung up unheard be offered to a listener.
HEARD_FROM_MARGIN = timedelta(seconds=60)


@dataclass(frozen=True)
class OfferPlan:
    """An offer to dial once the claim is committed: a waiting caller, or a callback (then offer_id is the
    callback attempt's id and caller_sid is empty)."""

    offer_id: int
    listener_phone: str
    caller_sid: str
    pool: str
    ring_timeout: int
    kind: str = "caller"
    caller_unheard: bool = False  # ask Twilio whether the caller is still there before any phone rings


def not_heard_from(caller: QueuedCaller, now: datetime, settings: PoolSettings) -> bool:
    """The caller's wait document has not been fetched for longer than a live caller's ever is apart: their
    hang-up may have been lost (the database down, a webhook dropped), and only Twilio can tell."""
    last_heard = caller.last_heard_at or caller.enqueued_at
    return now - last_heard > timedelta(seconds=settings.announce_every) + HEARD_FROM_MARGIN


def record_event(session: Session, caller: QueuedCaller | None, pool: str, now: datetime, kind: str,
                 listener_id: int | None = None, wait_seconds: int | None = None, detail: str = "") -> None:
    session.add(QueueEvent(pool=pool, line_id=caller.line_id if caller else None,
                           queued_caller_id=caller.id if caller else None, listener_id=listener_id, at=now,
                           kind=kind, wait_seconds=wait_seconds, detail=detail[:200]))


def waited(caller: QueuedCaller, now: datetime) -> int:
    return max(0, int((now - caller.enqueued_at).total_seconds()))


def claim_offers(session: Session, pool: str, now: datetime, settings: PoolSettings,
                 callback_window: Callable[[CallbackRequest], bool] | None = None) -> list[OfferPlan]:
    """Pair the pool's available listeners with its oldest waiting callers, in one transaction.

    On PostgreSQL the rows are locked with FOR UPDATE SKIP LOCKED, so concurrent dispatchers claim disjoint
    listeners and callers; on SQLite every transaction is BEGIN IMMEDIATE, so claims are serialised. Either
    way a listener is never offered two calls and a caller is never offered twice (ring-several and pairs aside).
    Due callback requests (when ``callback_window`` says their window is open) compete with live callers
    by priority, then by the time they asked: a callback keeps its place.
    """
    listeners = session.scalars(
        select(Listener)
        .join(ListenerPool, ListenerPool.listener_id == Listener.id)
        .where(ListenerPool.pool == pool, Listener.active.is_(True),
               Listener.status == ListenerStatus.AVAILABLE.value, phone_free(now))
        .order_by(Listener.id)
        .with_for_update(skip_locked=True, of=Listener)
    ).all()
    if not listeners:
        return []
    callers = session.scalars(
        select(QueuedCaller)
        .where(QueuedCaller.pool == pool, QueuedCaller.status == "waiting")
        .order_by(QueuedCaller.priority.desc(), QueuedCaller.enqueued_at, QueuedCaller.id)
        .with_for_update(skip_locked=True)  # no limit: the first callers may not match the free listeners
    ).all()
    callbacks = []
    if callback_window is not None:
        callbacks = [r for r in due_requests(session, pool, now) if callback_window(r)]
    if not callers and not callbacks:
        return []
    by_id = {l.id: l for l in listeners}
    candidates = [Candidate(l.id, tuple(l.languages or ()), tuple(l.skills or ()), l.idle_since, l.last_offered_at)
                  for l in listeners]
    waiting = sorted(
        [WaitingCaller(c.id, c.language, c.caller_type, False, c.priority, c.enqueued_at) for c in callers]
        + [WaitingCaller(r.id, r.language, r.caller_type, True, r.priority, r.requested_at) for r in callbacks],
        key=lambda w: (-w.priority, w.since.timestamp(), w.callback, w.id),
    )
    callers_by_id = {c.id: c for c in callers}
    callbacks_by_id = {r.id: r for r in callbacks}
    plans = []
    made: list[tuple[Offer, str, str, bool]] = []
    expires = now + timedelta(seconds=settings.ring_timeout + settings.accept_timeout + OFFER_GRACE_SECONDS)
    for waiting_caller, chosen in match(settings.strategy, waiting, candidates, settings.ring_several,
                                        pair=settings.offer_to_pair):
        if waiting_caller.callback:
            # A callback rings one listener: two people must never dial the same caller back.
            attempt = start_attempt(session, callbacks_by_id[waiting_caller.id], by_id[chosen[0].id], now, settings)
            plans.append(OfferPlan(attempt.id, by_id[chosen[0].id].phone, "", pool, settings.ring_timeout, "callback"))
            continue
        caller = callers_by_id[waiting_caller.id]
        caller.status = "offered"
        caller.offered_to = chosen[0].id if len(chosen) == 1 else None
        for candidate in chosen:
            listener = by_id[candidate.id]
            set_status(session, listener, ListenerStatus.RINGING, now, "offered a call")
            listener.last_offered_at = now
            offer = Offer(listener_id=listener.id, queued_caller_id=caller.id, pool=pool, status="dialling",
                          created_at=now, expires_at=expires)
            session.add(offer)
            record_event(session, caller, pool, now, "offered", listener.id, waited(caller, now))
            made.append((offer, listener.phone, caller.call_sid, not_heard_from(caller, now, settings)))
    session.flush()  # once for the whole claim: the locks it holds are released sooner
    plans.extend(OfferPlan(offer.id, phone, sid, pool, settings.ring_timeout, caller_unheard=unheard)
                 for offer, phone, sid, unheard in made)
    return plans


def offer_dialled(session: Session, offer_id: int, call_sid: str) -> bool:
    """Record the listener's leg; False when the offer died meanwhile (the caller left): hang that call up."""
    offer = locked(session, Offer, offer_id)
    if offer is None:
        return False
    if offer.call_sid is None:
        offer.call_sid = call_sid
    if offer.status == "dialling":
        offer.status = "ringing"
    return offer.status in LIVE_OFFERS + ("binome",)  # a pair's second listener may answer before this is recorded


def release_offer(session: Session, offer: Offer, now: datetime, settings: PoolSettings, missed: bool,
                  why: str) -> None:
    """The offer is over without a conversation: the listener is free (or paused), the caller waits again.

    Only a live offer is released: a stale one (its caller gone, answered late) must not free a listener
    who is already ringing for a newer offer. Locks: caller, then offer, then listener, everywhere.
    """
    caller = locked(session, QueuedCaller, offer.queued_caller_id)
    session.refresh(offer, with_for_update=True)
    if offer.status not in ("dialling", "ringing", "answered"):
        return
    offer.status = "missed" if missed else "cancelled"
    offer.ended_at = now
    free_ringing_listener(session, locked(session, Listener, offer.listener_id), now, settings, missed, why)
    if caller is not None:
        if missed:
            record_event(session, caller, offer.pool, now, "missed", offer.listener_id, waited(caller, now), why)
        others = session.scalar(select(Offer.id).where(Offer.queued_caller_id == caller.id, Offer.id != offer.id,
                                                       Offer.status.in_(LIVE_OFFERS)).limit(1))
        if caller.status == "offered" and others is None:
            caller.status = "waiting"  # keeps its place: enqueued_at is unchanged
            caller.offered_to = None


def live_offer_for_caller(session: Session, caller: QueuedCaller) -> list[Offer]:
    return list(session.scalars(select(Offer).where(Offer.queued_caller_id == caller.id,
                                                    Offer.status.in_(LIVE_OFFERS))
                                .order_by(Offer.id).with_for_update()))


def accept_offer(session: Session, offer: Offer, now: datetime) -> list[Offer]:
    """The listener pressed 1. Returns the other offers for the same caller (ring-several) to cancel."""
    others = [o for o in live_offer_for_caller(session, session.get(QueuedCaller, offer.queued_caller_id))
              if o.id != offer.id]
    offer.status = "accepted"
    listener = locked(session, Listener, offer.listener_id)
    set_status(session, listener, ListenerStatus.ON_CALL, now, "took a call")
    listener.missed_in_row = 0
    return others


def caller_left(session: Session, caller_sid: str, result: str, now: datetime, settings: PoolSettings) -> tuple[QueuedCaller | None, list[Offer]]:
    """The caller is out of the queue (hung up, left, moved on). Returns offers to cancel on listeners' phones."""
    caller = session.scalar(select(QueuedCaller).where(QueuedCaller.call_sid == caller_sid).with_for_update())
    if caller is None or caller.status not in WAITING + ("left_key", "left_max_wait", "moved_on"):
        return caller, []
    if caller.status in WAITING:
        # Otherwise the wait document or the sweep already recorded why (left_key, left_max_wait, moved_on).
        caller.status = "abandoned" if result == "hangup" else "left"  # left: queue-full, error, redirected...
        record_event(session, caller, caller.pool, now, caller.status, None, waited(caller, now), result)
    caller.ended_at = now
    to_cancel = []
    for offer in live_offer_for_caller(session, caller):
        if offer.status == "accepted":
            continue  # the listener is already bridging: their Dial finds an empty queue and is freed then
        release_offer(session, offer, now, settings, missed=False, why="caller left the queue")
        to_cancel.append(offer)
    return caller, to_cancel
