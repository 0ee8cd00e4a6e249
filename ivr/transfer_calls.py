"""A transfer's webhooks: the third party's status callback (which drives the transfer), what the third party, the
caller and the listener hear, and the conference's hooks (the listener's line dropped, the call over)."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, current_app, request
from twilio.twiml.voice_response import VoiceResponse

from directory_data.reference import load_departments
from ivr import call_control, prompts, transfers
from ivr.security import twilio_only
from ivr.transfer_limit import announce as _announce
from ivr.transfer_limit import third_party_off_hold
from ivr.transfer_parked import give_up_parked, goodbye, is_due, still_there
from ivr.conference import HOLD_LOOPS, music
from ivr.hold_music import CLIP_SECONDS
from ivr.twiml import MUSIC, SILENT, field, never_fail, public, row_id, say, twiml
from store import conference as conversations
from store import transfers as records
from store.calls import CALL_ENDED
from store.extension import database, directory
from store.models import Call, Conversation, Transfer

transfer_calls = Blueprint("transfer_calls", __name__, url_prefix="/voice/transfer")
WHY = {"busy": "busy", "no-answer": "no-answer", "failed": "failed", "canceled": "no-answer"}


def _locked(session) -> tuple[Conversation | None, Transfer | None]:
    """The transfer named in the URL and its conversation, locked in the usual order (the conversation first)."""
    transfer_id = row_id(request.args.get("tr"))
    found = session.get(Transfer, transfer_id) if transfer_id is not None else None
    if found is None:
        return None, None
    conversation = conversations.locked_conversation(session, found.conversation_id)
    return conversation, records.locked_transfer(session, found.id)


def _line(session, conversation: Conversation | None, now: datetime):
    return directory.get(session, now).line_for_pool(conversation.pool) if conversation is not None else None


@transfer_calls.route("/status", methods=("GET", "POST"))
@twilio_only
@never_fail(SILENT)
def status():
    """The third party's participant status callback: answered, or over (busy, no answer, failed, hung up)."""
    now = current_app.config["CLOCK"]()
    call_status, call_sid = field("CallStatus"), field("CallSid")[:64]
    tasks: list = []
    with database.session() as session:
        conversation, transfer = _locked(session)
        if transfer is None or conversation is None or call_sid != (transfer.third_party_sid or call_sid):
            return twiml(VoiceResponse())
        transfer.third_party_sid = call_sid  # the callback may come before the REST answer that names the leg
        if call_status == "in-progress":
            tasks = third_party_answered(session, conversation, transfer, now)
        elif call_status in CALL_ENDED:
            tasks = third_party_gone(session, conversation, transfer, call_status, now)
        session.commit()
    for task in tasks:
        task()
    return twiml(VoiceResponse())


def third_party_answered(session, conversation: Conversation, transfer: Transfer, now: datetime) -> list:
    """Warm: the listener now talks with them (the caller still on hold). Cold: the caller is put through and the
    listener freed. Too late (cancelled, timed out, the caller gone): they are told, and their call ends."""
    sid, conversation_id, transfer_id = transfer.third_party_sid, conversation.id, transfer.id
    if transfer.status != "dialling" or conversation.status not in conversations.LIVE:
        line = _line(session, conversation, now)
        language = line.language if line is not None else "fr"
        words = prompts.render("transfer_caller_gone", language, called_back=conversation is not None
                               and conversation.callback_attempt_id is not None)  # "la personne", on a callback
        return [lambda: goodbye(sid, words, language, line)]
    records.answered(session, transfer, now)
    tasks = [lambda: _announce(conversation_id, sid, public(f"/voice/transfer/whisper?tr={transfer_id}"))]
    if transfer.mode == "cold":
        records.finish(session, transfer, now, "completed", "cold")
        tasks += [lambda: call_control.resume(conversation_id, by="transfer", now=now),
                  lambda: transfers.release_listener(conversation_id, "cold transfer", now)]
    return tasks


