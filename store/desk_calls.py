"""The listener desk's records: the call a listener is on (or has just ended), help asked, difficult calls, debriefs.

Everything the desk writes is a call event on the caller's call (the kinds below), so the call page, the reports
and the retention job see it like any other step; the console adds an audit event for each person's action.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from flask import current_app

from routing.queueing import ListenerStatus, PoolSettings
from store import conference
from store.calls import PENDING_EVENTS, record
from store.extension import database
from store.models import (Call, CallbackAttempt, CallbackRequest, CallCategory, CallEvent, ConferenceLeg, Conversation,
                          Listener, Offer, QueuedCaller)

HELP_ASKED = "desk_help_asked"
HELP_ANSWERED = "desk_help_answered"
DIFFICULT = "desk_difficult"
DEBRIEF_DONE = "desk_debrief_done"
DESK_EVENTS = (HELP_ASKED, HELP_ANSWERED, DIFFICULT, DEBRIEF_DONE)
ON_CALL_OFFERS = ("accepted", "bridged")
# A difficult call waits on the coordinators' boards this long for its debrief, then drops off (still in reports).
DEBRIEF_WINDOW = timedelta(days=3)


@dataclass(frozen=True)
class DeskCall:
    """A call as the desk shows it: facts about the call, never the caller's number or Twilio's ids."""

    call_id: int
    line_id: int | None
    pool: str
    listener_id: int
    listener_name: str
    offer_id: int
    live: bool  # the conversation goes on (False: it ended, the listener is in wrap-up)
    answered_at: datetime | None
    ended_at: datetime | None
    waited_seconds: int
    language: str
    department: str | None
    caller_type: str | None
    category: str | None  # the label, once classified
    difficult: bool
    help_waiting: bool  # help asked and no supervisor has answered yet
    events: tuple[tuple[datetime, str, str], ...]  # (at, kind, detail), oldest first
    conversation_id: int | None = None  # the conference of a call going on
    held: bool = False  # the caller is on hold (music)
    legs: tuple[ConferenceLeg, ...] = ()  # who is on the call now (the conference's registry)
    callback: bool = False  # a safe callback: the listener called back a person who had asked for it


def _desk_call(session: Session, offer: Offer, caller: QueuedCaller, live: bool,
               conversation: Conversation | None = None) -> DeskCall:
    events = tuple(session.execute(select(CallEvent.at, CallEvent.kind, CallEvent.detail)
                                   .where(CallEvent.call_id == caller.call_id).order_by(CallEvent.id)).all())
    kinds = [kind for _, kind, _ in events]
    category = session.scalar(select(CallCategory.label).where(CallCategory.call_id == caller.call_id))
    answered = offer.answered_at
    waited = int(((answered or offer.created_at) - caller.enqueued_at).total_seconds())
    return DeskCall(
        call_id=caller.call_id, line_id=caller.line_id, pool=offer.pool, listener_id=offer.listener_id,
        listener_name=session.scalar(select(Listener.name).where(Listener.id == offer.listener_id)) or "",
        offer_id=offer.id, live=live, answered_at=answered, ended_at=offer.ended_at, waited_seconds=max(0, waited),
        language=caller.language, department=caller.department, caller_type=caller.caller_type, category=category,
        difficult=DIFFICULT in kinds, help_waiting=_help_waiting(kinds), events=events,
        conversation_id=conversation.id if conversation is not None else None,
        held=conversation is not None and conversation.held_since is not None,
        legs=tuple(conference.legs(session, conversation.id)) if conversation is not None else ())


def _help_waiting(kinds: list[str]) -> bool:
    asked = max((i for i, kind in enumerate(kinds) if kind == HELP_ASKED), default=-1)
    answered = max((i for i, kind in enumerate(kinds) if kind == HELP_ANSWERED), default=-1)
    return asked > answered


def _live_conversation(session: Session, offer: Offer) -> Conversation | None:
    found = conference.for_offer(session, offer.id)
    return found if found is not None and found.status in conference.LIVE else None


def _callback_call(session: Session, conversation: Conversation, live: bool) -> DeskCall | None:
    """A callback's conversation as the desk shows it: the request's facts (never its number), the steps since the
    listener pressed 1 (its events go on the call where the person asked to be called back)."""
    request = session.scalar(select(CallbackRequest).join(CallbackAttempt, CallbackAttempt.request_id ==
                                                          CallbackRequest.id)
                             .where(CallbackAttempt.id == conversation.callback_attempt_id))
    if request is None or conversation.call_id is None or conversation.listener_id is None:
        return None
    events = tuple(session.execute(select(CallEvent.at, CallEvent.kind, CallEvent.detail)
                                   .where(CallEvent.call_id == conversation.call_id,
                                          CallEvent.at >= conversation.started_at).order_by(CallEvent.id)).all())
    kinds = [kind for _, kind, _ in events]
    return DeskCall(
        call_id=conversation.call_id, line_id=conversation.line_id, pool=conversation.pool,
        listener_id=conversation.listener_id,
        listener_name=session.scalar(select(Listener.name).where(Listener.id == conversation.listener_id)) or "",
        offer_id=0, live=live, answered_at=conversation.started_at, ended_at=conversation.ended_at,
        waited_seconds=max(0, int((conversation.started_at - request.requested_at).total_seconds())),
        language=request.language, department=request.department, caller_type=request.caller_type,
        category=session.scalar(select(CallCategory.label).where(CallCategory.call_id == conversation.call_id)),
        difficult=DIFFICULT in kinds, help_waiting=_help_waiting(kinds), events=events,
        conversation_id=conversation.id if live else None, held=live and conversation.held_since is not None,
        legs=tuple(conference.legs(session, conversation.id)) if live else (), callback=True)


def _callback_for(session: Session, listener: Listener, live: Conversation | None) -> DeskCall | None:
    """The callback the listener is on (``live``, their conversation going on), else the one whose wrap-up they
    are in when it is their latest conversation."""
    if live is not None:
        return _callback_call(session, live, live=True) if live.callback_attempt_id is not None else None
    latest = session.scalar(select(Conversation).where(Conversation.listener_id == listener.id)
                            .order_by(Conversation.id.desc()).limit(1))
    if latest is None or latest.callback_attempt_id is None or latest.status in conference.LIVE \
            or listener.status != ListenerStatus.WRAP_UP.value:
        return None
    return _callback_call(session, latest, live=False)


def listener_call(session: Session, listener: Listener) -> DeskCall | None:
    """The listener's own call: the one they are on (as its listener or its binôme), else the one whose wrap-up
    they are in; nobody else's."""
    conversation = conference.live_conversation_for_listener(session, listener.id)
    callback = _callback_for(session, listener, conversation)
    if callback is not None:
        return callback
    if conversation is not None and conversation.offer_id is not None:
        offer = session.get(Offer, conversation.offer_id)
        caller = session.get(QueuedCaller, conversation.queued_caller_id) if conversation.queued_caller_id else None
        if offer is not None and caller is not None and caller.call_id is not None:
            return _desk_call(session, offer, caller, live=True, conversation=conversation)
    row = session.execute(
        select(Offer, QueuedCaller).join(QueuedCaller, QueuedCaller.id == Offer.queued_caller_id)
        .where(Offer.listener_id == listener.id, Offer.status.in_(ON_CALL_OFFERS + ("ended",)),
               QueuedCaller.call_id.is_not(None))
        .order_by(Offer.id.desc()).limit(1)).first()
    if row is None:
        return None
    offer, caller = row
    if offer.status in ON_CALL_OFFERS and listener.status == ListenerStatus.ON_CALL.value:
        return _desk_call(session, offer, caller, live=True, conversation=_live_conversation(session, offer))
    if offer.status == "ended" and listener.status == ListenerStatus.WRAP_UP.value and caller.status == "done":
        return _desk_call(session, offer, caller, live=False)
    return None


