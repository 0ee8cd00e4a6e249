"""Every answered call is a Twilio conference: the caller's and the listener's <Dial><Conference>, moving the caller
there, and the music while waiting or on hold.

The caller's leg is the anchor (endConferenceOnExit): when the caller hangs up, the conference ends and everyone
else is freed. When the listener's leg drops, the caller goes back to the head of the queue (conference_requeue.py);
the conference's status callback keeps the participant registry true (conference_events.py)."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, current_app, request
from twilio.twiml.voice_response import Dial, VoiceResponse

from ivr import prompts
from ivr.call_control import EVENTS, events_url, resume
from ivr.conference_requeue import (  # noqa: F401 — the hooks' names and listener_dropped are imported from here
    ENDED_HOOKS,
    LISTENER_LEFT_HOOKS,
    conversation_from_url,
    line_of,
    listener_dropped,
    locked_in_order,
    requeue_document,
)
from ivr.hold_music import CLIP_SECONDS
from ivr.security import twilio_only
from ivr.twiml import field, never_fail, public, row_id, say, twiml
from store import conference as records
from store import bridging
from store.extension import database
from store.models import Call, CallbackAttempt, Conversation, Offer, QueuedCaller

conference = Blueprint("conference", __name__, url_prefix="/voice/conference")
HOLD_LOOPS = 3  # the engine's ten-second loop, three times, then the document is fetched again


# --- the TwiML of each leg ---------------------------------------------------------------------------------------


def caller_join(conversation: Conversation, line, language: str, words: str | None = "queue_connecting",
                after_url: str | None = None) -> VoiceResponse:
    """The caller's document once a listener pressed 1 (or the person a callback reached): into the conference,
    which ends when they leave."""
    response = VoiceResponse()
    if words:
        say(response, prompts.render(words, language), language, line)
    dial = Dial(action=after_url or public(f"/voice/conference/caller-after?cv={conversation.id}"), method="POST")
    dial.conference(conversation.name, start_conference_on_enter=True, end_conference_on_exit=True, beep="false",
                    wait_url=public(f"/voice/conference/wait?cv={conversation.id}"), wait_method="POST",
                    status_callback=events_url(conversation.id), status_callback_method="POST",
                    status_callback_event=EVENTS, participant_label="caller")
    response.append(dial)
    return response


def move_caller_in(conversation_id: int) -> None:
    """Move the caller out of their queue into the conference (REST). If Twilio says their call is already over (a
    hang-up lost while the database was down), the listener waiting in the conference is told at once; if Twilio
    cannot be reached, the caller's next wait document leaves the queue for the conference instead."""
    dispatcher = current_app.extensions["dispatcher"]
    with database.session() as session:
        conversation = session.get(Conversation, conversation_id)
        offer = session.get(Offer, conversation.offer_id) if conversation and conversation.offer_id else None
    if conversation is None or conversation.status != "connecting":
        return
    if dispatcher.redirect(conversation.caller_sid, public(f"/voice/conference/caller?cv={conversation_id}")):
        return
    if not dispatcher.call_has_ended(conversation.caller_sid):
        return
    with database.session() as session:
        conversation = locked_in_order(session, conversation_id)
        if conversation is None or conversation.status != "connecting":
            return
        records.close(session, conversation, current_app.config["CLOCK"](), "ended", "caller")
        session.commit()
    if offer is not None and offer.call_sid:
        dispatcher.redirect(offer.call_sid, public(f"/voice/listener/over?offer={offer.id}"))


def leg_url(owner: Offer | CallbackAttempt, what: str) -> str:
    """A listener's leg webhook (after, menu, over): a queue offer's, or a callback attempt's."""
    if isinstance(owner, CallbackAttempt):
        return public(f"/voice/callback/{what}?attempt={owner.id}")
    return public(f"/voice/listener/{what}?offer={owner.id}")


def listener_join(conversation: Conversation, offer: Offer | CallbackAttempt, line,
                  speak: str | None = None) -> VoiceResponse:
    """The listener's document: into the same conference, leaving it with * (the keypad menu) without ending it.

    startConferenceOnEnter is false (a change from the first design): until the caller is in, the listener hears
    the wait music rather than the silence of a conference started by them alone."""
    response = VoiceResponse()
    if speak:
        say(response, speak, line.language, line)
    who = "callback" if isinstance(offer, CallbackAttempt) else "listener"
    dial = Dial(action=leg_url(offer, "after"), method="POST", hangup_on_star=True)
    dial.conference(conversation.name, start_conference_on_enter=False, end_conference_on_exit=False, beep="false",
                    wait_url=public(f"/voice/conference/wait?cv={conversation.id}&who={who}"), wait_method="POST",
                    status_callback=events_url(conversation.id), status_callback_method="POST",
                    status_callback_event=EVENTS, participant_label="listener")
    response.append(dial)
    return response