def third_party_gone(session, conversation: Conversation, transfer: Transfer, call_status: str, now: datetime) -> list:
    """Their call is over. Before the listener let go: the caller is back with the listener, who is told why. After
    (the caller alone with them): the call ends, the caller hears the goodbye."""
    leg = conversations.leg_by_id(session, conversation, transfer.leg_id)
    if leg is not None:
        call_control.leg_gone(session, leg, now)
    conversation_id, transfer_id = conversation.id, transfer.id
    live = conversation.status in conversations.LIVE
    if transfer.status in ("dialling", "talking", "parked"):
        why = WHY.get(call_status, "failed") if transfer.status == "dialling" and call_status != "completed" \
            else "third-party-left"
        records.finish(session, transfer, now, "returned", why)
        if not live:
            return []
        listener_sid = _listener_leg_sid(session, conversation)
        told = public(f"/voice/transfer/told?tr={transfer_id}")
        return [lambda: call_control.resume(conversation_id, by="transfer", now=now),
                lambda: _announce(conversation_id, listener_sid, told)]
    if transfer.status == "together":
        records.third_party_left(transfer, now)
        return []
    if transfer.status == "completed" and live:
        return [lambda: call_control.end(conversation_id, by="third_party", now=now)]
    return []


def _listener_leg_sid(session, conversation: Conversation) -> str | None:
    """The main listener's leg while they are in the conference (not in the keypad menu, not gone)."""
    if conversation.in_menu:
        return None
    legs = [leg for leg in conversations.legs(session, conversation.id) if leg.role == "listener"]
    return legs[0].call_sid if legs else None


# --- what each of them hears -------------------------------------------------------------------------------------


def _said(words_for) -> VoiceResponse:
    """A small document for one participant, in the line's voice; empty when the transfer is unknown."""
    now = current_app.config["CLOCK"]()
    response = VoiceResponse()
    with database.session() as session:
        transfer_id = row_id(request.args.get("tr"))
        transfer = session.get(Transfer, transfer_id) if transfer_id is not None else None
        conversation = session.get(Conversation, transfer.conversation_id) if transfer is not None else None
        line = _line(session, conversation, now)
        if line is None:
            return response
        call = session.get(Call, transfer.call_id) if transfer.call_id is not None else None
        words, language = words_for(transfer, conversation, line, call)
    say(response, words, language, line)
    return response


@transfer_calls.route("/whisper", methods=("GET", "POST"))
@twilio_only
@never_fail(SILENT)
def whisper():
    """The third party, on answering: who transfers the call, and whether a listener or the caller is there."""

    def words(transfer, conversation, line, call):
        code = call.department if call is not None and transfer.target_kind in ("centre", "association") else None
        named = load_departments().get(code) if code else None
        return prompts.render("whisper_transfer", line.language, line.country, line_name=line.name,
                              department=code or "", department_name=named.name if named else "",
                              warm=transfer.mode == "warm"), line.language

    return twiml(_said(words))


def _connecting(transfer, conversation, line, call):
    """The cold transfer's one sentence to the caller, in their language."""
    language = call.language if call is not None and call.language in line.languages else line.language
    label = transfer.label_en if language == "en" else transfer.label_fr
    return prompts.render("transfer_connecting", language, line.country, label=label), language


@transfer_calls.route("/sentence", methods=("GET", "POST"))
@twilio_only
@never_fail(SILENT)
def sentence():
    """A cold transfer's announcement to a caller already on hold (the keypad's menu): the one sentence."""
    return twiml(_said(_connecting))


@transfer_calls.route("/hold", methods=("GET", "POST"))
@twilio_only
@never_fail(MUSIC)
def hold():
    """A cold transfer's holdUrl: the caller hears the one sentence, then the conference's hold music."""
    response = _said(_connecting)
    transfer_id = row_id(request.args.get("tr"))
    with database.session() as session:
        transfer = session.get(Transfer, transfer_id) if transfer_id is not None else None
        conversation_id = transfer.conversation_id if transfer is not None else ""
    response.redirect(public(f"/voice/conference/hold?cv={conversation_id}"), method="POST")
    return twiml(response)


