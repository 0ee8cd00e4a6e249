"""Callback requests on the phone: consent, the number, a safe window; then calling back, listener first."""

from __future__ import annotations

from flask import Blueprint, current_app, request
from twilio.twiml.voice_response import Gather, VoiceResponse

from ivr import prompts
from ivr.chain_steps import end_politely
from ivr.conversation import route
from ivr.security import twilio_only
from ivr.spoken import spoken_digits
from ivr.turn import Turn
from ivr.twiml import field, never_fail
from ivr.webhooks import take_turn
from phones.numbers import is_withheld, national
from routing.callbacks import check_callback_number
from store import calls
from store.callbacks import expire_stale, pools_with_due_callbacks, save_request
from store.crypto import decrypt_number, encrypt_number
from store.extension import database, directory

callback = Blueprint("callback", __name__, url_prefix="/voice/callback")
TYPED_NUMBER_MAX_AGE = 600  # seconds a typed number may travel in the URL, encrypted, before consent ends


# --- the caller's side ------------------------------------------------------------------------------------------


def offer_callback(turn: Turn) -> VoiceResponse:
    """Ask for consent; state.rule already points at the rule after the callback one."""
    turn.record("callback_offer", "callback offered")
    return turn.ask("callback_offer", "callback.consent")


def _extra(name: str) -> str:
    return (request.args.get(name) or "")[:600]


def _tries() -> int:
    value = _extra("tries")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 3 else 0


def _refuse(turn: Turn) -> VoiceResponse:
    """The 3977 promise: no number kept, and the caller is told plainly what that means."""
    turn.call.caller_hash = None  # not even the keyed HMAC of the number stays behind
    from schedules import status_at

    status = status_at(turn.line.schedule, turn.now)
    turn.say_prompt("callback_refused", reopens=status.reopens_at)
    turn.record("callback_refused", "caller refused to leave a number; nothing kept")
    return route(turn)


@callback.route("/consent", methods=("GET", "POST"))
@twilio_only
@never_fail
@take_turn
def consent(turn: Turn):
    digits = field("Digits")[:4]
    if turn.line.quick_exit_key and turn.line.quick_exit_key in digits:
        from ivr.conversation import quick_exit

        return quick_exit(turn)
    if digits == "1":
        caller = field("From")
        if not is_withheld(caller):
            check = check_callback_number(caller, turn.line.country, turn.line.callback.international, turn.line.numbers)
            if check.number:
                return _confirm_caller_id(turn, check.number)
        return _ask_number(turn, 0)
    if digits == "2":
        return _refuse(turn)
    if _tries() >= 1:  # asked twice without an answer: no consent, nothing kept
        return _refuse(turn)
    turn.say_prompt("menu_no_input" if not digits else "menu_invalid")
    return turn.ask("callback_offer", "callback.consent", {"tries": _tries() + 1})


def _confirm_caller_id(turn: Turn, number: str) -> VoiceResponse:
    return turn.carries_callers_number().ask("callback_confirm_caller_id", "callback.caller_id",
                                             digits=spoken_digits(national(number)))


@callback.route("/caller-id", methods=("GET", "POST"))
@twilio_only
@never_fail
@take_turn
def caller_id(turn: Turn):
    digits = field("Digits")[:4]
    if digits == "1":
        check = check_callback_number(field("From"), turn.line.country, turn.line.callback.international,
                                      turn.line.numbers)
        if check.number:
            return _ask_window(turn, encrypt_number(current_app.config, check.number))
    return _ask_number(turn, 0)


def _ask_number(turn: Turn, tries: int, problem: str | None = None) -> VoiceResponse:
    if problem:
        turn.say_prompt(f"callback_number_{problem}")
    if tries >= turn.line.callback.max_tries:
        turn.say_prompt("callback_gave_up")
        turn.record("callback_failed", "no valid number after several tries")
        return end_politely(turn)
    gather = Gather(finish_on_key="#", timeout=12, action=turn.url("callback.typed", tries=tries),
                    action_on_empty_result=True)
    turn.say_prompt("callback_type_number", gather)
    turn.response.append(gather)
    return turn.response


