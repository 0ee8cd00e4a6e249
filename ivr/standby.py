"""The standby answer for Twilio's fallback URL: a WSGI app that needs no secret, no database, no settings."""

from __future__ import annotations

import os
from urllib.parse import parse_qs

import phonenumbers
from twilio.twiml.voice_response import VoiceResponse

from ivr import prompts

# Served by its own process (`gunicorn ivr.standby:application`), so that callers are still answered when the
# engine cannot start: a missing or refused secret, a broken migration, a database that is gone. It reads one
# optional variable, HELPLINE_EMERGENCY_FALLBACK; from the request only the number dialled (`To`), shown to
# the emergency line instead of the caller's own, as the engine does. It checks no signature since it holds no
# auth token; all it can give away is a number a line publishes anyway.
FALLBACK_VARIABLE = "HELPLINE_EMERGENCY_FALLBACK"
MAX_BODY = 64 * 1024


def emergency_number(environ: dict[str, str]) -> str | None:
    """The configured emergency number when it is a possible E.164 number, else none (the apology alone)."""
    return e164(environ.get(FALLBACK_VARIABLE) or "")


def e164(raw: str) -> str | None:
    raw = raw.strip()
    if not raw.startswith("+"):
        return None
    try:
        parsed = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def standby_twiml(number: str | None, caller_id: str | None = None) -> bytes:
    response = VoiceResponse()
    response.say(prompts.render("technical_problem", "fr"), language="fr-FR")
    if number:
        response.say(prompts.render("technical_fallback", "fr"), language="fr-FR")
        response.dial(number, timeout=30, caller_id=caller_id)
    else:
        response.say(prompts.render("technical_no_fallback", "fr"), language="fr-FR")
    response.hangup()
    return str(response).encode()


def dialled_number(wsgi_environ) -> tuple[str | None, str | None]:
    """`To` and `From` of a Twilio request (form body or query string), as E.164 or None; never raises."""
    try:
        length = min(int(wsgi_environ.get("CONTENT_LENGTH") or 0), MAX_BODY)
        body = wsgi_environ["wsgi.input"].read(length) if length > 0 else b""
        fields = parse_qs(wsgi_environ.get("QUERY_STRING", "")) | parse_qs(body.decode("utf-8", "replace"))
    except Exception:  # noqa: BLE001 — a malformed request still gets the apology and the emergency line
        return None, None
    return e164((fields.get("To") or [""])[0]), e164((fields.get("From") or [""])[0])


def make_standby(environ: dict[str, str] | None = None):
    """The WSGI app; the emergency number is read once, at start-up, and the catalogue checked then too."""
    number = emergency_number(dict(os.environ) if environ is None else environ)
    standby_twiml(number)  # a broken prompt catalogue shows when the server starts, not on a call

    def application(wsgi_environ, start_response):
        to, from_ = dialled_number(wsgi_environ)
        body = standby_twiml(number, caller_id=to if to and to != from_ else None)
        start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(body))),
                                  ("Cache-Control", "no-store")])
        return [body]

    return application


application = make_standby()
