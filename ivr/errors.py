"""Error pages: under /voice/ Twilio always gets TwiML it can play, never an HTML error page."""

from __future__ import annotations

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException

from ivr.twiml import failure_twiml, fallback_kind_for, twiml

# Refusals meant for whoever is not Twilio (bad signature, oversized body) keep their status code.
REFUSALS = {400, 403, 413}


def voice_failure() -> Response:
    """The same answer ``never_fail`` gives for this path: a wait document leaves the queue, a whisper or a status
    callback stays silent, a listener hears an apology, a caller is put through to the emergency fallback."""
    return twiml(failure_twiml(fallback_kind_for(request.path)))


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        if request.path.startswith("/voice/") and error.code not in REFUSALS:
            return voice_failure()
        return error.get_response()

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        current_app.logger.error("unhandled %s on %s", type(error).__name__, request.path)
        if request.path.startswith("/voice/"):
            return voice_failure()
        return Response("Internal error", status=500, mimetype="text/plain")
