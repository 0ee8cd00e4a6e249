"""What every operation on a call in progress shares: its outcome, the conference's URLs and SID, and one way to
ask Twilio's REST API that never raises (a refusal is an outcome the desk and the keypad put in words)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from flask import current_app

from ivr.twiml import public
from store import conference as records
from store.models import Conversation

EVENTS = "start end join leave mute hold modify"  # what the conference's status callback is told
MODES = ("listen", "whisper", "join")


@dataclass(frozen=True)
class Outcome:
    """ok, and why not: not_live | not_found | busy | nobody_available | twilio_failed (or "ok", "already")."""

    ok: bool
    code: str = "ok"
    leg_id: int | None = None


def events_url(conversation_id: int) -> str:
    return public(f"/voice/conference/events?cv={conversation_id}")


def hold_url(conversation_id: int) -> str:
    return public(f"/voice/conference/hold?cv={conversation_id}")


def rest_client():
    return current_app.extensions["dispatcher"].client


def now_or_clock(now: datetime | None) -> datetime:
    return now or current_app.config["CLOCK"]()


def conference_sid(client, conversation: Conversation) -> str:
    """The conference's SID: from its status callback, or asked of Twilio by its name."""
    if conversation.conference_sid:
        return conversation.conference_sid
    found = client.conferences.list(friendly_name=conversation.name, status="in-progress", limit=1)
    if not found:
        raise LookupError("conference not in progress")
    return found[0].sid


def participant_of(conversation: Conversation, call_sid: str):
    client = rest_client()
    return client.conferences(conference_sid(client, conversation)).participants(call_sid)


def twilio_did(action: Callable[[], object]) -> bool:
    try:
        action()
        return True
    except Exception as error:  # noqa: BLE001 — Twilio refused or could not be reached: the caller of this says so
        current_app.logger.error("conference REST request failed: %s %s", type(error).__name__,
                                 getattr(error, "status", "") or "")
        return False


def live_conversation(session, conversation_id: int) -> Conversation | None:
    conversation = records.locked_conversation(session, conversation_id)
    return conversation if conversation is not None and conversation.status in records.LIVE else None
