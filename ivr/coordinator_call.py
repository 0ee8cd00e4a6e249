"""Who is on the coordinators' service number, and how they are answered: a Speaker in their account's language,
the signed token that carries their proven PIN from one step to the next, the service's step URLs, the words the
audit log keeps, and the time of day they type (ivr/coordinator.py holds the steps themselves).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, request, url_for
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from ivr import prompts
from ivr.presence import ClockedSigner
from ivr.twiml import field, twiml
from phones.numbers import caller_hash, is_withheld
from store.coordinator_phone import PHONE_ROLES
from store.models import ConsoleAccount
from words.catalogue import known_language
from words.status import status_words

TOKEN_SALT = "helpline.coordinator.pin-entered"
TOKEN_MAX_AGE = 900  # seconds: one call's worth of decisions, too short to be replayed later
SAY = {"fr": "fr-FR", "en": "en-GB"}


class Speaker:
    """One TwiML answer spoken in the coordinator's language."""

    def __init__(self, language: str):
        self.language = language if language in SAY else "fr"
        self.response = VoiceResponse()

    def say(self, target, key: str, /, **context) -> None:
        target.say(prompts.render(key, self.language, **context), language=SAY[self.language])

    def end(self, *keys: str):
        for key in keys:
            self.say(self.response, key)
        self.response.hangup()
        return twiml(self.response)


def audit_words(account: ConsoleAccount):
    """The schedule's state in the words the console writes (words.status), in this account's language, as the
    audit log keeps it before and after a change."""
    return lambda schedule, now: status_words(schedule, now, known_language(account.language))


def step_url(endpoint: str, **query) -> str:
    base = current_app.config.get("PUBLIC_URL")
    return f"{base.rstrip('/') if base else ''}{url_for(f'coordinator.{endpoint}', **query)}"


def counted(name: str) -> int:
    value = request.args.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 3 else 0


def caller_key() -> str | None:
    number = field("From")
    return None if is_withheld(number) else caller_hash(number, current_app.config["NUMBER_PEPPER"])


def token_serializer() -> URLSafeTimedSerializer:
    """Signs the token of a proven PIN; it ages on the app's clock, as the presence line's does."""
    return URLSafeTimedSerializer(current_app.config["TWILIO_AUTH_TOKEN"], salt=TOKEN_SALT, signer=ClockedSigner)


def signed_in_account(session: Session) -> ConsoleAccount | None:
    """The account this call proved with its PIN, still active, still calling from its registered number."""
    key = caller_key()
    account = session.scalar(select(ConsoleAccount).where(ConsoleAccount.phone_hash == key)) if key else None
    if account is None or not account.active or account.role not in PHONE_ROLES:
        return None
    try:
        data = token_serializer().loads((request.args.get("t") or "")[:400], max_age=TOKEN_MAX_AGE)
    except BadData:
        return None
    if not isinstance(data, dict) or not field("CallSid") or data != {"a": account.id, "c": field("CallSid")}:
        return None
    return account


def next_time_of_day(typed: str, timezone: str, now: datetime) -> datetime | None:
    """"1430" → the next 14:30 in ``timezone`` strictly after ``now`` (today or tomorrow); None when not a time."""
    if len(typed) != 4 or not typed.isdigit():
        return None
    hour, minute = int(typed[:2]), int(typed[2:])
    if hour > 23 or minute > 59:
        return None
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    for days in (0, 1, 2):  # two days ahead covers a wall time skipped once by a clock change
        day = local.date() + timedelta(days=days)
        candidate = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
        candidate = candidate.astimezone(ZoneInfo("UTC")).astimezone(zone)  # a skipped wall time moves on
        if candidate > now:
            return candidate
    return None