def live_calls_on_lines(session: Session, line_ids: list[int]) -> list[DeskCall]:
    """Every conversation going on now on these lines, longest first (a supervisor's view)."""
    if not line_ids:
        return []
    rows = session.execute(
        select(Offer, QueuedCaller).join(QueuedCaller, QueuedCaller.id == Offer.queued_caller_id)
        .where(Offer.status == "bridged", QueuedCaller.line_id.in_(line_ids), QueuedCaller.call_id.is_not(None))
        .order_by(Offer.answered_at, Offer.id)).all()
    callbacks = session.scalars(select(Conversation).where(Conversation.callback_attempt_id.is_not(None),
                                                           Conversation.status == "live",
                                                           Conversation.line_id.in_(line_ids))
                                .order_by(Conversation.started_at, Conversation.id))
    found = [_desk_call(session, offer, caller, live=True, conversation=_live_conversation(session, offer))
             for offer, caller in rows]
    return found + [call for call in (_callback_call(session, c, live=True) for c in callbacks) if call is not None]


def live_call(session: Session, call_id: int) -> DeskCall | None:
    row = session.execute(
        select(Offer, QueuedCaller).join(QueuedCaller, QueuedCaller.id == Offer.queued_caller_id)
        .where(Offer.status == "bridged", QueuedCaller.call_id == call_id).order_by(Offer.id.desc()).limit(1)).first()
    if row is None:
        callback = session.scalar(select(Conversation).where(Conversation.callback_attempt_id.is_not(None),
                                                             Conversation.status == "live",
                                                             Conversation.call_id == call_id).limit(1))
        return _callback_call(session, callback, live=True) if callback is not None else None
    return _desk_call(session, *row, live=True, conversation=_live_conversation(session, row[0]))


