"""The conference's status callback, which keeps the participant registry true, and the call status of the
participants the REST API dialled (binôme, supervisor, third party)."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, current_app, request
from twilio.twiml.voice_response import VoiceResponse

from ivr.binome_join import announce_whisper, binome_whisper
from ivr.call_control import leg_gone, resume
from ivr.call_rest import rest_client, twilio_did
from ivr.conference_requeue import ENDED_HOOKS, conversation_from_url, line_of
from ivr.security import twilio_only
from ivr.twiml import SILENT, field, never_fail, row_id, say, twiml
from store import conference as records
from store.calls import CALL_ENDED
from store.extension import database
from store.models import ConferenceLeg, Conversation, QueuedCaller

conference_events = Blueprint("conference_events", __name__, url_prefix="/voice/conference")

# --- the conference's status callback: the participant registry ----------------------------------------------


@conference_events.route("/events", methods=("GET", "POST"))
@twilio_only
@never_fail("silent")
def events():
    now = current_app.config["CLOCK"]()
    event = field("StatusCallbackEvent")
    with database.session() as session:
        conversation = conversation_from_url(session)
        if conversation is None or field("FriendlyName") not in ("", conversation.name):
            return twiml(VoiceResponse())
        if field("ConferenceSid").startswith("CF"):
            conversation.conference_sid = field("ConferenceSid")[:64]
        leg = records.leg_of(session, conversation, field("CallSid")) if field("CallSid") else None
        tasks = _apply(session, conversation, leg, event, now)
        session.commit()
    for task in tasks:
        task()
    return twiml(VoiceResponse())


def _apply(session, conversation: Conversation, leg: ConferenceLeg | None, event: str, now: datetime) -> list:
    """One status callback event on the registry; returns what to ask of Twilio once committed."""
    if event == "conference-end":
        return _conference_ended(session, conversation, now)
    if event == "participant-join" and conversation.status not in records.LIVE:
        # Someone came back into a conversation that ended meanwhile — the caller hung up while the listener heard
        # a sentence on their way back in (after * 1, a transfer's choice): Twilio made a new, empty conference of
        # the same name. Ended at once, it ends their dial too, and they go to wrap-up instead of waiting alone.
        return [lambda sid=field("ConferenceSid"): _end_stale_conference(sid)]
    if leg is None:
        return []
    flags = {"Muted": "muted", "Hold": "on_hold", "Coaching": "coaching"}
    for name, attribute in flags.items():
        if field(name) in ("true", "false"):
            setattr(leg, attribute, field(name) == "true")
    if event == "participant-join":
        return _joined(session, conversation, leg, now)
    if event == "participant-leave":
        _left(session, conversation, leg, now)
    return []


def _conference_ended(session, conversation: Conversation, now: datetime) -> list:
    present = records.legs(session, conversation.id)
    if conversation.status in records.LIVE:
        records.close(session, conversation, now, "ended", "caller")
        records.note(session, conversation, now, "conv_ended", "caller")
    for other in present:
        leg_gone(session, other, now)
    return [task for hook in current_app.extensions.get(ENDED_HOOKS, ()) for task in hook(session, conversation, now)]


def _joined(session, conversation: Conversation, leg: ConferenceLeg, now: datetime) -> list:
    leg.joined_at, leg.left_at = leg.joined_at or now, None
    if leg.role == "listener" and conversation.held_by == records.RETURNING and not conversation.in_menu:
        # Back from the keypad's menu: only now does the caller come off hold (ivr/keypad.back_to_caller).
        return [lambda conversation_id=conversation.id: resume(conversation_id, by="keypad", now=now)]
    if leg.role == "binome":
        records.note(session, conversation, now, "conv_binome_joined")
    return []


def _left(session, conversation: Conversation, leg: ConferenceLeg, now: datetime) -> None:
    if leg.left_at is None:
        leg_gone(session, leg, now)
    if leg.role == "caller" and conversation.status in records.LIVE:
        # Hung up (a redirect out of the conference has already changed the status): the call is over.
        records.close(session, conversation, now, "ended", "caller")
        records.note(session, conversation, now, "conv_ended", "caller")


def _end_stale_conference(conference_sid: str) -> None:
    if conference_sid.startswith("CF"):
        twilio_did(lambda: rest_client().conferences(conference_sid).update(status="completed"))


@conference_events.route("/participant-status", methods=("GET", "POST"))
@twilio_only
@never_fail("silent")
def participant_status():
    """A participant dialled by the REST API: their call's end (or no answer) frees their leg; a binôme who answers
    is told, alone, whose call they join."""
    now = current_app.config["CLOCK"]()
    tasks = []
    with database.session() as session:
        conversation = conversation_from_url(session)
        leg_id = row_id(request.args.get("leg"))
        leg = records.leg_by_id(session, conversation, leg_id) if conversation is not None else None
        if leg is not None and field("CallStatus") in CALL_ENDED:
            leg_gone(session, leg, now)
            session.commit()
        elif leg is not None and leg.role == "binome" and field("CallStatus") == "in-progress":
            conversation_id, sid = conversation.id, leg.call_sid or field("CallSid")[:64]
            tasks.append(lambda: announce_whisper(conversation_id, leg_id, sid))
    for task in tasks:
        task()
    return twiml(VoiceResponse())


@conference_events.route("/binome-whisper", methods=("GET", "POST"))
@twilio_only
@never_fail(SILENT)
def binome_whisper_document():
    """Announced to an invited binôme alone as they come in: the line, the caller's département if given."""
    now = current_app.config["CLOCK"]()
    response = VoiceResponse()
    with database.session() as session:
        conversation = conversation_from_url(session, lock=False)
        line = line_of(session, conversation, now)
        if line is None:
            return twiml(response)
        caller = session.get(QueuedCaller, conversation.queued_caller_id) if conversation.queued_caller_id else None
        say(response, binome_whisper(line, caller.department if caller is not None else None), line.language, line)
    return twiml(response)
