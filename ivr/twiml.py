"""What every Twilio webhook shares: bounded form fields, absolute URLs, <Say>, and valid TwiML even when things break."""

from __future__ import annotations

import re
import sys
import traceback
from functools import lru_cache, wraps
from urllib.parse import urlencode

from flask import Response, current_app, has_request_context, request, url_for
from flask.sessions import SessionInterface
from twilio.twiml.voice_response import VoiceResponse

from ivr import prompts
from ivr.kept import keep
from ivr.state import CallState
from ivr.twiml_text import twiml_text
from phones.numbers import e164, normalised
from store.extension import directory

MAX_FIELD = 200


class NoSessions(SessionInterface):
    """The webhooks' pool serves no console: Flask's cookie session (a signing serializer made on every request)
    is never opened."""

    def open_session(self, app, request):
        return None  # Flask then gives the request a null session

    def save_session(self, app, session, response) -> None:
        return None


def twiml(response: VoiceResponse, keep: bool = True) -> Response:
    """The answer's text; ``keep=False`` for one that carries a caller's number (spoken, or its token in a URL):
    written whole by twilio, and no part of it kept among the verbs' texts (ivr/twiml_text.py)."""
    return Response(twiml_text(response) if keep else str(response), mimetype="text/xml")


def field(name: str) -> str:
    """A form field, bounded: Twilio never sends huge values, garbage may. Read as ``request.values`` reads it
    (the URL's arguments first, then the form unless the request is a GET), without building that combined
    dict on every webhook."""
    req = request._get_current_object()
    value = req.args.get(name)
    if value is None and req.method != "GET":
        value = req.form.get(name)
    return value[:MAX_FIELD] if isinstance(value, str) else ""


def row_id(raw: str | None) -> int | None:
    """A database id read from a URL: ASCII digits that fit PostgreSQL's integer, else None (not an exception)."""
    raw = (raw or "")[:12]
    return int(raw) if raw.isascii() and raw.isdigit() and int(raw) < 2**31 else None


SAY = {"fr": "fr-FR", "en": "en-GB"}
# A voice speaks one language as one country speaks it: a Belgian line's French voice (Polly.Isabelle) is
# fr-BE, and Twilio may refuse a <Say> whose voice does not speak the language it is given.
SAY_BY_COUNTRY = {("fr", "BE"): "fr-BE"}


def say_language(language: str, country: str | None = None) -> str:
    """The <Say> language attribute for a caller's language on a line of ``country``."""
    return SAY_BY_COUNTRY.get((language, country)) or SAY.get(language, "fr-FR")


def public(path: str) -> str:
    """An absolute URL under HELPLINE_PUBLIC_URL when set (Twilio resolves a bare path against the request)."""
    base = current_app.config.get("PUBLIC_URL")
    return f"{base.rstrip('/') if base else ''}{path}"


def say(target, text: str, language: str, line=None) -> None:
    """<Say> in the language's voice, the line's own voice when it has one."""
    kwargs = {"language": say_language(language, line.country if line is not None else None)}
    if line is not None and line.voice(language):
        kwargs["voice"] = line.voice(language)
    target.say(text, **kwargs)


# On a caller's leg `To` is one of the lines' own numbers: parsed once per worker, not on every turn. (Only
# there: elsewhere `To` may be a caller's or a listener's number, which no cache of ours should hold.)
line_number = lru_cache(maxsize=64)(normalised)


def state_url(endpoint: str, state: CallState, keep: bool = True, **params) -> str:
    """The endpoint's public URL with the call's state and ``params``; ``keep=False`` when a parameter is a
    caller's own (their number's encrypted token): its query is then written for this URL alone, never kept."""
    url = f"{endpoint_url(endpoint if '.' in endpoint else f'voice.{endpoint}')}?{state.query()}"
    if params:
        items = [(name, value) for name, value in params.items() if value is not None]
        url += "&" + (_params_query(items) if keep else urlencode(items))
    return url


MAX_QUERIES = 1024  # a whisper's kind and line, the menu's no_input: the same few from call to call
QUERIES: dict[tuple, str] = {}