def _already(session: Session, call_id: int, kind: str) -> bool:
    pending = session.info.get(PENDING_EVENTS, [])
    if any(e["call_id"] == call_id and e["kind"] == kind for e in pending):
        return True
    return session.scalar(select(CallEvent.id).where(CallEvent.call_id == call_id, CallEvent.kind == kind)
                          .limit(1)) is not None


def ask_help(session: Session, call: Call, now: datetime, by: str) -> bool:
    """The listener asks for a supervisor; False when a request is already waiting for an answer."""
    kinds = list(session.scalars(select(CallEvent.kind).where(CallEvent.call_id == call.id,
                                                              CallEvent.kind.in_((HELP_ASKED, HELP_ANSWERED)))
                                 .order_by(CallEvent.id)))
    kinds += [e["kind"] for e in session.info.get(PENDING_EVENTS, []) if e["call_id"] == call.id]
    if _help_waiting(kinds):
        return False
    record(session, call, now, HELP_ASKED, by)
    return True


def help_answered(session: Session, call: Call, now: datetime, mode: str, by: str) -> None:
    record(session, call, now, HELP_ANSWERED, f"{mode} {by}")


def keypad_help(conversation_id: int) -> None:
    """The listener pressed * then 3 (ivr/keypad.py's help hook): the same alert as the desk's button."""
    with database.session() as session:
        found = session.get(Conversation, conversation_id)
        call = session.get(Call, found.call_id) if found is not None and found.call_id is not None else None
        if call is not None and ask_help(session, call, current_app.config["CLOCK"](), "keypad"):
            session.commit()


def mark_difficult(session: Session, call: Call, listener: Listener | None, now: datetime, settings: PoolSettings,
                   caller_type: str | None, ended_at: datetime | None, by: str) -> bool:
    """The call is marked difficult (once). A listener already in its wrap-up gets the longer one at once; on a
    call still going on, the wrap-up computed when it ends reads the mark (wrapup_after)."""
    if _already(session, call.id, DIFFICULT):
        return False
    record(session, call, now, DIFFICULT, by)
    if listener is not None and listener.status == ListenerStatus.WRAP_UP.value and ended_at is not None:
        longer = ended_at + timedelta(seconds=settings.wrapup_after(caller_type, difficult=True))
        if listener.wrapup_until is None or listener.wrapup_until < longer:
            listener.wrapup_until = listener.idle_since = longer
    return True


def debrief_done(session: Session, call: Call, now: datetime, by: str) -> bool:
    if _already(session, call.id, DEBRIEF_DONE):
        return False
    record(session, call, now, DEBRIEF_DONE, by)
    return True


def is_difficult(session: Session, call_id: int | None) -> bool:
    return call_id is not None and _already(session, call_id, DIFFICULT)


def wrapup_after(session: Session, settings: PoolSettings, caller: QueuedCaller | None) -> int:
    """Seconds of wrap-up after this caller's conversation: the line's difficult_wrapup for a call marked difficult."""
    caller_type = caller.caller_type if caller is not None else None
    return settings.wrapup_after(caller_type, is_difficult(session, caller.call_id if caller else None))


@dataclass(frozen=True)
class DebriefDue:
    call_id: int
    line_id: int | None
    marked_at: datetime
    listener_name: str


def debriefs_due(session: Session, line_ids: list[int], now: datetime) -> list[DebriefDue]:
    """Difficult calls of these lines, marked in the last DEBRIEF_WINDOW, whose debrief nobody has marked done."""
    if not line_ids:
        return []
    done = select(CallEvent.call_id).where(CallEvent.kind == DEBRIEF_DONE)
    rows = session.execute(
        select(Call.id, Call.line_id, CallEvent.at)
        .join(CallEvent, CallEvent.call_id == Call.id)
        .where(Call.line_id.in_(line_ids), CallEvent.kind == DIFFICULT, CallEvent.at >= now - DEBRIEF_WINDOW,
               Call.id.not_in(done))
        .order_by(CallEvent.at)).all()
    return [DebriefDue(call_id, line_id, at, _listener_name(session, call_id)) for call_id, line_id, at in rows]


def _listener_name(session: Session, call_id: int) -> str:
    """Who took the call (the listener the coordinator offers a debrief to)."""
    name = session.scalar(
        select(Listener.name).join(Offer, Offer.listener_id == Listener.id)
        .join(QueuedCaller, QueuedCaller.id == Offer.queued_caller_id)
        .where(QueuedCaller.call_id == call_id, Offer.status.in_(ON_CALL_OFFERS + ("ended",)),
               Offer.answered_at.is_not(None))
        .order_by(Offer.id.desc()).limit(1))
    return name or ""
