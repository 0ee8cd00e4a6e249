"""More people on a call in progress: a binôme, a supervisor (listen, whisper, join), another party — each dialled
into the conference by the Participants REST API, its leg reserved in the registry first."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from ivr.call_rest import EVENTS, MODES, Outcome, events_url, live_conversation, now_or_clock, participant_of, rest_client, twilio_did
from ivr.twiml import public
from routing.queueing import ListenerStatus
from store import conference as records
from store.desk_calls import is_difficult
from store.extension import database, directory
from store.listeners import phone_free, set_status
from store.models import ConferenceLeg, Conversation, Listener, ListenerPool

def _free_listener(session, conversation: Conversation, listener_id: int | None, now: datetime) -> Listener | None:
    query = (select(Listener).join(ListenerPool, ListenerPool.listener_id == Listener.id)
             .where(ListenerPool.pool == conversation.pool, Listener.active.is_(True),
                    Listener.status == ListenerStatus.AVAILABLE.value, phone_free(now),
                    Listener.id != (conversation.listener_id or 0)))
    if listener_id is not None:
        query = query.where(Listener.id == listener_id)
    return session.scalar(query.order_by(Listener.idle_since, Listener.id).limit(1)
                          .with_for_update(skip_locked=True, of=Listener))


def invite_binome(conversation_id: int, listener_id: int | None = None, now: datetime | None = None) -> Outcome:
    """A second listener of the same pool is dialled and joins muted, listening; ``give_floor`` lets them speak."""
    now = now_or_clock(now)
    with database.session() as session:
        conversation = live_conversation(session, conversation_id)
        if conversation is None:
            return Outcome(False, "not_live")
        listener = _free_listener(session, conversation, listener_id, now)
        if listener is None:
            return Outcome(False, "nobody_available")
        set_status(session, listener, ListenerStatus.ON_CALL, now, "binôme on a call")
        leg = records.add_leg(session, conversation, "binome", now, listener_id=listener.id, muted=True)
        records.note(session, conversation, now, "conv_binome_invited")
        leg_id, phone = leg.id, listener.phone
        session.commit()
    return _dial_leg(conversation_id, leg_id, phone, now, muted=True)


def supervise(conversation_id: int, mode: str, phone: str, account_id: int | None = None,
              now: datetime | None = None) -> Outcome:
    """A supervisor listens (heard by nobody), whispers (heard by the listener only) or joins (heard by both).
    One supervisor per call: another one is refused ("busy"); the same account again changes its mode."""
    if mode not in MODES:
        return Outcome(False, "not_found")
    now = now_or_clock(now)
    with database.session() as session:
        conversation = live_conversation(session, conversation_id)
        if conversation is None:
            return Outcome(False, "not_live")
        present = [leg for leg in records.legs(session, conversation.id) if leg.role == "supervisor"]
        coached = _listener_sid(session, conversation)
        if present and (account_id is None or present[0].account_id != account_id):
            return Outcome(False, "busy")
        if present:
            leg = present[0]
            previous = (leg.mode, leg.muted, leg.coaching)
            leg.mode, leg.muted, leg.coaching = mode, mode == "listen", mode == "whisper"
            leg_id, call_sid = leg.id, leg.call_sid
            session.commit()
            if call_sid and twilio_did(lambda: participant_of(conversation, call_sid).update(
                    muted=mode == "listen", coaching=mode == "whisper",
                    **({"call_sid_to_coach": coached} if mode == "whisper" else {}))):
                _noted(conversation_id, now, "conv_supervisor", mode)
                return Outcome(True, leg_id=leg_id)
            with database.session() as session:
                leg = session.get(ConferenceLeg, leg_id)
                leg.mode, leg.muted, leg.coaching = previous
                session.commit()
            return Outcome(False, "twilio_failed", leg_id)
        leg = records.add_leg(session, conversation, "supervisor", now, account_id=account_id, mode=mode,
                              muted=mode == "listen", coaching=mode == "whisper")
        leg_id = leg.id
        session.commit()
    outcome = _dial_leg(conversation_id, leg_id, phone, now, muted=mode == "listen",
                        coach=coached if mode == "whisper" else None)
    if outcome.ok:
        _noted(conversation_id, now, "conv_supervisor", mode)
    return outcome


def add_participant(conversation_id: int, to: str, role: str = "third_party", label: str | None = None,
                    muted: bool = False, caller_id: str | None = None, timeout: int = 30,
                    status_url: str | None = None, now: datetime | None = None,
                    listener_id: int | None = None) -> Outcome:
    """Another party dialled into the call (a transfer's third party; ``listener_id`` when it is a listener of
    another line, freed by ``leg_gone`` as a binôme is): Outcome.leg_id names its leg."""
    now = now_or_clock(now)
    with database.session() as session:
        conversation = live_conversation(session, conversation_id)
        if conversation is None:
            return Outcome(False, "not_live")
        leg = records.add_leg(session, conversation, role, now, label=label, muted=muted, listener_id=listener_id)
        leg_id, label = leg.id, leg.label if label else None
        session.commit()
    return _dial_leg(conversation_id, leg_id, to, now, muted=muted, caller_id=caller_id, timeout=timeout,
                     status_url=status_url, label=label)


def _dial_leg(conversation_id: int, leg_id: int, to: str, now: datetime, muted: bool, coach: str | None = None,
              caller_id: str | None = None, timeout: int = 30, status_url: str | None = None,
              label: str | None = None) -> Outcome:
    """Dial a reserved leg into the conference, known to Twilio by the label it was given (else leg-N, unique in
    the conference); a refusal gives the leg up (and frees a binôme)."""
    with database.session() as session:
        conversation = session.get(Conversation, conversation_id)
        line = directory.get(session, now).line_for_pool(conversation.pool)
    client = rest_client()
    created: list = []
    extra = {"coaching": True, "call_sid_to_coach": coach} if coach else {}
    ok = twilio_did(lambda: created.append(client.conferences(conversation.conference_sid or conversation.name)
                                      .participants.create(
        from_=caller_id or line.caller_id, to=to, label=label or f"leg-{leg_id}", muted=muted, beep="false",
        early_media=True, end_conference_on_exit=False, timeout=timeout,
        status_callback=status_url or public(f"/voice/conference/participant-status?cv={conversation_id}&leg={leg_id}"),
        status_callback_event=["answered", "completed"],
        conference_status_callback=events_url(conversation_id), conference_status_callback_event=EVENTS.split(),
        **extra)))
    with database.session() as session:
        leg = session.get(ConferenceLeg, leg_id, with_for_update=True)
        if ok:
            leg.call_sid = created[0].call_sid
        else:
            leg_gone(session, leg, now, joined=False)
        session.commit()
    return Outcome(True, leg_id=leg_id) if ok else Outcome(False, "twilio_failed", leg_id)


def leg_gone(session, leg: ConferenceLeg, now: datetime, joined: bool | None = None) -> None:
    """A participant has left (or never came): a binôme listener goes to wrap-up if they were on the call,
    else is free again."""
    if leg.left_at is None:
        leg.left_at = now
    if leg.role not in ("binome", "third_party") or leg.listener_id is None:
        return
    listener = session.get(Listener, leg.listener_id, with_for_update=True, populate_existing=True)
    if listener is None or listener.status != ListenerStatus.ON_CALL.value:
        return
    was_on = leg.joined_at is not None if joined is None else joined
    if was_on:
        conversation = session.get(Conversation, leg.conversation_id)
        line = directory.get(session, now).line_for_pool(conversation.pool)
        # The binôme heard the same call: a call marked difficult gives them the longer wrap-up too.
        seconds = line.queue.wrapup_after(None, is_difficult(session, conversation.call_id)) if line is not None else 60
        set_status(session, listener, ListenerStatus.WRAP_UP, now, "binôme call over")
        listener.wrapup_until = listener.idle_since = now + timedelta(seconds=seconds)
    else:
        set_status(session, listener, ListenerStatus.AVAILABLE, now, "binôme call not answered")


def _listener_sid(session, conversation: Conversation) -> str | None:
    main = [leg for leg in records.legs(session, conversation.id) if leg.role == "listener"]
    return main[0].call_sid if main else None


def _noted(conversation_id: int, now: datetime, kind: str, detail: str = "") -> None:
    with database.session() as session:
        records.note(session, session.get(Conversation, conversation_id), now, kind, detail)
        session.commit()
