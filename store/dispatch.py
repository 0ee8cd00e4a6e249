"""Offers in the database: claiming a listener and a caller atomically, and every way an offer ends."""
# Over 300 lines: every write on an offer takes its row locks in one order (caller, offer, listener), kept together
# so that no new path can take them in another.

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from routing.queueing import Candidate, ListenerStatus, PoolSettings, WaitingCaller, match
from store.callbacks import due_requests, start_attempt
from store.desk_calls import wrapup_after
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
    way a listener is never offered two calls and a caller is never offered twice (ring-several aside).
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
    for waiting_caller, chosen in match(settings.strategy, waiting, candidates, settings.ring_several):
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
    return offer.status in LIVE_OFFERS


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


def caller_bridged(session: Session, caller_sid: str, listener_call_sid: str, now: datetime) -> QueuedCaller | None:
    """Twilio bridged the head of the queue to a listener who pressed 1; the records follow what happened."""
    caller = session.scalar(select(QueuedCaller).where(QueuedCaller.call_sid == caller_sid).with_for_update())
    offer = session.scalar(select(Offer).where(Offer.call_sid == listener_call_sid).with_for_update())
    if caller is None:
        return None
    if offer is not None and offer.status not in ("accepted", "bridged"):
        return caller  # late, after the conversation was already reported over: the records stand
    if caller.status in ("bridged", "done"):
        return caller  # already recorded from Twilio's other word on it (the Dial's duration, the Enqueue action)
    listener_id = offer.listener_id if offer else None
    caller.status = "bridged"
    caller.bridged_to = listener_id
    record_event(session, caller, caller.pool, now, "bridged", listener_id, waited(caller, now))
    if offer is not None:
        offer.status = "bridged"
        offer.answered_at = offer.answered_at or now
        if offer.queued_caller_id != caller.id:
            # Twilio took the head of the queue; the caller this offer meant waits again, keeping its place.
            intended = locked(session, QueuedCaller, offer.queued_caller_id)
            if intended is not None and intended.status == "offered":
                intended.status = "waiting"
                intended.offered_to = None
            offer.queued_caller_id = caller.id
    return caller


def bridge_reported(session: Session, offer: Offer, caller: QueuedCaller | None, started: datetime) -> None:
    """Twilio says this accepted offer led to a conversation that began at ``started`` (the listener's Dial lasted,
    or the caller's Enqueue ended "bridged") while the bridge itself was never recorded: its webhook failed, or is
    still on its way. Recorded now, so what follows does not depend on which webhook came first."""
    if offer.status != "accepted":
        return
    offer.status = "bridged"
    offer.answered_at = offer.answered_at or started
    if caller is not None and caller.id == offer.queued_caller_id and caller.status in WAITING:
        caller.status = "bridged"
        caller.bridged_to = offer.listener_id
        record_event(session, caller, offer.pool, started, "bridged", offer.listener_id, waited(caller, started))


def accepted_offer(session: Session, caller: QueuedCaller) -> Offer | None:
    """The offer a listener took for this caller (pressed 1), whose outcome only the listener's Dial can tell."""
    return session.scalar(select(Offer).where(Offer.queued_caller_id == caller.id, Offer.status == "accepted")
                          .with_for_update())


def being_bridged(session: Session, caller: QueuedCaller) -> bool:
    """A listener has pressed 1 for this caller: their <Dial><Queue> takes the caller within seconds, so the
    caller must not be moved out of the queue now (max_wait waits for that). No lock: a read for a decision."""
    return session.scalar(select(Offer.id).where(Offer.queued_caller_id == caller.id, Offer.status == "accepted")
                          .limit(1)) is not None


def caller_reported_bridged(session: Session, caller_sid: str, now: datetime, queue_seconds: int | None) -> None:
    """The caller's Enqueue action says "bridged": Twilio's word, recorded even if the bridge webhook was lost."""
    caller = session.scalar(select(QueuedCaller).where(QueuedCaller.call_sid == caller_sid).with_for_update())
    offer = accepted_offer(session, caller) if caller is not None and caller.status in WAITING else None
    if offer is not None:
        started = caller.enqueued_at + timedelta(seconds=queue_seconds) if queue_seconds is not None else now
        bridge_reported(session, offer, caller, min(started, now))


