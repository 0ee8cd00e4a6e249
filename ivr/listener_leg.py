"""What a listener's leg hears and how its webhooks mark it live, alike for a waiting caller and a callback."""

from __future__ import annotations

from twilio.twiml.voice_response import Gather, VoiceResponse

from ivr import prompts
from ivr.twiml import field, public, say
from store.dispatch import locked
from store.listeners import leg_answered
from store.models import Listener


def whisper(text: str, accept_path: str, line) -> VoiceResponse:
    """What the listener hears on picking up: ``text``, then 1 to take it within the line's accept time;
    without 1 they hear that it was not taken, and the leg ends."""
    response = VoiceResponse()
    gather = Gather(num_digits=1, timeout=line.queue.accept_timeout, action=public(accept_path))
    say(gather, text, line.language, line)
    response.append(gather)
    not_taken(response, line)
    return response


def not_taken(response: VoiceResponse, line) -> VoiceResponse:
    say(response, prompts.render("listener_not_taken", line.language, line.country), line.language, line)
    response.hangup()
    return response


def leg_spoken_to(session, listener_id: int | None, leg_sid: str | None, now) -> None:
    """After any webhook on a listener's leg: the leg plays our answer (nobody dials them meanwhile), or Twilio
    says it is over. Only the offer's or attempt's own leg counts (``leg_sid``, once known)."""
    call_sid = field("CallSid")
    if listener_id is None or not call_sid or call_sid != (leg_sid or call_sid):
        return
    session.flush()  # the handler's changes first: the locked re-read below must not overwrite them
    listener = locked(session, Listener, listener_id)
    if listener is not None:
        leg_answered(listener, call_sid, field("CallStatus"), now)
