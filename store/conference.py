"""Conversations in the database: the conference of each answered call and its participant registry."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.calls import record
from store.models import Call, ConferenceLeg, Conversation, Offer, QueuedCaller

LIVE = ("connecting", "live")
# held_by while the listener is on their way back from the keypad's menu: the caller comes off hold when they are in.
RETURNING = "returning"
ROLES = ("caller", "listener", "binome", "supervisor", "third_party")
# A held caller is brought back after this long if nobody resumed them (the desk closed, the REST API down).
HOLD_LIMIT_SECONDS = 180
# A conversation whose caller never reached the conference this long after the listener pressed 1.
CONNECT_LIMIT_SECONDS = 45


def conference_name(caller_id: int, offer_id: int) -> str:
    """The conference's FriendlyName: internal ids only — never a phone number, never anything a caller said."""
    return f"hl-qc{caller_id}-o{offer_id}"


def note(session: Session, conversation: Conversation, now: datetime, kind: str, detail: str = "") -> None:
    """A call event on the caller's call, for the reports (hold seconds, binôme and supervisor use...)."""
    if conversation.call_id is not None:
        record(session, Call(id=conversation.call_id), now, kind, detail)


def start_conversation(session: Session, offer: Offer, caller: QueuedCaller, now: datetime) -> Conversation:
    """The listener pressed 1: the conference that will hold the caller and the listener, and their two legs."""
    conversation = Conversation(name=conference_name(caller.id, offer.id), queued_caller_id=caller.id,
                                call_id=caller.call_id, line_id=caller.line_id, offer_id=offer.id,
                                listener_id=offer.listener_id, pool=offer.pool, caller_sid=caller.call_sid,
                                status="connecting", started_at=now, hold_seconds=0, in_menu=False)
    session.add(conversation)
    session.flush()
    add_leg(session, conversation, "caller", now, call_sid=caller.call_sid)
    add_leg(session, conversation, "listener", now, call_sid=offer.call_sid, listener_id=offer.listener_id)
    return conversation


def participant_label(label: str | None, role: str) -> str:
    """The words a participant is known by (on the desk, and as its Twilio participant label): the label given,
    never a phone number — a label that looks like one is replaced by the role."""
    label = (label or "").strip()[:200]
    digits = sum(ch.isdigit() for ch in label)
    if not label or (digits >= 6 and digits >= len(label.replace(" ", "")) * 0.6):
        return role
    return label


def add_leg(session: Session, conversation: Conversation, role: str, now: datetime, call_sid: str | None = None,
            listener_id: int | None = None, account_id: int | None = None, label: str | None = None,
            muted: bool = False, coaching: bool = False, mode: str | None = None) -> ConferenceLeg:
    leg = ConferenceLeg(conversation_id=conversation.id, conference=conversation.name,
                        queued_caller_id=conversation.queued_caller_id if role == "caller" else None,
                        call_sid=call_sid, role=role, listener_id=listener_id, account_id=account_id,
                        label=participant_label(label, role), mode=mode, muted=muted, on_hold=False, coaching=coaching,
                        created_at=now)
    session.add(leg)
    session.flush()
    return leg


def locked_conversation(session: Session, conversation_id: int | None) -> Conversation | None:
    """The conversation re-read under a row lock: every change to a call takes it first (two supervisors
    pressing "join" at once are served one after the other)."""
    if conversation_id is None:
        return None
    return session.get(Conversation, conversation_id, with_for_update=True, populate_existing=True)


def by_name(session: Session, name: str) -> Conversation | None:
    return session.scalar(select(Conversation).where(Conversation.name == name).with_for_update())


def for_offer(session: Session, offer_id: int) -> Conversation | None:
    return session.scalar(select(Conversation).where(Conversation.offer_id == offer_id)
                          .order_by(Conversation.id.desc()).limit(1))


def locked_for_offer(session: Session, offer_id: int) -> Conversation | None:
    """The offer's latest conversation, re-read under its row lock (what every keypad and leg webhook acts on)."""
    found = for_offer(session, offer_id)
    return locked_conversation(session, found.id) if found is not None else None


def conversation_for_call(session: Session, call_id: int) -> Conversation | None:
    """The conversation in progress on the caller's call (``call.id``), if any."""
    return session.scalar(select(Conversation).where(Conversation.call_id == call_id,
                                                     Conversation.status.in_(LIVE))
                          .order_by(Conversation.id.desc()).limit(1))


def live_conversation_for_caller(session: Session, call_sid: str) -> Conversation | None:
    return session.scalar(select(Conversation).where(Conversation.caller_sid == call_sid,
                                                     Conversation.status.in_(LIVE))
                          .order_by(Conversation.id.desc()).limit(1))


def live_conversation_for_listener(session: Session, listener_id: int) -> Conversation | None:
    """The call a listener is on: as its main listener, or as a binôme."""
    main = session.scalar(select(Conversation).where(Conversation.listener_id == listener_id,
                                                     Conversation.status.in_(LIVE))
                          .order_by(Conversation.id.desc()).limit(1))
    if main is not None:
        return main
    return session.scalar(select(Conversation).join(ConferenceLeg, ConferenceLeg.conversation_id == Conversation.id)
                          .where(ConferenceLeg.listener_id == listener_id, ConferenceLeg.left_at.is_(None),
                                 Conversation.status.in_(LIVE))
                          .order_by(Conversation.id.desc()).limit(1))


