"""What the desk and the keypad do to a call in progress — hold, binôme, supervisors, another party, remove, end —
through Twilio's Conference Participants REST API, each change recorded as a call event.

Every operation takes the conversation's row lock first and writes its intent (a leg reserved, a hold begun) before
any REST request, with no transaction open during the request; a request that fails undoes the intent. Two people
acting on the same call at once are thus served one after the other, and the records never claim what Twilio
refused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from flask import current_app
from sqlalchemy import select

from ivr.twiml import public
from routing.queueing import ListenerStatus
from store import conference as records
from store.desk_calls import is_difficult
from store.extension import database, directory
from store.listeners import phone_free, set_status
from store.models import ConferenceLeg, Conversation, Listener, ListenerPool

EVENTS = "start end join leave mute hold modify"  # what the conference's status callback is told
MODES = ("listen", "whisper", "join")


@dataclass(frozen=True)
class Outcome:
    """ok, and why not: not_live | not_found | busy | nobody_available | twilio_failed (or "ok", "already")."""

    ok: bool
    code: str = "ok"
    leg_id: int | None = None


def events_url(conversation_id: int) -> str:
    return public(f"/voice/conference/events?cv={conversation_id}")


def hold_url(conversation_id: int) -> str:
    return public(f"/voice/conference/hold?cv={conversation_id}")


def _client():
    return current_app.extensions["dispatcher"].client


def _now(now: datetime | None) -> datetime:
    return now or current_app.config["CLOCK"]()


def conference_sid(client, conversation: Conversation) -> str:
    """The conference's SID: from its status callback, or asked of Twilio by its name."""
    if conversation.conference_sid:
        return conversation.conference_sid
    found = client.conferences.list(friendly_name=conversation.name, status="in-progress", limit=1)
    if not found:
        raise LookupError("conference not in progress")
    return found[0].sid


def _participant(conversation: Conversation, call_sid: str):
    client = _client()
    return client.conferences(conference_sid(client, conversation)).participants(call_sid)


def _rest(action: Callable[[], object]) -> bool:
    try:
        action()
        return True
    except Exception as error:  # noqa: BLE001 — Twilio refused or could not be reached: the caller of this says so
        current_app.logger.error("conference REST request failed: %s %s", type(error).__name__,
                                 getattr(error, "status", "") or "")
        return False


def _locked(session, conversation_id: int) -> Conversation | None:
    conversation = records.locked_conversation(session, conversation_id)
    return conversation if conversation is not None and conversation.status in records.LIVE else None


# --- hold and resume ---------------------------------------------------------------------------------------


def hold(conversation_id: int, by: str = "desk", now: datetime | None = None, music_url: str | None = None) -> Outcome:
    """The caller hears the line's hold music (never silence) until resumed, or until HOLD_LIMIT_SECONDS; a cold
    transfer gives its own ``music_url`` (its one sentence, then this music)."""
    now = _now(now)
    with database.session() as session:
        conversation = _locked(session, conversation_id)
        if conversation is None:
            return Outcome(False, "not_live")
        if not records.start_hold(conversation, now, by):
            return Outcome(True, "already")
        caller_sid = conversation.caller_sid
        session.commit()
    if _rest(lambda: _participant(conversation, caller_sid).update(
            hold=True, hold_url=music_url or hold_url(conversation_id), hold_method="POST")):
        with database.session() as session:
            conversation = records.locked_conversation(session, conversation_id)
            records.note(session, conversation, now, "conv_hold", by)
            session.commit()
        return Outcome(True)
    with database.session() as session:
        conversation = records.locked_conversation(session, conversation_id)
        conversation.held_since = conversation.held_by = None  # never held: nothing to count
        session.commit()
    return Outcome(False, "twilio_failed")


def resume(conversation_id: int, by: str = "desk", now: datetime | None = None) -> Outcome:
    """The caller is back in the conversation. When Twilio fails, they stay on hold (music) and the time limit
    tries again (ivr/sweep and each fetch of the hold music)."""
    now = _now(now)
    with database.session() as session:
        conversation = _locked(session, conversation_id)
        if conversation is None:
            return Outcome(False, "not_live")
        if conversation.held_since is None:
            return Outcome(True, "already")
        caller_sid = conversation.caller_sid
    if not _rest(lambda: _participant(conversation, caller_sid).update(hold=False)):
        return Outcome(False, "twilio_failed")
    with database.session() as session:
        conversation = records.locked_conversation(session, conversation_id)
        if conversation is not None and conversation.held_since is not None:
            expired = (now - conversation.held_since).total_seconds() >= records.HOLD_LIMIT_SECONDS
            seconds = records.end_hold(conversation, now)
            records.note(session, conversation, now, "conv_hold_expired" if expired and by == "limit" else "conv_resume",
                         f"held {seconds} s")
            session.commit()
    return Outcome(True)


def bring_back_held_callers(now: datetime | None = None) -> int:
    """The time limit: every caller held longer than HOLD_LIMIT_SECONDS is resumed (the sweep calls this)."""
    now = _now(now)
    with database.session() as session:
        due = [c.id for c in records.held_too_long(session, now) if not c.in_menu]
    return sum(resume(conversation_id, by="limit", now=now).ok for conversation_id in due)


