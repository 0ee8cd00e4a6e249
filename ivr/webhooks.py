"""Twilio voice webhooks: every request is signed, every answer is valid TwiML — even when things break."""

from __future__ import annotations

import re
import sys
import traceback
from functools import lru_cache, wraps
from urllib.parse import urlencode

import phonenumbers
from flask import Blueprint, Response, current_app, request, url_for
from sqlalchemy import select
from twilio.twiml.voice_response import VoiceResponse

from ivr import conversation, prompts, screening
from ivr.conversation import Turn
from ivr.security import caller_hash, is_withheld, twilio_only
from ivr.state import CallState
from store import calls
from store.extension import database, directory

voice = Blueprint("voice", __name__, url_prefix="/voice")
MAX_FIELD = 200


def twiml(response: VoiceResponse) -> Response:
    return Response(str(response), mimetype="text/xml")


def field(name: str) -> str:
    """A form field, bounded: Twilio never sends huge values, garbage may."""
    value = request.values.get(name, "")
    return value[:MAX_FIELD] if isinstance(value, str) else ""


def row_id(raw: str | None) -> int | None:
    """A database id read from a URL: ASCII digits that fit PostgreSQL's integer, else None (not an exception)."""
    raw = (raw or "")[:12]
    return int(raw) if raw.isascii() and raw.isdigit() and int(raw) < 2**31 else None


SAY = {"fr": "fr-FR", "en": "en-GB"}


def public(path: str) -> str:
    """An absolute URL under HELPLINE_PUBLIC_URL when set (Twilio resolves a bare path against the request)."""
    base = current_app.config.get("PUBLIC_URL")
    return f"{base.rstrip('/') if base else ''}{path}"


def say(target, text: str, language: str, line=None) -> None:
    """<Say> in the language's voice, the line's own voice when it has one."""
    kwargs = {"language": SAY.get(language, "fr-FR")}
    if line is not None and line.voice(language):
        kwargs["voice"] = line.voice(language)
    target.say(text, **kwargs)


def normalise_number(value: str) -> str:
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return value.strip()
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


# On a caller's leg `To` is one of the lines' own numbers: parsed once per worker, not on every turn. (Only
# there: elsewhere `To` may be a caller's or a listener's number, which no cache of ours should hold.)
line_number = lru_cache(maxsize=64)(normalise_number)


def state_url(endpoint: str, state: CallState, **params) -> str:
    path = url_for(endpoint if "." in endpoint else f"voice.{endpoint}")
    query = state.query()
    if params:
        query += "&" + urlencode({k: v for k, v in params.items() if v is not None})
    base = current_app.config.get("PUBLIC_URL")
    return f"{base.rstrip('/') if base else ''}{path}?{query}"


# What a webhook answers when it fails depends on whose leg it runs on and in what TwiML context.
CALLER = "caller"  # a caller's leg: an apology, then the line's emergency fallback (or "call back")
LEAVE = "leave"  # a queue's waitUrl document (Dial not allowed there): <Leave/>, the Enqueue action takes over
SILENT = "silent"  # a whisper, a bridging hook, a status callback: an empty <Response/>, the bridge goes ahead
LISTENER = "listener"  # a listener's own phone: a short apology and <Hangup/>, never the emergency number
FALLBACK_KINDS = (CALLER, LEAVE, SILENT, LISTENER)

