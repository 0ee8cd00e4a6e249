"""What every webhook of a callback's listener (and of the person called back) shares: the attempt named in the
URL, loaded under its lock with its request and line, and the line's words."""

from __future__ import annotations

from functools import wraps

from flask import current_app, request
from twilio.twiml.voice_response import VoiceResponse

from ivr import prompts
from ivr.listener_leg import leg_spoken_to
from ivr.twiml import row_id, say, twiml
from store.dispatch import locked
from store.extension import database, directory
from store.models import CallbackAttempt, CallbackRequest, LineRow


def attempt_turn(handler):
    """Load the attempt named in the URL with its request and line; run ``handler``; commit; answer TwiML."""

    @wraps(handler)
    def view():
        now = current_app.config["CLOCK"]()
        attempt_id = row_id(request.args.get("attempt"))
        after: list = []
        with database.session() as session:
            attempt = locked(session, CallbackAttempt, attempt_id) if attempt_id is not None else None
            callback_request = session.get(CallbackRequest, attempt.request_id) if attempt else None
            line = None
            if callback_request is not None and callback_request.line_id is not None:
                slug = session.get(LineRow, callback_request.line_id).slug
                line = directory.get(session, now).lines_by_slug.get(slug)
            if attempt is None or callback_request is None or line is None:
                response = VoiceResponse()
                response.say(prompts.render("callback_listener_gone", "fr"), language="fr-FR")
                response.hangup()
                return twiml(response)
            response = handler(session, now, attempt, callback_request, line, after)
            leg_spoken_to(session, attempt.listener_id, attempt.listener_call_sid, now)
            session.commit()
        for task in after:
            task()
        return twiml(response)

    return view


def say_line(target, line, key: str, **context) -> None:
    say(target, prompts.render(key, line.language, line.country, line_name=line.name, **context), line.language, line)


def said_then_hang_up(line, key: str, **context) -> VoiceResponse:
    """One sentence of the line's, then the call ends (a listener told, a person called back told goodbye)."""
    response = VoiceResponse()
    say_line(response, line, key, **context)
    response.hangup()
    return response