# --- more people on the call ---------------------------------------------------------------------------------


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
    now = _now(now)
    with database.session() as session:
        conversation = _locked(session, conversation_id)
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
    now = _now(now)
    with database.session() as session:
        conversation = _locked(session, conversation_id)
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
            if call_sid and _rest(lambda: _participant(conversation, call_sid).update(
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
                    status_url: str | None = None, now: datetime | None = None) -> Outcome:
    """Another party dialled into the call (a transfer's third party): Outcome.leg_id names its leg."""
    now = _now(now)
    with database.session() as session:
        conversation = _locked(session, conversation_id)
        if conversation is None:
            return Outcome(False, "not_live")
        leg = records.add_leg(session, conversation, role, now, label=label, muted=muted)
        leg_id = leg.id
        session.commit()
    return _dial_leg(conversation_id, leg_id, to, now, muted=muted, caller_id=caller_id, timeout=timeout,
                     status_url=status_url)


def _dial_leg(conversation_id: int, leg_id: int, to: str, now: datetime, muted: bool, coach: str | None = None,
              caller_id: str | None = None, timeout: int = 30, status_url: str | None = None) -> Outcome:
    """Dial a reserved leg into the conference; a refusal gives the leg up (and frees a binôme)."""
    with database.session() as session:
        conversation = session.get(Conversation, conversation_id)
        line = directory.get(session, now).line_for_pool(conversation.pool)
    client = _client()
    created: list = []
    extra = {"coaching": True, "call_sid_to_coach": coach} if coach else {}
    ok = _rest(lambda: created.append(client.conferences(conversation.conference_sid or conversation.name)
                                      .participants.create(
        from_=caller_id or line.caller_id, to=to, label=f"leg-{leg_id}", muted=muted, beep="false",
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
    if leg.role != "binome" or leg.listener_id is None:
        return
    listener = session.get(Listener, leg.listener_id, with_for_update=True, populate_existing=True)
    if listener is None or listener.status != ListenerStatus.ON_CALL.value:
        return
    was_on = leg.joined_at is not None if joined is None else joined
    if was_on:
        conversation = session.get(Conversation, leg.conversation_id)
        line = directory.get(session, now).line_for_pool(conversation.pool)
        from datetime import timedelta

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


def give_floor(conversation_id: int, leg_id: int, now: datetime | None = None) -> Outcome:
    """A binôme (or a third party joined muted) may speak: unmuted, heard by everyone."""
    now = _now(now)
    with database.session() as session:
        conversation = _locked(session, conversation_id)
        leg = records.leg_by_id(session, conversation, leg_id) if conversation is not None else None
        if leg is None or leg.left_at is not None or not leg.call_sid or leg.role in ("caller", "supervisor"):
            return Outcome(False, "not_found")
        call_sid = leg.call_sid
    if not _rest(lambda: _participant(conversation, call_sid).update(muted=False)):
        return Outcome(False, "twilio_failed", leg_id)
    with database.session() as session:
        leg = session.get(ConferenceLeg, leg_id, with_for_update=True)
        leg.muted = False
        records.note(session, session.get(Conversation, conversation_id), now, "conv_floor_given", leg.role)
        session.commit()
    return Outcome(True, leg_id=leg_id)


def remove(conversation_id: int, leg_id: int, now: datetime | None = None) -> Outcome:
    """Take a participant off the call (never the caller: that is ``end``)."""
    now = _now(now)
    with database.session() as session:
        conversation = _locked(session, conversation_id)
        leg = records.leg_by_id(session, conversation, leg_id) if conversation is not None else None
        if leg is None or leg.left_at is not None or leg.role in ("caller", "listener"):
            return Outcome(False, "not_found")
        call_sid, role = leg.call_sid, leg.role
    if call_sid and not _rest(lambda: _participant(conversation, call_sid).delete()):
        return Outcome(False, "twilio_failed", leg_id)
    with database.session() as session:
        leg = session.get(ConferenceLeg, leg_id, with_for_update=True)
        leg_gone(session, leg, now)
        records.note(session, session.get(Conversation, conversation_id), now, "conv_removed", role)
        session.commit()
    if not call_sid:  # still ringing when removed: stop that phone
        return Outcome(True, leg_id=leg_id)
    return Outcome(True, leg_id=leg_id)


def end(conversation_id: int, by: str = "desk", now: datetime | None = None) -> Outcome:
    """End the call for everyone: the caller hears a goodbye, the listener goes to wrap-up as after any call."""
    now = _now(now)
    with database.session() as session:
        conversation = _locked(session, conversation_id)
        if conversation is None:
            return Outcome(False, "not_live")
        records.close(session, conversation, now, "ended", by)
        records.note(session, conversation, now, "conv_ended", by)
        session.commit()
    client = _client()
    if _rest(lambda: client.conferences(conference_sid(client, conversation)).update(status="completed")):
        return Outcome(True)
    with database.session() as session:  # the call goes on: say so, and keep the records true
        conversation = records.locked_conversation(session, conversation_id)
        conversation.status, conversation.ended_at, conversation.ended_by = "live", None, None
        for leg in session.scalars(select(ConferenceLeg).where(ConferenceLeg.conversation_id == conversation_id,
                                                              ConferenceLeg.left_at == now)):
            leg.left_at = None
        session.commit()
    return Outcome(False, "twilio_failed")


def participants(conversation_id: int) -> list[dict]:
    """Who is on the call, for the desk: role, label, mode, muted, on hold, coaching — never a phone number."""
    with database.session() as session:
        conversation = session.get(Conversation, conversation_id)
        if conversation is None:
            return []
        held = conversation.held_since is not None
        return [{"id": leg.id, "role": leg.role, "label": leg.label, "mode": leg.mode, "muted": leg.muted,
                 "on_hold": leg.on_hold or (held and leg.role == "caller"), "coaching": leg.coaching,
                 "joined": leg.joined_at is not None, "listener_id": leg.listener_id}
                for leg in records.legs(session, conversation_id)]