def legs(session: Session, conversation_id: int, present_only: bool = True) -> list[ConferenceLeg]:
    query = select(ConferenceLeg).where(ConferenceLeg.conversation_id == conversation_id)
    if present_only:
        query = query.where(ConferenceLeg.left_at.is_(None))
    return list(session.scalars(query.order_by(ConferenceLeg.id)))


def leg_of(session: Session, conversation: Conversation, call_sid: str) -> ConferenceLeg | None:
    return session.scalar(select(ConferenceLeg).where(ConferenceLeg.conversation_id == conversation.id,
                                                      ConferenceLeg.call_sid == call_sid)
                          .order_by(ConferenceLeg.id.desc()).limit(1))


def leg_by_id(session: Session, conversation: Conversation, leg_id: int | None) -> ConferenceLeg | None:
    leg = session.get(ConferenceLeg, leg_id) if leg_id is not None else None
    return leg if leg is not None and leg.conversation_id == conversation.id else None


def caller_leg(session: Session, conversation: Conversation) -> ConferenceLeg | None:
    return session.scalar(select(ConferenceLeg).where(ConferenceLeg.conversation_id == conversation.id,
                                                      ConferenceLeg.role == "caller")
                          .order_by(ConferenceLeg.id.desc()).limit(1))


def start_hold(conversation: Conversation, now: datetime, by: str) -> bool:
    """The caller goes on hold (music); False when they already were."""
    if conversation.held_since is not None:
        return False
    conversation.held_since, conversation.held_by = now, by
    return True


def end_hold(conversation: Conversation, now: datetime) -> int:
    """The caller is back: the seconds they were held, added to the conversation's total."""
    if conversation.held_since is None:
        return 0
    seconds = max(0, int((now - conversation.held_since).total_seconds()))
    conversation.hold_seconds = (conversation.hold_seconds or 0) + seconds
    conversation.held_since = conversation.held_by = None
    return seconds


def held_too_long(session: Session, now: datetime) -> list[Conversation]:
    """Live conversations whose caller has been on hold past the limit: they must be brought back."""
    return list(session.scalars(select(Conversation).where(
        Conversation.status == "live", Conversation.held_since.is_not(None),
        Conversation.held_since <= now - timedelta(seconds=HOLD_LIMIT_SECONDS))))


def stuck_connecting(session: Session, now: datetime) -> list[Conversation]:
    """Conversations whose caller never reached the conference, long after the listener pressed 1."""
    return list(session.scalars(select(Conversation).where(
        Conversation.status == "connecting", Conversation.callback_attempt_id.is_(None),  # a callback's rings first
        Conversation.started_at <= now - timedelta(seconds=CONNECT_LIMIT_SECONDS))))


def still_dropping(session: Session) -> list[Conversation]:
    """Callers whose listener's line dropped and who have not yet been moved back to the queue (the REST request
    failed): the sweep asks Twilio again."""
    return list(session.scalars(select(Conversation).where(Conversation.status == "dropping")))


def close(session: Session, conversation: Conversation, now: datetime, status: str, by: str) -> None:
    """The conversation is over (or its caller sent back to the queue). Its legs are marked gone by the caller of
    this (ivr: a binôme listener must be freed too) or by Twilio's participant-leave events."""
    if conversation.status not in LIVE:
        return
    end_hold(conversation, now)
    conversation.status, conversation.ended_at, conversation.ended_by = status, now, by
    conversation.in_menu = False


def listeners_in_conferences():
    """The ids of listeners present as a binôme on a live call: not free, even without an offer of their own."""
    return (select(ConferenceLeg.listener_id)
            .join(Conversation, Conversation.id == ConferenceLeg.conversation_id)
            .where(ConferenceLeg.left_at.is_(None), ConferenceLeg.listener_id.is_not(None),
                   Conversation.status.in_(LIVE)))


def caller_hung_up(session: Session, call_sid: str, now: datetime) -> list[tuple[str, int]]:
    """The caller's call is over (their status callback): a conversation still open on it has ended — the
    conference ended with them, and its participant-leave events close the other legs. Returns the listeners' legs
    (call sid, offer id) still waiting in a conference the caller never reached: they must be told."""
    waiting = []
    for conversation in session.scalars(select(Conversation).where(
            Conversation.caller_sid == call_sid, Conversation.status.in_(LIVE + ("dropping",))).with_for_update()):
        if conversation.status == "dropping":
            conversation.status = "requeued"  # their queue's records follow the hang-up (ivr/webhooks)
            continue
        if conversation.status == "connecting" and conversation.offer_id is not None:
            offer = session.get(Offer, conversation.offer_id)
            if offer is not None and offer.call_sid:
                waiting.append((offer.call_sid, offer.id))
        close(session, conversation, now, "ended", "caller")
        note(session, conversation, now, "conv_ended", "caller")
    return waiting
