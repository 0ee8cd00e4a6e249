"""What the sweep looks for among offers, listeners and waiting callers: what rang out, what was left marked
ringing or on a call with nothing to explain it, what was never reported over."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from routing.queueing import ListenerStatus
from store.dispatch import LIVE_OFFERS, WAITING
from store.models import Listener, Offer, QueuedCaller


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


def open_callbacks(session: Session, older_than: datetime) -> list[tuple[int, str, str, datetime]]:
    """Callbacks whose listener pressed 1 long ago ("calling") and whose end was never reported: the attempt, the
    listener's leg, the person's leg ("" until they answered), when the listener was dialled."""
    from store.models import CallbackAttempt, Conversation

    person = select(Conversation.caller_sid).where(Conversation.callback_attempt_id == CallbackAttempt.id) \
        .order_by(Conversation.id.desc()).limit(1).scalar_subquery()
    rows = session.execute(select(CallbackAttempt.id, CallbackAttempt.listener_call_sid, person,
                                  CallbackAttempt.created_at)
                           .where(CallbackAttempt.status == "calling", CallbackAttempt.created_at <= older_than,
                                  CallbackAttempt.listener_call_sid.is_not(None)))
    return [(attempt_id, sid, caller_sid or "", created) for attempt_id, sid, caller_sid, created in rows]