@transfer_calls.route("/told", methods=("GET", "POST"))
@twilio_only
@never_fail(SILENT)
def told():
    """The listener, when the caller comes back to them: why the transfer did not happen — or, the hold limit having
    come during the consultation, that the third party is waiting on hold."""

    def words(transfer, conversation, line, call):
        called_back = conversation.callback_attempt_id is not None  # the person called back, not "l'appelant"
        if transfer.status == "parked":
            return prompts.render("transfer_parked", line.language, line.country, called_back=called_back), line.language
        label = transfer.label_en if line.language == "en" else transfer.label_fr
        if transfer.outcome == "parked-limit":  # the third party waited too long on hold and was let go
            return prompts.render("transfer_parked_released", line.language, line.country, label=label,
                                  called_back=called_back), line.language
        return prompts.render("transfer_returned", line.language, line.country, label=label, called_back=called_back,
                              why=transfer.outcome or "failed"), line.language

    return twiml(_said(words))


@transfer_calls.route("/parked", methods=("GET", "POST"))
@twilio_only
@never_fail(MUSIC)
def parked():
    """A parked third party's holdUrl: that they are waiting for the listener, the line's music, again; past their
    own limit, they are let go (ivr/transfer_parked.py)."""
    now = current_app.config["CLOCK"]()
    transfer_id = row_id(request.args.get("tr"))
    response = VoiceResponse()
    with database.session() as session:
        transfer = session.get(Transfer, transfer_id) if transfer_id is not None else None
        conversation = session.get(Conversation, transfer.conversation_id) if transfer is not None else None
        line = _line(session, conversation, now)
        due = transfer is not None and is_due(session, transfer.id, now)
        let_go = transfer is not None and transfer.outcome == "parked-limit"  # yet still here: Twilio refused
        if line is not None and transfer.status == "parked":
            say(response, prompts.render("transfer_parked_wait", line.language, line.country), line.language, line)
    music(response, line, HOLD_LOOPS * CLIP_SECONDS)
    response.redirect(public(f"/voice/transfer/parked?tr={transfer_id or ''}"), method="POST")
    if due:
        give_up_parked(transfer_id, now)
    elif let_go:
        still_there(transfer_id, now)
    return twiml(response)


# --- the conference's hooks --------------------------------------------------------------------------------------


def listener_left(session, conversation: Conversation, now: datetime) -> list | None:
    """The main listener's line dropped mid-transfer. The third party had answered: the caller is put through to
    them (a list of tasks: do not requeue). Still ringing: None, the caller is requeued as usual — which ends the
    conference, and ``conversation_ended`` stops that phone."""
    transfer = records.active_transfer(session, conversation.id)
    if transfer is None or transfer.status not in ("talking", "parked", "together"):
        return None
    conversation_id, third_sid, leg_id = conversation.id, transfer.third_party_sid, transfer.leg_id
    parked = transfer.status == "parked"  # the hold limit had put the third party on hold: off hold first
    records.finish(session, transfer, now, "completed", "listener-dropped")
    transfers.release_records(session, conversation, now, "listener's line dropped mid-transfer")
    return ([lambda: third_party_off_hold(conversation_id, third_sid, leg_id)] if parked else []) + \
        [lambda: call_control.resume(conversation_id, by="transfer", now=now)]


def conversation_ended(session, conversation: Conversation, now: datetime) -> list:
    """The conference is over (the caller hung up, or was sent back to the queue when their listener's line
    dropped): a third party still ringing is stopped."""
    transfer = records.active_transfer(session, conversation.id)
    if transfer is None:
        return []
    ringing = transfer.status == "dialling"
    if conversation.status in ("dropping", "requeued"):
        records.finish(session, transfer, now, "returned", "listener-dropped")
    else:
        records.finish(session, transfer, now, "caller_gone", "caller hung up")
    sid = transfer.third_party_sid
    client = current_app.extensions["dispatcher"].client
    return [lambda: _cancel(client, sid)] if ringing and sid else []


def _cancel(client, call_sid: str) -> None:
    try:
        client.calls(call_sid).update(status="canceled")
    except Exception as error:  # noqa: BLE001 — its ring time ends it anyway
        current_app.logger.error("could not stop a third party's phone: %s", type(error).__name__)
