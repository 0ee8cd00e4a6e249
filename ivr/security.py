"""Twilio webhook signatures checked against the public URL; no switch turns the check off."""

from __future__ import annotations

from functools import wraps

from flask import Request, abort, current_app, request
from twilio.request_validator import RequestValidator



def public_url(req: Request, base: str | None) -> str:
    """The URL Twilio signed: the configured public base + path and query, or the URL as received."""
    if not base:
        return req.url
    query = req.query_string.decode("latin-1")
    return base.rstrip("/") + req.path + (f"?{query}" if query else "")


def signature_is_valid(req: Request) -> bool:
    token = current_app.config["TWILIO_AUTH_TOKEN"]
    signature = req.headers.get("X-Twilio-Signature", "")
    if not signature:
        return False
    validator = RequestValidator(token)
    url = public_url(req, current_app.config.get("PUBLIC_URL"))
    params = req.form if req.method == "POST" else {}  # GET webhooks sign the URL alone
    return validator.validate(url, params, signature)


def twilio_only(view):
    """Refuse (403) any request not signed by Twilio with our auth token; there is no switch to turn it off."""

    @wraps(view)
    def checked(*args, **kwargs):
        if not signature_is_valid(request):
            current_app.logger.warning("webhook refused: bad or missing signature on %s", request.path)
            abort(403)
        return view(*args, **kwargs)

    return checked
