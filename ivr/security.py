"""Twilio webhook signatures checked against the public URL; no switch turns the check off."""

from __future__ import annotations

from functools import lru_cache, wraps
from urllib.parse import urlparse

from flask import Request, abort, current_app, request
from twilio.request_validator import RequestValidator, add_port, compare, remove_port
from werkzeug.datastructures import ImmutableMultiDict, MultiDict



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
    validator = _validator(token)
    url = urlparse(public_url(req, current_app.config.get("PUBLIC_URL")))
    params = req.form if req.method == "POST" else {}  # GET webhooks sign the URL alone
    # Twilio signs the URL as the number is configured, usually without a port; the form with the default port
    # is tried only when that one does not match (RequestValidator.validate computes both HMACs every time).
    return any(compare(validator.compute_signature(candidate, params), signature)
               for candidate in (remove_port(url), add_port(url)))


@lru_cache(maxsize=4)
def _validator(token: str) -> RequestValidator:
    return RequestValidator(token)


def twilio_only(view):
    """Refuse (403) any request not signed by Twilio with our auth token; there is no switch to turn it off."""

    @wraps(view)
    def checked(*args, **kwargs):
        if not signature_is_valid(request):
            current_app.logger.warning("webhook refused: bad or missing signature on %s", request.path)
            abort(403)
        _strip_nul_bytes(request._get_current_object())
        return view(*args, **kwargs)

    return checked


def _without_nul(values: MultiDict) -> ImmutableMultiDict:
    return ImmutableMultiDict([(key.replace("\x00", ""), value.replace("\x00", ""))
                               for key, value in values.items(multi=True)])


def _strip_nul_bytes(req: Request) -> None:
    """NUL bytes out of every parameter, once the signature (made over them) is checked: PostgreSQL refuses
    them in text, and a call must not fall back because a CallSid or a status carried one."""
    req.form, req.args = _without_nul(req.form), _without_nul(req.args)
    req.__dict__.pop("values", None)  # rebuilt from the cleaned form and arguments when next read
