"""What the desk and the keypad do to a call in progress — hold, binôme, supervisors, another party, remove, end —
through Twilio's Conference Participants REST API, each change recorded as a call event.

Every operation takes the conversation's row lock first and writes its intent (a leg reserved, a hold begun) before
any REST request, with no transaction open during the request; a request that fails undoes the intent. Two people
acting on the same call at once are thus served one after the other, and the records never claim what Twilio
refused."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import select

from ivr.call_parties import add_participant, invite_binome, leg_gone, supervise  # noqa: F401 — the API, in one place
from ivr.call_rest import (  # noqa: F401 — the API's names, in one place
    EVENTS,
    MODES,
    Outcome,
    conference_sid,
    events_url,
    hold_url,
    live_conversation,
    now_or_clock,
    participant_of,
    rest_client,
    twilio_did,
)
from store import conference as records
from store.extension import database
from store.models import ConferenceLeg, Conversation


# --- hold and resume ---------------------------------------------------------------------------------------


def hold(conversation_id: int, by: str = "desk", now: datetime | None = None, music_url: str | None = None) -> Outcome:
    """The caller hears the line's hold music (never silence) until resumed, or until HOLD_LIMIT_SECONDS; a cold
    transfer gives its own ``music_url`` (its one sentence, then this music)."""
    now = now_or_clock(now)
    with database.session() as session:
        conversation = live_conversation(session, conversation_id)
        if conversation is None:
            return Outcome(False, "not_live")
        if not records.start_hold(conversation, now, by):
            return Outcome(True, "already")
        caller_sid = conversation.caller_sid
        session.commit()
    if twilio_did(lambda: participant_of(conversation, caller_sid).update(
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


# app.extensions[HOLD_LIMIT_HOOKS]: fn(conversation_id, now, by) -> Outcome | None, asked before the time limit or the
# listener (desk, keypad) takes a caller off hold — not a transfer's own resumes; an Outcome means "handled" (a warm
# transfer's consultation must first be put out of their ears).
HOLD_LIMIT_HOOKS = "ivr.hold_limit"


def resume(conversation_id: int, by: str = "desk", now: datetime | None = None, ask_hooks: bool = True) -> Outcome:
    """The caller is back in the conversation. When Twilio fails, they stay on hold (music) and the time limit
    tries again (ivr/sweep and each fetch of the hold music)."""
    now = now_or_clock(now)
    if by != "transfer" and ask_hooks:
        for hook in current_app.extensions.get(HOLD_LIMIT_HOOKS, ()):
            handled = hook(conversation_id, now, by)
            if handled is not None:
                return handled
    with database.session() as session:
        conversation = live_conversation(session, conversation_id)
        if conversation is None:
            return Outcome(False, "not_live")
        if conversation.held_since is None:
            return Outcome(True, "already")
        caller_sid = conversation.caller_sid
    if not twilio_did(lambda: participant_of(conversation, caller_sid).update(hold=False)):
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
    now = now_or_clock(now)
    with database.session() as session:
        due = [c.id for c in records.held_too_long(session, now) if not c.in_menu]
    return sum(resume(conversation_id, by="limit", now=now).ok for conversation_id in due)


def give_floor(conversation_id: int, leg_id: int, now: datetime | None = None) -> Outcome:
    """A binôme (or a third party joined muted) may speak: unmuted, heard by everyone."""
    now = now_or_clock(now)
    with database.session() as session:
        conversation = live_conversation(session, conversation_id)
        leg = records.leg_by_id(session, conversation, leg_id) if conversation is not None else None
        if leg is None or leg.left_at is not None or not leg.call_sid or leg.role in ("caller", "supervisor"):
            return Outcome(False, "not_found")
        call_sid = leg.call_sid
    if not twilio_did(lambda: participant_of(conversation, call_sid).update(muted=False)):
        return Outcome(False, "twilio_failed", leg_id)
    with database.session() as session:
        leg = session.get(ConferenceLeg, leg_id, with_for_update=True)
        leg.muted = False
        records.note(session, session.get(Conversation, conversation_id), now, "conv_floor_given", leg.role)
        session.commit()
    return Outcome(True, leg_id=leg_id)


def remove(conversation_id: int, leg_id: int, now: datetime | None = None) -> Outcome:
    """Take a participant off the call (never the caller: that is ``end``)."""
    now = now_or_clock(now)
    with database.session() as session:
        conversation = live_conversation(session, conversation_id)
        leg = records.leg_by_id(session, conversation, leg_id) if conversation is not None else None
        if leg is None or leg.left_at is not None or leg.role in ("caller", "listener"):
            return Outcome(False, "not_found")
        call_sid, role = leg.call_sid, leg.role
    if call_sid and not twilio_did(lambda: participant_of(conversation, call_sid).delete()):
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
    now = now_or_clock(now)
    with database.session() as session:
        conversation = live_conversation(session, conversation_id)
        if conversation is None:
            return Outcome(False, "not_live")
        records.close(session, conversation, now, "ended", by)
        records.note(session, conversation, now, "conv_ended", by)
        session.commit()
    client = rest_client()
    if twilio_did(lambda: client.conferences(conference_sid(client, conversation)).update(status="completed")):
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