def _params_query(items: list[tuple[str, object]]) -> str:
    key = tuple((name, type(value), value) for name, value in items)  # typed: 1 == True, written "1" and "True"
    query = QUERIES.get(key)
    return query if query is not None else keep(QUERIES, key, urlencode(items), MAX_QUERIES)


URLS = "ivr.endpoint_urls"  # the app.extensions key of the URLs below


def endpoint_url(endpoint: str) -> str:
    """``public(url_for(endpoint))``: a voice endpoint has no variable part, so its URL is built once per app,
    script root (a proxy's prefix) and public URL, not for every URL of every TwiML document."""
    if not has_request_context():
        return public(url_for(endpoint))
    key = (endpoint, request.script_root, current_app.config.get("PUBLIC_URL"))
    urls = current_app.extensions.get(URLS)
    if urls is None:
        urls = current_app.extensions.setdefault(URLS, {})
    url = urls.get(key)
    if url is None:
        url = urls[key] = public(url_for(endpoint))
    return url


# What a webhook answers when it fails depends on whose leg it runs on and in what TwiML context.
CALLER = "caller"  # a caller's leg: an apology, then the line's emergency fallback (or "call back")
LEAVE = "leave"  # a queue's waitUrl document (Dial not allowed there): <Leave/>, the Enqueue action takes over
SILENT = "silent"  # a whisper, a bridging hook, a status callback: an empty <Response/>, the bridge goes ahead
LISTENER = "listener"  # a listener's own phone: a short apology and <Hangup/>, never the emergency number
MUSIC = "music"  # a conference's hold or wait music: the engine's own loop, then the same document again
FALLBACK_KINDS = (CALLER, LEAVE, SILENT, LISTENER, MUSIC)

# The same choice by path, for the error handlers (404, 405, uncaught errors) that have no view to ask.
# A path matches an entry when it is the entry or lies under it ("/voice/listener" covers "/voice/listener/offer").
FALLBACK_BY_PATH = (
    ("/voice/queue/wait", LEAVE),
    ("/voice/queue/key", LEAVE),
    ("/voice/conference/events", SILENT),
    ("/voice/transfer/hold", MUSIC),  # a cold transfer's sentence, then the hold music
    ("/voice/transfer/parked", MUSIC),  # a parked third party's hold music
    ("/voice/transfer", SILENT),  # a transfer's status callback, whisper, word to the listener
    ("/voice/conference/participant-status", SILENT),
    ("/voice/conference/binome-whisper", SILENT),
    ("/voice/conference/binome-released", LISTENER),  # what a binôme hears before joining: silence lets them in
    ("/voice/conference/wait", MUSIC),
    ("/voice/conference/hold", MUSIC),
    ("/voice/whisper", SILENT),
    ("/voice/status", SILENT),
    ("/voice/callback/listener-status", SILENT),
    ("/voice/callback/person-status", SILENT),
    ("/voice/listener/status", SILENT),
    ("/voice/listener", LISTENER),
    ("/voice/callback/listener", LISTENER),
    ("/voice/callback/accept", LISTENER),
    ("/voice/callback/transfer", LISTENER),  # the keypad's transfer menus on a callback
    ("/voice/callback/dialled", LISTENER),
    ("/voice/callback/outcome", LISTENER),
    ("/voice/callback/after", LISTENER),
    ("/voice/callback/menu", LISTENER),
    ("/voice/callback/over", LISTENER),
    # The person called back: an apology, then goodbye (never silence; the try is counted and tried again).
    ("/voice/callback/answered", LISTENER),
    ("/voice/callback/person-after", LISTENER),
    ("/voice/callback/dropped", LISTENER),
    ("/voice/presence", LISTENER),
    ("/voice/coordinator", LISTENER),
)


def fallback_kind_for(path: str) -> str:
    """The kind of fallback a path under /voice/ gets; anything not listed is a caller's leg."""
    for prefix, kind in FALLBACK_BY_PATH:
        if path == prefix or path.startswith(prefix + "/"):
            return kind
    return CALLER


