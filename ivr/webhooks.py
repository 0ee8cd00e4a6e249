"""Twilio voice webhooks: every request is signed, every answer is valid TwiML — even when things break."""

from __future__ import annotations

from contextlib import ExitStack
from functools import wraps

from flask import Blueprint, Response, current_app, request
from sqlalchemy import select
from twilio.twiml.voice_response import VoiceResponse

from ivr import conversation, coordinator, prompts, screening
from ivr.answer_first import answer_then_record
from ivr.security import twilio_only
from ivr.state import CallState
from ivr.turn import Turn
from ivr.twiml import (CALLER, SILENT, failure_twiml, fallback_caller_id, field, line_number, never_fail, public,
                       state_url, technical_problem, twiml)
from phones.numbers import caller_hash, is_withheld, normalised
from store import call_status, calls, conference
from store.extension import database, directory
from store.listeners import keep_read_ahead, legs_over, read_ahead

voice = Blueprint("voice", __name__, url_prefix="/voice")


def take_turn(handler):
    """Load the call's line and record, run ``handler(turn)``, commit, answer TwiML (see _play_turn)."""

    @wraps(handler)
    def view():
        first_webhook = request.endpoint == "voice.incoming"
        try:
            return _play_turn(handler, first_webhook)
        except calls.CallAlreadyRecorded:
            # The CallSid is recorded already (Twilio retried the first webhook, found by the first read) or was
            # meanwhile (both tries under way at once): this try wrote nothing, and plays its turn again on the call
            # as recorded (or apologises if the CallSid is another line's). A try with nothing but its record to
            # write learns it only after answering: its record then joins the call (ivr/answer_first.py).
            return _play_turn(handler, first_webhook=False)

    return view


def _play_turn(handler, first_webhook: bool) -> Response:
    """One try at the turn: the line and the call's record, ``handler(turn)``, commit, TwiML. A turn with nothing to
    write but its call's record (a first webhook that began no transaction, PostgreSQL) answers first and writes it
    when the answer has been sent (ivr/answer_first.py); every other turn commits before it answers."""
    now = current_app.config["CLOCK"]()
    sid = field("CallSid") or "unknown"
    # Without HELPLINE_PUBLIC_URL, the URL Twilio signed is the one to give it for listeners' legs.
    if "learned_public_url" not in current_app.extensions:  # request.url_root is built anew on each read
        current_app.extensions["learned_public_url"] = request.url_root
    with ExitStack() as still_open:  # the session: closed on leaving, unless its closing is handed to the answer
        session = still_open.enter_context(database.first_turn_session() if first_webhook else database.session())
        snapshot = directory.get(session, now)
        to = line_number(field("To"))
        line = snapshot.line_for(to)
        state = CallState.from_args(request.args)
        if line is None:
            service = coordinator.service_call(session, to)  # the coordinators' number: not a helpline call
            if service is not None:
                return service
            call = calls.open_call(session, sid, now, None, None, True, state.language, first_webhook)
            if call.line_id is not None:
                return _not_this_lines_call(session)
            calls.record(session, call, now, "unknown_number", "no line has this number")
            call.outcome = "unknown_number"
            calls.commit_turn(session)
            return twiml(unknown_number())
        raw_from = field("From")
        withheld = is_withheld(raw_from)
        ahead = read_ahead(line, now) if first_webhook else None
        opened = calls.open_call_screened(
            session, sid, now, snapshot.line_ids.get(line.slug),
            caller_hash(raw_from, current_app.config["NUMBER_PEPPER"]), withheld, state.language,
            first_webhook=first_webhook,
            throttle_since=line.throttle.window_start(now) if line.throttle else None,
            also=ahead,
        )
        keep_read_ahead(session, ahead, opened.also)
        call = opened.call
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
            to_screen=opened.to_screen,
        )
        response = handler(turn)
        if not turn.after_commit and calls.only_a_record(session):
            answer = twiml(response, keep=not turn.private)
            return answer_then_record(answer, session, still_open)
        calls.commit_turn(session)
    for task in turn.after_commit:
        task()
    return twiml(response, keep=not turn.private)