# The same choice by path, for the error handlers (404, 405, uncaught errors) that have no view to ask.
# A path matches an entry when it is the entry or lies under it ("/voice/listener" covers "/voice/listener/offer").
FALLBACK_BY_PATH = (
    ("/voice/queue/wait", LEAVE),
    ("/voice/queue/key", LEAVE),
    ("/voice/queue/bridging", SILENT),
    ("/voice/whisper", SILENT),
    ("/voice/status", SILENT),
    ("/voice/callback/answered", SILENT),
    ("/voice/callback/listener-status", SILENT),
    ("/voice/listener/status", SILENT),
    ("/voice/listener", LISTENER),
    ("/voice/callback/listener", LISTENER),
    ("/voice/callback/accept", LISTENER),
    ("/voice/callback/dialled", LISTENER),
    ("/voice/callback/outcome", LISTENER),
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
    line = snapshot.line_for(normalise_number(field("To"))) if snapshot else None
    number = line.emergency_fallback if line and line.emergency_fallback else None
    return number or current_app.config.get("EMERGENCY_FALLBACK"), line.language if line else "fr"


E164 = re.compile(r"\+[1-9][0-9]{6,14}")


def _e164(value: str) -> str | None:
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return None
    number = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return number if E164.fullmatch(number) and phonenumbers.is_possible_number(parsed) else None


def fallback_caller_id() -> str | None:
    """The number the emergency fallback sees: the line's (the number dialled), never the caller's own.

    From the last snapshot, without touching the database: the dialled number when it is one of a line's numbers;
    failing that (no snapshot yet, an unknown number) the dialled number when it is E.164; else none at all.
    """
    to = normalise_number(field("To"))
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


def take_turn(handler):
    """Load the call's line and record, run ``handler(turn)``, commit, answer TwiML."""

    @wraps(handler)
    def view():
        now = current_app.config["CLOCK"]()
        sid = field("CallSid") or "unknown"
        # Without HELPLINE_PUBLIC_URL, the URL Twilio signed is the one to give it for listeners' legs.
        current_app.extensions.setdefault("learned_public_url", request.url_root)
        with database.session() as session:
            snapshot = directory.get(session, now)
            to = line_number(field("To"))
            line = snapshot.line_for(to)
            state = CallState.from_args(request.args)
            if line is None:
                service = coordinator.service_call(session, to)  # the coordinators' number: not a helpline call
                if service is not None:
                    return service
                call = calls.open_call(session, sid, now, None, None, True, state.language, first_webhook=True)
                if call.line_id is not None:
                    return _not_this_lines_call(session)
                calls.record(session, call, now, "unknown_number", "no line has this number")
                call.outcome = "unknown_number"
                session.commit()
                return twiml(unknown_number())
            raw_from = field("From")
            withheld = is_withheld(raw_from)
            call = calls.open_call(
                session, sid, now, snapshot.line_ids.get(line.slug),
                caller_hash(raw_from, current_app.config["NUMBER_PEPPER"]), withheld, state.language,
                first_webhook=request.endpoint == "voice.incoming",
            )
            if call.line_id != snapshot.line_ids.get(line.slug):
                return _not_this_lines_call(session, line)
            if state.language not in line.languages:
                state = state.but(language=line.language)
            turn = Turn(
                line=line,
                state=state,
                now=now,
                snapshot=snapshot,
                live=current_app.config["LIVE_STATE"](session, line, now),
                session=session,
                call=call,
                url_for=state_url,
                caller_withheld=withheld,
            )
            response = handler(turn)
            session.commit()
        for task in turn.after_commit:
            task()
        return twiml(response)

    return view


def _not_this_lines_call(session, line=None) -> Response:
    """A CallSid already recorded for another line (or for no line): Twilio gives each call its own, so this
    request is not that call's. Nothing is written to the other call's record; the caller still hears the
    apology and this line's emergency number."""
    session.rollback()
    current_app.logger.warning("webhook %s: the CallSid belongs to another line's call; nothing recorded",
                               request.path)
    fallback = (line.emergency_fallback or current_app.config.get("EMERGENCY_FALLBACK"), line.language) if line \
        else (current_app.config.get("EMERGENCY_FALLBACK"), "fr")
    return twiml(technical_problem(fallback, caller_id=fallback_caller_id()))


def unknown_number() -> VoiceResponse:
    response = VoiceResponse()
    response.say(prompts.render("unknown_number", "fr"), language="fr-FR")
    response.say(prompts.render("unknown_number", "en"), language="en-GB")
    response.hangup()
    return response


@voice.route("/incoming", methods=("GET", "POST"))
@twilio_only
@never_fail
@take_turn
def incoming(turn: Turn):
    if request.args.get("l") is None:
        turn.state = turn.state.but(language=turn.line.language)
    turn.record("incoming", f"line {turn.line.slug}{', number withheld' if turn.caller_withheld else ''}")
    return screening.screen_incoming(turn) or conversation.welcome(turn)


@voice.route("/menu", methods=("GET", "POST"))
@twilio_only
@never_fail
@take_turn
def menu(turn: Turn):
    return conversation.answer_menu(turn, field("Digits")[:20], no_input=request.args.get("no_input") == "1")


@voice.route("/department", methods=("GET", "POST"))
@twilio_only
@never_fail
@take_turn
def department(turn: Turn):
    return conversation.answer_department(turn, field("Digits")[:20])


@voice.route("/route", methods=("GET", "POST"))
@twilio_only
@never_fail
@take_turn
def route(turn: Turn):
    return conversation.route(turn)


# What Twilio may send; anything else is recorded as "unknown" rather than copied into the call's history.
DIAL_STATUSES = ("completed", "answered", "busy", "no-answer", "failed", "canceled")
QUEUE_RESULTS = ("bridged", "leave", "hangup", "queue-full", "error", "redirected", "system-error")


def known(value: str, allowed: tuple[str, ...], otherwise: str) -> str:
    return value if value in allowed else otherwise


@voice.route("/dial-result", methods=("GET", "POST"))
@twilio_only
@never_fail
@take_turn
def dial_result(turn: Turn):
    return conversation.dial_finished(turn, known(field("DialCallStatus"), DIAL_STATUSES, "unknown"))


@voice.route("/queue-result", methods=("GET", "POST"))
@twilio_only
@never_fail
@take_turn
def queue_result(turn: Turn):
    return conversation.queue_finished(turn, known(field("QueueResult"), QUEUE_RESULTS, "error"), field("QueueSid"))


@voice.route("/whisper", methods=("GET", "POST"))
@twilio_only
@never_fail(SILENT)
def whisper():
    """What the receiving centre or line hears before the caller is bridged."""
    now = current_app.config["CLOCK"]()
    with database.session() as session:
        snapshot = directory.get(session, now)
    line = _line_from_args(snapshot) or snapshot.line_for(normalise_number(field("From")))
    response = VoiceResponse()
    if line is None:
        response.say(prompts.render("whisper_forward", "fr", line_name="une ligne d'écoute"), language="fr-FR")
        return twiml(response)
    kind = request.args.get("kind")
    code = (request.args.get("department") or "")[:4]
    from directory_data.reference import load_departments

    department = load_departments().get(code)
    if kind == "handoff":
        text = prompts.render("whisper_handoff", line.language, line.country, line_name=line.name,
                              department=code, department_name=department.name if department else "")
    else:
        text = prompts.render("whisper_forward", line.language, line.country, line_name=line.name)
    response.say(text, language="fr-BE" if line.country == "BE" else "fr-FR")
    return twiml(response)


def _line_from_args(snapshot):
    return snapshot.lines_by_slug.get((request.args.get("line") or "")[:64])


@voice.route("/status", methods=("GET", "POST"))
@twilio_only
@never_fail(SILENT)
def status():
    now = current_app.config["CLOCK"]()
    duration = field("CallDuration")
    with database.session() as session:
        snapshot = directory.get(session, now)
        line = snapshot.line_for(line_number(field("To")))  # the line this status says the call is on
        line_id = snapshot.line_ids.get(line.slug) if line else None
        calls.finish_call(session, field("CallSid"), now, field("CallStatus"),
                          int(duration) if duration.isascii() and duration.isdigit() and len(duration) < 7 else None,
                          line_id=line_id)
        cancelled = _out_of_the_queue(session, field("CallSid"), now) if field("CallStatus") in calls.CALL_ENDED else []
        session.commit()
    if cancelled:
        current_app.extensions["dispatcher"].hang_up([offer.call_sid for offer in cancelled])
    return twiml(VoiceResponse())


def _out_of_the_queue(session, call_sid: str, now) -> list:
    """The call is over while the engine still counts the caller in a queue: they hung up during the words
    before <Enqueue> (Twilio never queued them, so no queue webhook will come), or that webhook was lost. Out
    of the queue now, so no listener's phone rings for them; returns the offers whose phone must stop."""
    from routing.queueing import PoolSettings
    from store.dispatch import WAITING, caller_left
    from store.models import QueuedCaller

    pool = session.scalar(select(QueuedCaller.pool).where(QueuedCaller.call_sid == call_sid,
                                                         QueuedCaller.status.in_(WAITING)))
    if pool is None:
        return []
    line = directory.get(session, now).line_for_pool(pool)
    return caller_left(session, call_sid, "hangup", now, line.queue if line else PoolSettings())[1]


@voice.route("/fallback", methods=("GET", "POST"))
@twilio_only
def fallback():
    """Twilio's fallback URL, asked when the voice URL failed: never touches the database. The caller is put
    through to the line's emergency number from this worker's last directory snapshot (every worker reads one
    before its first call), else to HELPLINE_EMERGENCY_FALLBACK."""
    return twiml(failure_twiml(CALLER))


# Their routes join this blueprint: the coordinators' service number and orientation to local associations.
from ivr import coordinator, orientation  # noqa: E402,F401