@callback.route("/typed", methods=("GET", "POST"))
@twilio_only
@never_fail
@take_turn
def typed(turn: Turn):
    digits = field("Digits")[:24]
    if turn.line.quick_exit_key and turn.line.quick_exit_key in digits:
        from ivr.conversation import quick_exit

        return quick_exit(turn)
    check = check_callback_number(digits, turn.line.country, turn.line.callback.international, turn.line.numbers)
    if check.number is None:
        turn.record("callback_number", f"typed number refused: {check.problem}")
        return _ask_number(turn, _tries() + 1, check.problem or "invalid")
    token = encrypt_number(current_app.config, check.number)  # travels only encrypted, for a few minutes
    return turn.carries_callers_number().ask("callback_readback", "callback.readback", {"n": token, "tries": _tries()},
                                             digits=spoken_digits(national(check.number)))


@callback.route("/readback", methods=("GET", "POST"))
@twilio_only
@never_fail
@take_turn
def readback(turn: Turn):
    number = decrypt_number(current_app.config, _extra("n"), max_age=TYPED_NUMBER_MAX_AGE)
    if field("Digits")[:1] == "1" and number:
        return _ask_window(turn, _extra("n"))
    return _ask_number(turn, _tries() + 1)


def _windows(turn: Turn) -> list[dict]:
    return [{"name": w, "key": i + 1, "words": prompts.render(f"callback_window_{w}", turn.language)}
            for i, w in enumerate(turn.line.callback.windows)]


def _ask_window(turn: Turn, token: str) -> VoiceResponse:
    windows = _windows(turn)
    if len(windows) == 1:
        return _ask_message(turn, token, windows[0]["name"])
    return turn.carries_callers_number().ask("callback_window", "callback.window", {"n": token}, windows=windows)


@callback.route("/window", methods=("GET", "POST"))
@twilio_only
@never_fail
@take_turn
def window(turn: Turn):
    windows = {str(w["key"]): w["name"] for w in _windows(turn)}
    chosen = windows.get(field("Digits")[:1], turn.line.callback.windows[0])  # no answer: the first one
    return _ask_message(turn, _extra("n"), chosen)


def _ask_message(turn: Turn, token: str, window_name: str) -> VoiceResponse:
    return turn.carries_callers_number().ask("callback_message", "callback.message", {"n": token, "w": window_name})


@callback.route("/message", methods=("GET", "POST"))
@twilio_only
@never_fail
@take_turn
def message(turn: Turn):
    number = decrypt_number(current_app.config, _extra("n"), max_age=TYPED_NUMBER_MAX_AGE)
    window_name = _extra("w") if _extra("w") in turn.line.callback.windows else turn.line.callback.windows[0]
    if number is None:
        return _ask_number(turn, _tries() + 1)
    saved, merged = save_request(
        turn.session, current_app.config, line_id=turn.call.line_id, call_id=turn.call.id, pool=turn.line.pool,
        number=number, window=window_name, message_allowed=field("Digits")[:1] == "1", language=turn.language,
        caller_type=turn.state.caller_type, department=turn.state.department, now=turn.now,
        priority=turn.line.callback.priority,
    )
    if turn.line.after_hours_email and turn.line.email.on_callback_request and not merged:
        calls.queue_email(turn.session, turn.call, turn.now, "callback_request", callback_id=saved.id)
    turn.session.flush()  # saved before the caller is told (the commit comes before the answer is sent)
    turn.record("callback_saved", f"callback request {saved.id} {'merged' if merged else 'saved'}, window {window_name}")
    turn.finish("callback_requested")
    turn.say_prompt("callback_saved", merged=merged,
                    window_words=prompts.render(f"callback_window_{window_name}", turn.language))
    turn.response.hangup()
    return turn.response


def dispatch_due_callbacks(app) -> list[str]:
    """The scheduler's job: expire stale requests, then dispatch every pool that has a callback due (windows
    are checked in the claim)."""
    with app.app_context():
        now = app.config["CLOCK"]()
        with database.session() as session:
            expire_stale(session, now, directory.get(session, now))  # never a request waiting forever
            session.commit()
            pools = pools_with_due_callbacks(session, now)
    for pool in pools:
        app.extensions["dispatcher"].dispatch(pool)
    return pools
