"""A safe callback as a conversation, like a queue call's: once the listener pressed 1 they wait in a conference named
after the call (music) while the person is dialled through the REST API — the line's number shown, a machine hung up
on before anything is bridged — and a person who answers joins it as its anchor. Every tool of a queue call then works
on it: hold, binôme, help, transfer, end, the * menu, the desk.

The person hanging up ends the conference and frees everyone; the listener then says whether it was the right person
and goes to wrap-up. The listener's line dropping: the person hears that the line was cut and that they will be called
back (never a number), and the request is tried again by its own rules."""

from __future__ import annotations

from types import SimpleNamespace

from flask import Blueprint, current_app
from twilio.twiml.voice_response import Gather, VoiceResponse

from ivr import keypad, prompts
from ivr.call_rest import conference_sid, rest_client, twilio_did
from ivr.callback_turn import attempt_turn, said_then_hang_up, say_line
from ivr.conference import LISTENER_LEFT_HOOKS, caller_join, listener_join
from ivr.security import twilio_only
from ivr.twiml import field, never_fail, public
from store import callback_conversation as calls
from store import conference as records
from store.callbacks import accept_attempt, reopen_guessed_outcome
from store.calls import CALL_ENDED
from store.extension import database
from store.models import CallbackAttempt, CallbackRequest, Listener
from store.ringing import locked

callback_conference = Blueprint("callback_conference", __name__, url_prefix="/voice/callback")
PERSON_RING_SECONDS = 25  # as the <Dial> to the person always allowed
DIAL_OUTCOMES = {"busy": "busy", "no-answer": "no_answer", "failed": "wrong_number", "canceled": "no_answer"}


def begin(session, now, attempt: CallbackAttempt, callback_request: CallbackRequest, line, number: str,
          after: list) -> VoiceResponse:
    """1 pressed, everything checked: the conversation, the listener into its conference (music meanwhile), and the
    person dialled once this is committed. ``number`` lives only in memory, for that one request."""
    accept_attempt(session, attempt, now)
    conversation = calls.start(session, attempt, callback_request, now, line.pool)
    attempt_id, app = attempt.id, current_app._get_current_object()
    after.append(lambda: dial_person(app, attempt_id, number, line))
    return listener_join(conversation, attempt, line, prompts.render("callback_listener_dialling", line.language))


def dial_person(app, attempt_id: int, number: str, line) -> None:
    """The person's phone rings, showing the line's number; answered, Twilio asks /answered (after its machine
    check). Twilio refusing: a try not reached, and the listener is told."""
    options = {"machine_detection": "Enable"} if line.callback.machine_detection else {}
    created: list = []
    ok = twilio_did(lambda: created.append(rest_client().calls.create(
        to=number, from_=line.caller_id, url=public(f"/voice/callback/answered?attempt={attempt_id}"), method="POST",
        timeout=PERSON_RING_SECONDS, status_callback=public(f"/voice/callback/person-status?attempt={attempt_id}"),
        status_callback_method="POST", **options)))
    now = app.config["CLOCK"]()
    with database.session() as session:
        attempt = locked(session, CallbackAttempt, attempt_id)
        conversation = calls.for_attempt(session, attempt_id)
        if conversation is None:
            return
        if ok:
            if not conversation.caller_sid:  # /answered may have come first
                conversation.caller_sid = created[0].sid
            gone = conversation.status not in records.LIVE  # the listener hung up while this was being asked
            session.commit()
            if gone:
                app.extensions["dispatcher"].hang_up([created[0].sid])
            return
        calls.not_reached(session, conversation, now)
        calls.settle(session, conversation, attempt, now, line.callback)
        listener_sid = attempt.listener_call_sid
        session.commit()
    if listener_sid:
        app.extensions["dispatcher"].redirect(listener_sid, public(f"/voice/callback/over?attempt={attempt_id}"))


def person_joins(session, now, attempt, callback_request, line) -> VoiceResponse:
    """A person answered: into the conference as its anchor (their leaving ends it for everyone)."""
    conversation = calls.for_attempt(session, attempt.id)
    if conversation is None:  # a <Dial><Number> still in flight from before callbacks were conferences: bridged
        return VoiceResponse()
    if calls.person_answered(session, conversation, field("CallSid"), now):
        return caller_join(conversation, line, callback_request.language, words=None,
                           after_url=public(f"/voice/callback/person-after?attempt={attempt.id}"))
    return _person_told_dropped(session, attempt, line, callback_request.language)


def _person_told_dropped(session, attempt, line, language: str) -> VoiceResponse:
    request = session.get(CallbackRequest, attempt.request_id)
    return said_then_hang_up(line, "callback_person_dropped", retry=request is not None and request.status == "pending")


@callback_conference.route("/person-status", methods=("GET", "POST"))
@twilio_only
@never_fail("silent")
@attempt_turn
def person_status(session, now, attempt, callback_request, line, after):
    """The person's call is over. Never answered by a person (busy, no answer, a machine): the try is counted and
    the listener, still waiting in the conference, is told. Hung up after talking: the conference ends with them."""
    status = field("CallStatus")
    conversation = calls.for_attempt(session, attempt.id)
    if status not in CALL_ENDED or conversation is None:
        return VoiceResponse()
    if conversation.status == "connecting":
        calls.not_reached(session, conversation, now)
        calls.settle(session, conversation, attempt, now, line.callback, DIAL_OUTCOMES.get(status, "no_answer"))
        if attempt.listener_call_sid:
            sid, url = attempt.listener_call_sid, public(f"/voice/callback/over?attempt={attempt.id}")
            dispatcher = current_app.extensions["dispatcher"]
            after.append(lambda: dispatcher.redirect(sid, url))
    elif conversation.status == "live" and field("CallSid") == conversation.caller_sid:
        records.close(session, conversation, now, "ended", "caller")
        records.note(session, conversation, now, "conv_ended", "caller")
    return VoiceResponse()


