"""The presence line: listeners call it from their own phone, enter their PIN and go available, pause or log off."""

from __future__ import annotations

from flask import Blueprint, current_app, request, url_for
from itsdangerous import BadData, TimestampSigner, URLSafeTimedSerializer
from twilio.twiml.voice_response import VoiceResponse

from ivr import prompts
from ivr.dispatcher import choose_and_dispatch
from ivr.security import twilio_only
from ivr.twiml import field, never_fail, twiml
from phones.numbers import is_withheld
from routing.queueing import ListenerStatus
from store.extension import database
from store.listeners import check_pin, find_by_phone, leg_answered
from store.models import Listener

presence = Blueprint("presence", __name__, url_prefix="/voice/presence")

PIN_TRIES = 3
MENU_TRIES = 3
PIN_TIMEOUT = 10
TOKEN_SALT = "helpline.presence.pin-entered"
TOKEN_MAX_AGE = 300  # seconds: long enough to hear the menu a few times, too short to be replayed later
CHOICES = {"1": ListenerStatus.AVAILABLE, "2": ListenerStatus.PAUSED, "3": ListenerStatus.OFFLINE}
SAY = {"fr": "fr-FR", "en": "en-GB"}


class ClockedSigner(TimestampSigner):
    """Token ages are measured on the app's clock, like every other time in the engine (and in tests)."""

    def get_timestamp(self) -> int:
        return int(current_app.config["CLOCK"]().timestamp())


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["TWILIO_AUTH_TOKEN"], salt=TOKEN_SALT, signer=ClockedSigner)


def pin_token(listener_id: int, call_sid: str) -> str:
    """Proof that this call entered this listener's PIN, so the menu step cannot be reached without it."""
    return _serializer().dumps({"l": listener_id, "c": call_sid})


def pin_was_entered(token: str, listener_id: int, call_sid: str) -> bool:
    try:
        data = _serializer().loads(token, max_age=TOKEN_MAX_AGE)
    except BadData:
        return False
    return isinstance(data, dict) and data.get("l") == listener_id and data.get("c") == call_sid and bool(call_sid)


def _url(endpoint: str, **query) -> str:
    base = current_app.config.get("PUBLIC_URL")
    return f"{base.rstrip('/') if base else ''}{url_for(f'presence.{endpoint}', **query)}"


def _count(name: str) -> int:
    value = request.args.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 3 else 0


def language_of(listener: Listener) -> str:
    return "en" if listener.languages and listener.languages[0] == "en" else "fr"


def status_word(status: str, language: str) -> str:
    key = f"presence_word_{status}"
    return prompts.render(key if prompts.has_prompt(key) else "presence_word_offline", language)


class Speaker:
    """One TwiML answer spoken in the listener's language."""

    def __init__(self, language: str):
        self.language = language
        self.response = VoiceResponse()

    def say(self, target, key: str, /, **context) -> None:
        target.say(prompts.render(key, self.language, **context), language=SAY[self.language])

    def end(self, *keys: str, **context):
        for key in keys:
            self.say(self.response, key, **context)
        self.response.hangup()
        return twiml(self.response)


def _caller(session) -> Listener | None:
    number = field("From")
    return None if is_withheld(number) else find_by_phone(session, number)


def _refused():
    # Whoever calls from an unknown number hears nothing about whose number it might be.
    return Speaker("fr").end("presence_unknown")


def _ask_pin(speaker: Speaker, tries: int, *before: str, **context):
    gather = speaker.response.gather(input="dtmf", finish_on_key="#", timeout=PIN_TIMEOUT,
                                     action=_url("pin", tries=tries), method="POST")
    for key in before:
        speaker.say(gather, key, **context)
    # Silence comes back as an empty PIN, which counts as a try: the call cannot loop forever.
    speaker.response.redirect(_url("pin", tries=tries), method="POST")
    return twiml(speaker.response)


def _menu(speaker: Speaker, listener: Listener, token: str, misses: int, *before: str, with_status: bool = True):
    gather = speaker.response.gather(input="dtmf", num_digits=1, timeout=PIN_TIMEOUT,
                                     action=_url("choice", t=token, n=misses), method="POST")
    for key in before:
        speaker.say(gather, key)
    if with_status:
        speaker.say(gather, "presence_status", status=status_word(listener.status, speaker.language))
    speaker.say(gather, "presence_menu")
    speaker.response.redirect(_url("choice", t=token, n=misses), method="POST")
    return twiml(speaker.response)


@presence.route("/incoming", methods=("GET", "POST"))
@twilio_only
@never_fail("listener")
def incoming():
    """The presence number's Voice URL: the caller ID says who is calling, the PIN proves it."""
    with database.session() as session:
        listener = _caller(session)
    if listener is None:
        return _refused()
    return _ask_pin(Speaker(language_of(listener)), 0, "presence_welcome", name=(listener.name.split() or [""])[0])


@presence.route("/pin", methods=("GET", "POST"))
@twilio_only
@never_fail("listener")
def pin():
    now = current_app.config["CLOCK"]()
    with database.session() as session:
        listener = _caller(session)
        if listener is None:
            return _refused()
        verdict = check_pin(session, listener, field("Digits")[:20], now)
        session.commit()
    speaker = Speaker(language_of(listener))
    if verdict == "ok":
        return _menu(speaker, listener, pin_token(listener.id, field("CallSid")), 0)
    if verdict == "locked":
        current_app.logger.warning("presence: PIN locked for listener %s", listener.id)
        return speaker.end("presence_locked")
    current_app.logger.warning("presence: wrong PIN for listener %s", listener.id)
    tries = _count("tries") + 1
    if tries >= PIN_TRIES:
        return speaker.end("presence_locked")
    return _ask_pin(speaker, tries, "presence_wrong_pin", "presence_enter_pin")


@presence.route("/choice", methods=("GET", "POST"))
@twilio_only
@never_fail("listener")
def choice():
    now = current_app.config["CLOCK"]()
    token = (request.args.get("t") or "")[:400]
    with database.session() as session:
        listener = _caller(session)
        if listener is None:
            return _refused()
        speaker = Speaker(language_of(listener))
        if not pin_was_entered(token, listener.id, field("CallSid")):
            current_app.logger.warning("presence: choice refused without a valid PIN token for listener %s",
                                       listener.id)
            return speaker.end("presence_goodbye")
        digits = field("Digits")[:20]
        if digits == "9":
            return _menu(speaker, listener, token, _count("n"))
        wanted = CHOICES.get(digits)
        if wanted is None:
            misses = _count("n") + 1
            if misses >= MENU_TRIES:
                return speaker.end("presence_goodbye")
            return _menu(speaker, listener, token, misses, "menu_invalid" if digits else "menu_no_input",
                         with_status=False)
        # This call of theirs goes on for a goodbye: nobody dials them until it is over (its status callback).
        leg_answered(listener, field("CallSid"), field("CallStatus"), now)
        session.flush()  # choose_and_dispatch re-reads the listener under a lock
        outcome = choose_and_dispatch(session, listener, wanted, now, how="phone")
    if outcome == "busy":
        return speaker.end("presence_busy", "presence_goodbye")
    return speaker.end("presence_done", status=status_word(outcome, speaker.language))