def music(response, line, seconds: float) -> None:
    """The line's hold music, or the engine's own loop for about ``seconds``."""
    if line is not None and line.hold_music:
        response.play(line.hold_music)
    else:
        response.play(public("/media/hold-music.wav"), loop=max(1, round(seconds / CLIP_SECONDS)))


@conference.route("/caller", methods=("GET", "POST"))
@twilio_only
@never_fail
def caller():
    """Fetched on the caller's leg when the engine moves it out of its queue (REST redirect)."""
    now = current_app.config["CLOCK"]()
    tasks: list = []
    with database.session() as session:
        conversation = conversation_from_url(session)
        document = join_document(session, conversation, field("CallSid"), now, tasks)
        session.commit()
    for task in tasks:
        task()
    return twiml(document)


def join_document(session, conversation: Conversation | None, call_sid: str, now: datetime,
                  tasks: list) -> VoiceResponse:
    """The conference for a caller a listener took; the records say they are bridged (Twilio's own word follows
    in the status callback). Their listener gone meanwhile: back to the head of the queue. The call ended: goodbye.
    The caller commits; ``tasks`` run after."""
    if conversation is not None and conversation.caller_sid == call_sid and conversation.status in ("requeued",
                                                                                                   "dropping"):
        conversation.status = "requeued"
        return requeue_document(session, conversation, line_of(session, conversation, now))
    if conversation is None or conversation.caller_sid != call_sid or conversation.status not in records.LIVE:
        response = VoiceResponse()
        line = line_of(session, conversation, now)
        say(response, prompts.render("conf_caller_goodbye", line.language if line else "fr"),
            line.language if line else "fr", line)
        response.hangup()
        return response
    caller_row = session.get(QueuedCaller, conversation.queued_caller_id) if conversation.queued_caller_id else None
    offer = session.get(Offer, conversation.offer_id) if conversation.offer_id else None
    if offer is not None and offer.call_sid:
        bridging.caller_bridged(session, call_sid, offer.call_sid, now)
    if conversation.status == "connecting":
        conversation.status = "live"
        records.note(session, conversation, now, "conv_bridged")
        call = session.get(Call, conversation.call_id) if conversation.call_id is not None else None
        if call is not None:
            call.outcome = "answered"  # what the reports count, as the Enqueue action's "bridged" did
    language = caller_row.language if caller_row is not None else "fr"
    return caller_join(conversation, line_of(session, conversation, now), language)


def conference_join(turn) -> VoiceResponse | None:
    """For the Enqueue action (ivr/turn.HoldingSteps): a caller who left their queue because a listener
    took them goes into the conference; None when no conversation awaits them."""
    conversation = records.live_conversation_for_caller(turn.session, turn.call.sid)
    if conversation is None:
        return None
    conversation = locked_in_order(turn.session, conversation.id)
    tasks: list = []
    document = join_document(turn.session, conversation, turn.call.sid, turn.now, tasks)
    turn.after_commit.extend(tasks)
    return document


@conference.route("/wait", methods=("GET", "POST"))
@twilio_only
@never_fail("music")
def wait():
    """The conference's waitUrl: music (and, for the listener, that the caller is being connected)."""
    now = current_app.config["CLOCK"]()
    response = VoiceResponse()
    with database.session() as session:
        conversation = conversation_from_url(session, lock=False)
        line = line_of(session, conversation, now)
    # A callback's listener was told "Nous appelons la personne" as they pressed 1 (ivr/callback_conference.begin):
    # their wait is music only, not the same sentence again.
    words = {"listener": "conf_listener_connecting"}.get(request.args.get("who", ""))
    if words:
        language = line.language if line is not None else "fr"
        say(response, prompts.render(words, language), language, line)
    music(response, line, 30)
    return twiml(response)


@conference.route("/hold", methods=("GET", "POST"))
@twilio_only
@never_fail("music")
def hold_music_document():
    """The holdUrl: the line's music, again and again; past the hold limit, a word to the caller and another try
    to bring them back (the desk may be closed, or the REST API was down when they were resumed)."""
    now = current_app.config["CLOCK"]()
    response = VoiceResponse()
    due = False
    with database.session() as session:
        conversation = conversation_from_url(session, lock=False)
        line = line_of(session, conversation, now)
        language = line.language if line is not None else "fr"
        if conversation is not None and conversation.held_since is not None:
            held = (now - conversation.held_since).total_seconds()
            due = held >= records.HOLD_LIMIT_SECONDS and not conversation.in_menu
            if held < 2 or due:
                say(response, prompts.render("conf_on_hold", language), language, line)
    music(response, line, HOLD_LOOPS * CLIP_SECONDS)
    response.redirect(public(f"/voice/conference/hold?cv={row_id(request.args.get('cv')) or ''}"), method="POST")
    if due:
        resume(conversation.id, by="limit", now=now)
    return twiml(response)