@callback_conference.route("/person-after", methods=("GET", "POST"))
@twilio_only
@never_fail("listener")
@attempt_turn
def person_after(session, now, attempt, callback_request, line, after):
    """The person's <Dial> ended without their hanging up: the call ended for everyone (goodbye), or their
    listener's line dropped (told they will be called back)."""
    response = VoiceResponse()
    if field("CallStatus") in CALL_ENDED:
        return response
    conversation = calls.for_attempt(session, attempt.id)
    if conversation is not None and conversation.ended_by == "dropped":
        return _person_told_dropped(session, attempt, line, callback_request.language)
    return said_then_hang_up(line, "callback_person_goodbye")


@callback_conference.route("/dropped", methods=("GET", "POST"))
@twilio_only
@never_fail("listener")
@attempt_turn
def dropped(session, now, attempt, callback_request, line, after):
    """The person's leg, moved out of the conference when the listener's line dropped: a sentence, then goodbye."""
    return _person_told_dropped(session, attempt, line, callback_request.language)


@callback_conference.route("/after", methods=("GET", "POST"))
@twilio_only
@never_fail("listener")
@attempt_turn
def listener_after(session, now, attempt, callback_request, line, after):
    """The listener's <Dial><Conference> ended: * pressed (the menu), the call over (the outcome), or their line
    gone (the person told, the request tried again)."""
    conversation = calls.for_attempt(session, attempt.id)
    if calls.listener_on_it(conversation):
        if field("CallStatus") in CALL_ENDED:
            after.extend(listener_left(session, now, attempt, line, conversation))
            return VoiceResponse()
        if conversation.status == "connecting":
            return listener_join(conversation, attempt, line)  # * while the phone rings: wait for them again
        if not current_app.extensions["dispatcher"].call_has_ended(conversation.caller_sid):
            listener = session.get(Listener, attempt.listener_id) if attempt.listener_id else None
            return keypad.open_menu(session, now, conversation, attempt, keypad.spoken_for(line, listener), after)
        records.close(session, conversation, now, "ended", "caller")
        records.note(session, conversation, now, "conv_ended", "caller")
    return listener_done(session, now, attempt, line, conversation)


@callback_conference.route("/over", methods=("GET", "POST"))
@twilio_only
@never_fail("listener")
@attempt_turn
def listener_over(session, now, attempt, callback_request, line, after):
    """After the menu's 9, or the person not reached: the outcome, unless the call goes on (ending it failed)."""
    conversation = calls.for_attempt(session, attempt.id)
    if calls.listener_on_it(conversation):
        if conversation.status == "connecting":
            return listener_join(conversation, attempt, line)
        return keypad.back_to_caller(conversation, attempt, line, after, now, "conf_not_done")
    return listener_done(session, now, attempt, line, conversation)


def listener_done(session, now, attempt, line, conversation) -> VoiceResponse:
    """The conversation is over for the listener: the try's outcome, then whether it was the right person."""
    response = VoiceResponse()
    reopen_guessed_outcome(session, attempt)
    calls.settle(session, conversation, attempt, now, line.callback)
    if attempt.outcome != "reached":
        return said_then_hang_up(line, "callback_listener_not_reached")
    gather = Gather(num_digits=1, timeout=8, action=public(f"/voice/callback/outcome?attempt={attempt.id}"))
    say_line(gather, line, "callback_listener_outcome")
    response.append(gather)
    response.hangup()
    return response


def listener_left(session, now, attempt, line, conversation) -> list:
    """The listener's line dropped: a transfer under way may take the person over; else the person is told they
    will be called back (a phone still ringing stops), and the try is counted as dropped. Returns what to ask of
    Twilio once committed."""
    dispatcher, sid = current_app.extensions["dispatcher"], conversation.caller_sid
    if conversation.status == "live" and dispatcher.call_has_ended(sid):
        # The person hung up first (the conference's events are on their way): a call that ended, not a drop.
        records.close(session, conversation, now, "ended", "caller")
        records.note(session, conversation, now, "conv_ended", "caller")
        calls.settle(session, conversation, attempt, now, line.callback)
        return []
    for hook in current_app.extensions.get(LISTENER_LEFT_HOOKS, ()):
        taken_over = hook(session, conversation, now)
        if taken_over is not None:  # the person goes on with the third party: reached
            calls.settle(session, conversation, attempt, now, line.callback)
            return taken_over
    talking = calls.listener_dropped(session, conversation, now)
    calls.settle(session, conversation, attempt, now, line.callback)
    if talking:
        url = public(f"/voice/callback/dropped?attempt={attempt.id}")
        named = SimpleNamespace(name=conversation.name, conference_sid=conversation.conference_sid)
        return [lambda: dispatcher.redirect(sid, url) or _end_conference(named)]
    return [lambda: dispatcher.hang_up([sid])]


def _end_conference(conversation) -> bool:
    """The person could not be moved out (the redirect failed): end their conference so they are never left
    alone in it; their <Dial> action then tells them."""
    client = rest_client()
    return twilio_did(lambda: client.conferences(conference_sid(client, conversation)).update(status="completed"))


@callback_conference.route("/menu", methods=("GET", "POST"))
@twilio_only
@never_fail("listener")
@attempt_turn
def listener_menu(session, now, attempt, callback_request, line, after):
    """The * menu of a callback, the same as a queue call's (ivr/keypad.py), its 4 the transfers too."""
    listener = session.get(Listener, attempt.listener_id) if attempt.listener_id else None
    return keypad.listener_menu(session, now, attempt, None, listener, line, after)
