"""What Twilio reports once a listener took a call (pressed 1): the bridge, from whichever webhook tells it first,
and the end of the listener's leg (wrap-up after a conversation, the caller offered again when the line dropped
before the bridge). Locks in the order of store/dispatch.py: caller, then offer, then listener."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from routing.queueing import ListenerStatus, PoolSettings
from store.desk_calls import wrapup_after
from store.dispatch import LIVE_OFFERS, WAITING, record_event, release_offer, waited
from store.listeners import set_status
from store.models import Listener, Offer, QueuedCaller
from store.ringing import locked


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
    if offer.status in ("missed", "cancelled", "ended", "binome"):
        return  # a pair's binôme leaves as a binôme: its conference leg frees it (ivr/pair_offer.py)
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

