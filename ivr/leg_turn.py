"""A listener's leg webhook that serves a queue call and a safe callback alike: the URL names the leg's owner, a queue
offer (``offer=N``, ivr/listener_call.py) or a callback attempt (``attempt=N``, ivr/callback_turn.py), and the handler
gets the same arguments either way."""

from __future__ import annotations

from functools import wraps

from flask import request
from twilio.twiml.voice_response import VoiceResponse

from ivr.callback_conference import listener_done
from ivr.callback_turn import attempt_turn
from ivr.listener_call import call_over, offer_turn
from store.models import Listener, Offer


def leg_turn(handler):
    """``offer_turn``'s arguments (session, now, owner, caller, listener, line, after) for either owner: a callback
    has no queued caller (None), and its listener is the attempt's (read, not locked: a callback's webhooks lock
    the attempt, then the conversation, then the listener)."""
    by_offer = offer_turn(handler)

    def for_attempt(session, now, attempt, callback_request, line, after):
        listener = session.get(Listener, attempt.listener_id) if attempt.listener_id is not None else None
        return handler(session, now, attempt, None, listener, line, after)

    by_attempt = attempt_turn(for_attempt)

    @wraps(handler)
    def view():
        return by_attempt() if "attempt" in request.args else by_offer()

    return view


def leg_over(session, now, owner, caller, listener, line, after, conversation) -> VoiceResponse:
    """The conversation is over for this listener (a transfer left the caller with the third party): a queue call's
    wrap-up, or a callback's outcome (was it the right person?)."""
    if isinstance(owner, Offer):
        return call_over(session, now, owner, caller, listener, line, after)
    return listener_done(session, now, owner, line, conversation)
