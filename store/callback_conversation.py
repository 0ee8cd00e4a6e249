"""A safe callback in the database once its listener pressed 1: a conversation like a queue call's (store/conference),
its conference named by internal ids, the called-back person its anchor, and what came of it for the request."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from routing.callbacks import CallbackSettings
from routing.queueing import ListenerStatus, PoolSettings
from store import conference as records
from store.callbacks import record_outcome
from store.desk_calls import DIFFICULT
from store.models import CallbackAttempt, CallbackRequest, CallEvent, Conversation, Listener, Offer
from store.ringing import locked

# The outcome of a callback whose listener's line dropped while talking: tried again like one not answered.
DROPPED = "dropped"


def conference_name(request_id: int, attempt_id: int) -> str:
    """The FriendlyName: internal ids only — never the number called, never anything said."""
    return f"hl-cb{request_id}-a{attempt_id}"


def start(session: Session, attempt: CallbackAttempt, request: CallbackRequest, now: datetime,
          pool: str) -> Conversation:
    """The listener pressed 1: the conference that will hold them and the person called back (their leg is added
    when they answer, as a person: a machine never enters it). The events go on the request's call; ``pool`` is
    the line's (a case's call-back has a pool of its own that nobody is in: a binôme comes from the line's)."""
    conversation = Conversation(name=conference_name(request.id, attempt.id), call_id=request.call_id,
                                line_id=request.line_id, callback_attempt_id=attempt.id,
                                listener_id=attempt.listener_id, pool=pool, caller_sid="",
                                status="connecting", started_at=now, hold_seconds=0, in_menu=False)
    session.add(conversation)
    session.flush()
    records.add_leg(session, conversation, "listener", now, call_sid=attempt.listener_call_sid,
                    listener_id=attempt.listener_id)
    return conversation


def for_attempt(session: Session, attempt_id: int) -> Conversation | None:
    """The attempt's conversation under its row lock (taken after the attempt's)."""
    found = session.scalar(select(Conversation.id).where(Conversation.callback_attempt_id == attempt_id)
                           .order_by(Conversation.id.desc()).limit(1))
    return records.locked_conversation(session, found)


def listener_on_it(conversation: Conversation | None) -> bool:
    """Whether the callback's own listener is still on its conversation (a transfer may have released them: the
    person goes on with the third party, the listener's leg is theirs to wrap up)."""
    return conversation is not None and conversation.status in records.LIVE and conversation.listener_id is not None


def for_leg(session: Session, owner) -> Conversation | None:
    """The conversation of a listener's leg, whether it is a queue offer's or a callback attempt's (the keypad
    serves both)."""
    if isinstance(owner, Offer):
        return records.locked_for_offer(session, owner.id)
    return for_attempt(session, owner.id)


def person_answered(session: Session, conversation: Conversation, call_sid: str, now: datetime) -> bool:
    """The person answered (a person, not a machine): their leg, the anchor, joins; False when the conversation
    is over already (the listener gave up while it rang)."""
    if conversation.status != "connecting":
        return False
    conversation.caller_sid = call_sid[:64]
    conversation.status = "live"
    records.add_leg(session, conversation, "caller", now, call_sid=conversation.caller_sid)
    records.note(session, conversation, now, "conv_bridged", "callback")
    return True


def person_reached(session: Session, conversation: Conversation) -> bool:
    """Whether the person called back came on the call (their leg exists only once a person answered)."""
    return records.caller_leg(session, conversation) is not None


def settle(session: Session, conversation: Conversation | None, attempt: CallbackAttempt, now: datetime,
           settings: CallbackSettings, not_reached: str = "no_answer") -> CallbackRequest | None:
    """The request's outcome once the conversation is over, recorded once: reached when the person talked and
    the call ended (the person or the listener ending it); tried again when the listener's line dropped mid-call;
    ``not_reached`` when the person never came. None when already recorded."""
    request = locked(session, CallbackRequest, attempt.request_id)
    if request is None or request.status != "calling" or attempt.outcome not in (None, "machine"):
        return None
    if conversation is not None and conversation.ended_by == "dropped":
        return record_outcome(session, attempt, DROPPED, now, settings)
    if conversation is not None and person_reached(session, conversation):
        return record_outcome(session, attempt, "reached", now, settings)
    return record_outcome(session, attempt, "machine" if attempt.outcome == "machine" else not_reached, now,
                          settings)


def listener_dropped(session: Session, conversation: Conversation, now: datetime) -> bool:
    """The listener's line dropped: the conversation is over for the person (they are told, then hung up on);
    True when they were on the call and must be told."""
    if conversation.status not in records.LIVE:
        return False
    talking = conversation.status == "live"
    records.close(session, conversation, now, "ended", "dropped")
    records.note(session, conversation, now, "conv_listener_dropped", "callback")
    return talking


def wrap_up_after_difficult(session: Session, conversation: Conversation | None, attempt: CallbackAttempt,
                            now: datetime, pool_settings: PoolSettings, caller_type: str | None) -> None:
    """A callback marked difficult while it went on gives its listener the line's longer wrap-up, as a queue call
    does (the mark is a call event on the request's call, after the listener pressed 1)."""
    if conversation is None or conversation.call_id is None:
        return
    marked = session.scalar(select(CallEvent.id).where(CallEvent.call_id == conversation.call_id,
                                                       CallEvent.kind == DIFFICULT,
                                                       CallEvent.at >= conversation.started_at).limit(1))
    listener = locked(session, Listener, attempt.listener_id)
    if marked is None or listener is None or listener.status != ListenerStatus.WRAP_UP.value:
        return
    longer = now + timedelta(seconds=pool_settings.wrapup_after(caller_type, difficult=True))
    if listener.wrapup_until is None or listener.wrapup_until < longer:
        listener.wrapup_until = listener.idle_since = longer


def not_reached(session: Session, conversation: Conversation, now: datetime) -> None:
    """The person's phone was not answered by a person (busy, no answer, a machine): nobody joined."""
    if conversation.status == "connecting":
        records.close(session, conversation, now, "ended", "not_reached")
