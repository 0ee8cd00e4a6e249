"""A parked third party's own time limit: past it, they are thanked and let go, and the listener is told.

A warm consultation interrupted — the caller's hold limit came, or the listener took the caller back — leaves the
third party on hold with the line's music while the caller talks with the listener (ivr/transfer_limit.py). Nobody
waits on hold for ever, the third party no more than the caller: past store.transfers.PARKED_LIMIT_SECONDS, checked
at each turn of their hold music and by the sweep, the transfer is given up (``transfer_returned parked-limit``), the
third party hears a polite goodbye and their call ends (taken off the conference should that fail), and only the
listener hears that it is over; should Twilio refuse all that, the next turn of their music tries again. The caller is with the listener all along; one still on hold because an earlier
resume failed is brought back too — never while the listener is in the keypad's menu, which would leave them alone."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from twilio.twiml.voice_response import VoiceResponse

from ivr import call_control, prompts
from ivr.transfer_limit import announce, listener_sid
from ivr.twiml import public, say
from store import conference as conversations
from store import transfers as records
from store.extension import database, directory
from store.models import Conversation, Transfer


def let_go_parked(now: datetime) -> int:
    """The sweep's part: every third party parked past their limit is let go. Returns how many."""
    with database.session() as session:
        due = records.parked_too_long(session, now)
    return sum(give_up_parked(transfer_id, now) for transfer_id in due)


def is_due(session, transfer_id: int, now: datetime) -> bool:
    return transfer_id in records.parked_too_long(session, now)


def give_up_parked(transfer_id: int, now: datetime) -> bool:
    """Let one parked third party go (False when it is no longer parked: completed, cancelled, taken off hold)."""
    with database.session() as session:
        found = session.get(Transfer, transfer_id)
        conversation = conversations.locked_conversation(session, found.conversation_id) if found else None
        transfer = records.locked_transfer(session, transfer_id)
        if conversation is None or transfer is None or transfer.status != "parked":
            return False
        records.finish(session, transfer, now, "returned", "parked-limit")
        conversation_id, third_sid, leg_id = conversation.id, transfer.third_party_sid, transfer.leg_id
        line = directory.get(session, now).line_for_pool(conversation.pool)
        live = conversation.status in conversations.LIVE
        held_for_transfer = conversation.held_by == "transfer" and not conversation.in_menu
        listener = listener_sid(session, conversation)
        session.commit()
    _say_goodbye(conversation_id, third_sid, leg_id, line, now)
    if live and held_for_transfer:
        call_control.resume(conversation_id, by="transfer", now=now)
    if live:
        announce(conversation_id, listener, public(f"/voice/transfer/told?tr={transfer_id}"))
    return True


def still_there(transfer_id: int, now: datetime) -> None:
    """A third party let go still fetches their hold music (Twilio refused their goodbye): another try."""
    with database.session() as session:
        transfer = session.get(Transfer, transfer_id)
        conversation = session.get(Conversation, transfer.conversation_id) if transfer is not None else None
        if conversation is None or transfer.outcome != "parked-limit":
            return
        third_sid, leg_id, conversation_id = transfer.third_party_sid, transfer.leg_id, conversation.id
        line = directory.get(session, now).line_for_pool(conversation.pool)
    _say_goodbye(conversation_id, third_sid, leg_id, line, now)


def _say_goodbye(conversation_id: int, third_sid: str | None, leg_id: int | None, line, now: datetime) -> None:
    language = line.language if line is not None else "fr"
    words = prompts.render("transfer_parked_goodbye", language, line.country if line is not None else None)
    if not goodbye(third_sid, words, language, line) and leg_id is not None:
        call_control.remove(conversation_id, leg_id, now=now)  # no goodbye possible: at least off the call


def goodbye(call_sid: str | None, words: str, language: str, line) -> bool:
    """A third party's call leaves the conference for a last sentence, then ends (Twilio replaces its TwiML)."""
    if not call_sid:
        return False
    response = VoiceResponse()
    say(response, words, language, line)
    response.hangup()
    try:
        current_app.extensions["dispatcher"].client.calls(call_sid).update(twiml=str(response))
        return True
    except Exception as error:  # noqa: BLE001 — their ring time or the conference's end stops the call anyway
        current_app.logger.error("could not end a third party's call: %s", type(error).__name__)
        return False