def listener_leg_ended(session: Session, offer: Offer, now: datetime, settings: PoolSettings, call_status: str,
                       duration: int | None) -> None:
    """The listener's phone call is over: a missed offer, or the end of a conversation (then wrap-up)."""
    if offer.status in ("missed", "cancelled", "ended"):
        return
    if offer.status in ("dialling", "ringing", "answered"):
        release_offer(session, offer, now, settings, missed=True, why=f"offer {call_status}")
        return
    caller = locked(session, QueuedCaller, offer.queued_caller_id)
    listener = locked(session, Listener, offer.listener_id)
    talked = offer.status == "bridged"
    offer.status = "ended"
    offer.ended_at = now
    if talked and caller is not None:
        talk = int((now - (offer.answered_at or now)).total_seconds())
        record_event(session, caller, offer.pool, now, "talk", listener.id if listener else None, talk)
        if caller.status == "bridged":
            caller.status = "done"
            caller.ended_at = now
    if listener is not None and listener.status == ListenerStatus.ON_CALL.value:
        if talked:
            wrapup = wrapup_after(session, settings, caller)  # longer after a call marked difficult
            set_status(session, listener, ListenerStatus.WRAP_UP, now, "call ended")
            listener.wrapup_until = now + timedelta(seconds=wrapup)
            listener.idle_since = now + timedelta(seconds=wrapup)
        else:
            set_status(session, listener, ListenerStatus.AVAILABLE, now, "caller gone before the bridge")
    if not talked and caller is not None and caller.status == "offered":
        others = session.scalar(select(Offer.id).where(Offer.queued_caller_id == caller.id, Offer.id != offer.id,
                                                       Offer.status.in_(LIVE_OFFERS)).limit(1))
        if others is None:
            caller.status = "waiting"  # the listener's line dropped before the bridge: the caller is offered again
            caller.offered_to = None


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


def pools_with_waiting_callers(session: Session) -> list[str]:
    return list(session.scalars(select(QueuedCaller.pool).where(QueuedCaller.status == "waiting").distinct()))


def expired_offers(session: Session, now: datetime) -> list[Offer]:
    """Offers whose phone rang out with no news (a lost status callback, a crashed worker)."""
    return list(session.scalars(select(Offer).where(Offer.status.in_(("dialling", "ringing", "answered")),
                                                    Offer.expires_at <= now)))


def orphaned_listeners(session: Session) -> list[Listener]:
    """Listeners marked ringing or on a call with no offer under way to explain it (nor a binôme's leg)."""
    from store.conference import listeners_in_conferences
    from store.models import CallbackAttempt

    live = select(Offer.listener_id).where(Offer.status.in_(LIVE_OFFERS + ("bridged",)))
    calling_back = select(CallbackAttempt.listener_id).where(
        CallbackAttempt.status.in_(("dialling", "ringing", "answered", "calling")),
        CallbackAttempt.listener_id.is_not(None))
    return list(session.scalars(select(Listener).where(
        Listener.status.in_((ListenerStatus.RINGING.value, ListenerStatus.ON_CALL.value)),
        Listener.id.not_in(live), Listener.id.not_in(calling_back), Listener.id.not_in(listeners_in_conferences()))
        .with_for_update(skip_locked=True)))


def open_conversations(session: Session, older_than: datetime) -> list[Offer]:
    """Offers accepted or bridged long ago whose end was never reported."""
    return list(session.scalars(select(Offer).where(Offer.status.in_(("accepted", "bridged")),
                                                    Offer.created_at <= older_than)))


def waiting_callers(session: Session, pool: str | None = None) -> list[QueuedCaller]:
    query = select(QueuedCaller).where(QueuedCaller.status.in_(WAITING)).order_by(QueuedCaller.enqueued_at)
    if pool is not None:
        query = query.where(QueuedCaller.pool == pool)
    return list(session.scalars(query))


def stranded_callers(session: Session) -> list[QueuedCaller]:
    """Callers marked offered whom no live offer is ringing for: they must wait (and be offered) again."""
    live = select(Offer.queued_caller_id).where(Offer.status.in_(LIVE_OFFERS + ("bridged",)))
    return list(session.scalars(select(QueuedCaller).where(QueuedCaller.status == "offered",
                                                          QueuedCaller.id.not_in(live))
                                .with_for_update(skip_locked=True)))