def _not_this_lines_call(session, line=None) -> Response:
    """A CallSid already recorded for another line (or for no line): Twilio gives each call its own, so this
    request is not that call's. Nothing is written to the other call's record; the caller still hears the
    apology and this line's emergency number."""
    calls.discard_turn(session)
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
QUEUE_RESULTS = ("bridged", "leave", "hangup", "queue-full", "error", "redirected", "redirected-from-waitUrl",
                 "system-error")


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
    return conversation.queue_finished(turn, known(field("QueueResult"), QUEUE_RESULTS, "error"), field("QueueSid"),
                                       field("QueueTime"))


@voice.route("/whisper", methods=("GET", "POST"))
@twilio_only
@never_fail(SILENT)
def whisper():
    """What the receiving centre or line hears before the caller is bridged."""
    now = current_app.config["CLOCK"]()
    with database.session() as session:
        snapshot = directory.get(session, now)
    line = _line_from_args(snapshot) or snapshot.line_for(normalised(field("From")))
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
    seconds = int(duration) if duration.isascii() and duration.isdigit() and len(duration) < 7 else None
    with database.session() as session:
        snapshot = directory.get(session, now)
        line = snapshot.line_for(line_number(field("To")))  # the line this status says the call is on
        line_id = snapshot.line_ids.get(line.slug) if line else None
        ended = field("CallStatus") in calls.CALL_ENDED
        # An incoming call's end that comes before its record writes the call (store/call_status.py).
        caller = _caller_seen() if ended and line_id is not None and field("Direction") == "inbound" else None
        call_status.finish_call(session, field("CallSid"), now, field("CallStatus"), seconds, line_id, caller)
        cancelled = _out_of_the_queue(session, field("CallSid"), now) if ended else []
        unbridged = conference.caller_hung_up(session, field("CallSid"), now) if ended else []
        # A listener's own call to the presence line: once it is over, they may be dialled.
        pools = legs_over(session, field("CallSid")) if ended and field("CallSid") else []
        session.commit()
    if cancelled:
        current_app.extensions["dispatcher"].hang_up([offer.call_sid for offer in cancelled])
    for listener_sid, offer_id in unbridged:  # waiting in a conference for a caller who hung up: tell them
        current_app.extensions["dispatcher"].redirect(listener_sid, public(f"/voice/listener/over?offer={offer_id}"))
    for pool in dict.fromkeys(pools):
        current_app.extensions["dispatcher"].trigger(pool)
    return twiml(VoiceResponse())


def _caller_seen() -> call_status.CallerSeen:
    """An incoming call's caller as its status callback tells of them, kept as the first webhook keeps them (the
    keyed hash, whether withheld): written if the callback comes before the call's record (store/call_status.py)."""
    raw_from = field("From")
    return call_status.CallerSeen(caller_hash(raw_from, current_app.config["NUMBER_PEPPER"]), is_withheld(raw_from))


def _out_of_the_queue(session, call_sid: str, now) -> list:
    """The call is over while the engine still counts the caller in a queue: they hung up during the words
    before <Enqueue> (Twilio never queued them, so no queue webhook will come), or that webhook was lost. Out
    of the queue now, so no listener's phone rings for them; returns the offers whose phone must stop."""
    from routing.queueing import PoolSettings
    from store.bridging import accepted_offer
    from store.dispatch import WAITING, caller_left
    from store.models import QueuedCaller

    caller = session.scalar(select(QueuedCaller).where(QueuedCaller.call_sid == call_sid,
                                                      QueuedCaller.status.in_(WAITING)))
    if caller is None:
        return []
    taken = conference.live_conversation_for_caller(session, call_sid)
    if accepted_offer(session, caller) is not None and (taken is None or taken.status != "connecting"):
        return []  # a listener took them (pressed 1): only the listener's Dial can tell whether they talked
    pool = caller.pool
    line = directory.get(session, now).line_for_pool(pool)
    return caller_left(session, call_sid, "hangup", now, line.queue if line else PoolSettings())[1]


@voice.route("/fallback", methods=("GET", "POST"))
@twilio_only
def fallback():
    """Twilio's fallback URL, asked when the voice URL failed: never touches the database. The caller is put
    through to the line's emergency number from this worker's last directory snapshot (every worker reads one
    before its first call), else to HELPLINE_EMERGENCY_FALLBACK."""
    return twiml(failure_twiml(CALLER))
