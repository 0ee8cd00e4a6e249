"""Calling back: the listener's phone rings first, hears the context, presses 1; then the caller is dialled into the
call's conference (ivr/callback_conference.py)."""

from __future__ import annotations

from flask import Blueprint, current_app
from twilio.twiml.voice_response import VoiceResponse

from ivr import prompts
from ivr.callback_conference import DIAL_OUTCOMES, begin, listener_done, listener_left, person_joins
from ivr.callback_turn import attempt_turn, said_then_hang_up
from ivr.listener_leg import not_taken, whisper
from ivr.security import twilio_only
from ivr.spoken import caller_type_words
from ivr.twiml import field, never_fail
from routing.callbacks import window_open
from store import callback_conversation as calls
from store.callbacks import listener_leg_over, record_outcome, release_attempt, reopen_guessed_outcome
from store.calls import CALL_ENDED
from store.crypto import decrypt_number
from store.dispatch import locked
from store.models import CallbackRequest

callback_dial = Blueprint("callback_dial", __name__, url_prefix="/voice/callback")


@callback_dial.route("/listener", methods=("GET", "POST"))
@twilio_only
@never_fail("listener")
@attempt_turn
def listener(session, now, attempt, callback_request, line, after):
    """The listener picked up: the context of the request, then 1 to dial the caller."""
    response = VoiceResponse()
    if attempt.status not in ("dialling", "ringing") or callback_request.status != "offered":
        release_attempt(session, attempt, now, line.queue, missed=False, why="callback no longer to do")
        return said_then_hang_up(line, "callback_listener_gone")
    attempt.status = "answered"
    attempt.listener_call_sid = attempt.listener_call_sid or field("CallSid")[:64] or None
    from zoneinfo import ZoneInfo

    local_now = now.astimezone(ZoneInfo(line.schedule.timezone))
    text = prompts.render(
        "callback_listener_whisper", line.language, line.country, line_name=line.name, now=local_now,
        requested=callback_request.requested_at.astimezone(local_now.tzinfo),
        window_words=prompts.render(f"callback_window_{callback_request.window}", line.language),
        caller_type=caller_type_words(callback_request.caller_type, line.language), department=callback_request.department or "",
        message_allowed=callback_request.message_allowed, attempt=callback_request.attempts + 1,
        max_attempts=line.callback.max_attempts)
    return whisper(text, f"/voice/callback/accept?attempt={attempt.id}", line)


@callback_dial.route("/accept", methods=("GET", "POST"))
@twilio_only
@never_fail("listener")
@attempt_turn
def accept(session, now, attempt, callback_request, line, after):
    response = VoiceResponse()
    if field("Digits")[:1] != "1" or attempt.status != "answered":
        return not_taken(response, line)
    if field("CallStatus") in CALL_ENDED:
        # 1 pressed as the phone hung up: a missed offer, as when the leg's status callback is processed first.
        release_attempt(session, attempt, now, line.queue, missed=True, why="hung up after pressing 1")
        return not_taken(response, line)
    if not window_open(callback_request.window, line.schedule, now):
        # Offered just before the window (or the line) closed: not a miss, and no try used; it waits for its
        # next window. The listener hears that this callback is no longer to do.
        release_attempt(session, attempt, now, line.queue, missed=False, why="window closed")
        return said_then_hang_up(line, "callback_listener_gone")
    number = decrypt_number(current_app.config, callback_request.number_encrypted or "")
    if number is None or callback_request.status != "offered":
        release_attempt(session, attempt, now, line.queue, missed=False, why="callback no longer possible")
        return said_then_hang_up(line, "callback_listener_gone")
    # The listener waits in the call's conference; the person is dialled showing the line's number, never the
    # listener's, and a machine that answers is hung up on (no voicemail).
    return begin(session, now, attempt, callback_request, line, number, after)


@callback_dial.route("/answered", methods=("GET", "POST"))
@twilio_only
@never_fail("listener")
@attempt_turn
def answered(session, now, attempt, callback_request, line, after):
    """Runs on the called person's side when they answer: machines are hung up on, people join the conference."""
    response = VoiceResponse()
    if line.callback.machine_detection and field("AnsweredBy").startswith(("machine", "fax")):
        attempt.outcome = "machine"
        response.hangup()
        return response
    return person_joins(session, now, attempt, callback_request, line)


@callback_dial.route("/dialled", methods=("GET", "POST"))
@twilio_only
@never_fail("listener")
@attempt_turn
def dialled(session, now, attempt, callback_request, line, after):
    """The <Dial><Number> to the caller is over (a callback bridged so before callbacks were conferences, still in
    flight at an upgrade): record what happened; a conversation is counted as reached."""
    status = field("DialCallStatus")
    reopen_guessed_outcome(session, attempt)
    reached = status == "completed" and attempt.outcome != "machine"
    record_outcome(session, attempt, "reached" if reached else "machine" if attempt.outcome == "machine"
                   else DIAL_OUTCOMES.get(status, "no_answer"), now, line.callback)
    return listener_done(session, now, attempt, line, None)


@callback_dial.route("/outcome", methods=("GET", "POST"))
@twilio_only
@never_fail("listener")
@attempt_turn
def outcome(session, now, attempt, callback_request, line, after):
    """The listener corrects "reached": the wrong person answered, or the caller asked not to be called again."""
    corrected = {"2": "cancelled", "3": "wrong_number"}.get(field("Digits")[:1])
    if corrected:
        callback_request = locked(session, CallbackRequest, callback_request.id)  # re-read: no lost update
    if corrected and callback_request is not None and callback_request.status == "reached":
        callback_request.status = corrected
        callback_request.last_outcome = corrected
        attempt.outcome = corrected
    return said_then_hang_up(line, "callback_listener_recorded")


@callback_dial.route("/listener-status", methods=("GET", "POST"))
@twilio_only
@never_fail("silent")
@attempt_turn
def listener_status(session, now, attempt, callback_request, line, after):
    status = field("CallStatus")
    if status in CALL_ENDED:
        conversation = calls.for_attempt(session, attempt.id)
        if calls.listener_on_it(conversation):  # before the <Dial>'s action said so
            after.extend(listener_left(session, now, attempt, line, conversation))
        elif conversation is not None:  # over: its outcome, whether or not the <Dial>'s action comes
            calls.settle(session, conversation, attempt, now, line.callback)
        listener_leg_over(session, attempt, now, line.queue, line.callback, status)
        calls.wrap_up_after_difficult(session, conversation, attempt, now, line.queue, callback_request.caller_type)
        app = current_app._get_current_object()
        after.append(lambda: app.extensions["dispatcher"].trigger(line.pool))
    return VoiceResponse()