def failure_twiml(kind: str) -> VoiceResponse:
    """The answer for a failed webhook of this kind; never touches the database."""
    if kind == LEAVE:
        response = VoiceResponse()
        response.leave()
        return response
    if kind == SILENT:
        return VoiceResponse()
    if kind == MUSIC:  # someone on hold must never hear silence, even with the database down
        response = VoiceResponse()
        response.play(public("/media/hold-music.wav"), loop=3)
        response.redirect(public(request.full_path.rstrip("?")), method="POST")
        return response
    if kind == LISTENER:
        response = VoiceResponse()
        response.say(prompts.render("technical_problem", "fr"), language="fr-FR")
        response.hangup()
        return response
    try:
        fallback, caller_id = _cached_line_fallback(), fallback_caller_id()
    except Exception:  # noqa: BLE001 — the last resort must not fail in turn: settings alone, no caller ID
        fallback, caller_id = (current_app.config.get("EMERGENCY_FALLBACK"), "fr"), None
    return technical_problem(fallback, caller_id=caller_id)


def never_fail(view=None, /, kind: str = CALLER):
    """Any exception, or the database down, still gives Twilio valid TwiML for the leg: ``@never_fail`` (a caller's
    leg: apology and emergency fallback) or ``@never_fail(LEAVE | SILENT | LISTENER)`` — the kinds are plain strings,
    so ``@never_fail("leave")`` works too, and an unknown kind fails at import time."""
    if isinstance(view, str):
        view, kind = None, view
    if kind not in FALLBACK_KINDS:
        raise ValueError(f"unknown fallback kind {kind!r}")

    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            try:
                return view(*args, **kwargs)
            except Exception as error:  # noqa: BLE001 — a caller must never hear "an application error"
                _log_failure(error)
                return twiml(failure_twiml(kind))

        guarded.fallback_kind = kind
        return guarded

    return decorate(view) if view is not None else decorate


def _log_failure(error: BaseException) -> None:
    # The exception's message may quote request values (a number); log only its type and where it happened.
    frames = traceback.extract_tb(error.__traceback__)
    where = f"{frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" if frames else "?"
    current_app.logger.error("webhook %s failed: %s at %s", request.path, type(error).__name__, where)
    if current_app.config.get("PROPAGATE_WEBHOOK_ERRORS"):
        raise error.with_traceback(sys.exc_info()[2])


def _cached_line_fallback() -> tuple[str | None, str]:
    """The line's emergency fallback from the last good snapshot, without touching the database."""
    snapshot = directory.peek()
    line = snapshot.line_for(normalised(field("To"))) if snapshot else None
    number = line.emergency_fallback if line and line.emergency_fallback else None
    return number or current_app.config.get("EMERGENCY_FALLBACK"), line.language if line else "fr"


E164 = re.compile(r"\+[1-9][0-9]{6,14}")


def _e164(value: str) -> str | None:
    number = e164(value)
    return number if number is not None and E164.fullmatch(number) else None


def fallback_caller_id() -> str | None:
    """The number the emergency fallback sees: the line's (the number dialled), never the caller's own.

    From the last snapshot, without touching the database: the dialled number when it is one of a line's numbers;
    failing that (no snapshot yet, an unknown number) the dialled number when it is E.164; else none at all.
    """
    to = normalised(field("To"))
    snapshot = directory.peek()
    line = snapshot.line_for(to) if snapshot else None
    chosen = to if line is not None else _e164(field("To").strip())  # a line's number, or what Twilio says was dialled
    from_ = _e164(field("From").strip()) or field("From").strip()
    return chosen if chosen and chosen != from_ else None


def technical_problem(fallback: tuple[str | None, str], caller_id: str | None = None) -> VoiceResponse:
    number, language = fallback
    response = VoiceResponse()
    say = {"language": "en-GB" if language == "en" else "fr-FR"}
    response.say(prompts.render("technical_problem", language), **say)
    if number:
        response.say(prompts.render("technical_fallback", language), **say)
        response.dial(number, timeout=30, caller_id=caller_id)
    else:
        response.say(prompts.render("technical_no_fallback", language), **say)
    response.hangup()
    return response
