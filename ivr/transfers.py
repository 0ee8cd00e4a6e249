"""Warm and cold transfers of a call in progress, on its conference: what the desk and the keypad call.

Warm: the caller is put on hold (the line's music), the third party is dialled into the conference and talks with the
listener first; then the listener leaves them together, or stays for a three-way call, or cancels. Cold: the caller
hears one sentence and music, and is put through as soon as the third party answers; the listener is then freed.
If the third party is busy, fails or does not answer within its ring time, the caller is back with the listener,
who is told; the caller hears nothing alarming (the listener simply speaks again). The third party's participant
status callbacks drive all of this (ivr/transfer_calls.py); a transfer nobody heard about within its ring time is
given up by the sweep, and the conference's own hold limit brings a held caller back even when REST failed.

Every function here opens its own session, takes the conversation's row lock first (then the transfer's), and
calls Twilio's REST API with no transaction open, after writing what it intends."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Callable

from flask import current_app

from directory_data.reference import load_departments, load_services
from ivr import call_control
from ivr.call_rest import participant_of, twilio_did
from ivr.transfer_limit import expire_transfers, unpark  # noqa: F401 — the sweep's part, by its usual name
from ivr.twiml import public
from routing.model import Localized
from routing.queueing import ListenerStatus
from routing.transfer import TransferContext, TransferTarget, find_target, transfer_targets
from store import conference as conversations
from store import transfers as records
from store.extension import database, directory
from store.listeners import set_status
from store.models import Call, Conversation, Listener, Transfer

MODES = ("warm", "cold")


@dataclass(frozen=True)
class TransferOutcome:
    """ok, and the code: started | done | together | cancelled, or why not: no_call | unknown_target | bad_mode |
    already_transferring | nobody_available (another line's listeners all busy) | no_transfer | not_answered |
    twilio_failed."""

    ok: bool
    code: str
    transfer_id: int | None = None


@dataclass(frozen=True)
class TransferView:
    """What the desk shows of a call's transfer (never a number): where to, how, how it stands."""

    transfer_id: int
    target_key: str
    target_kind: str
    label: Localized
    mode: str
    status: str  # dialling | talking | together | completed | returned | caller_gone
    since: datetime
    outcome: str | None


def _now(now: datetime | None) -> datetime:
    return now or current_app.config["CLOCK"]()


# --- where to ----------------------------------------------------------------------------------------------------


def targets_for(session, conversation: Conversation, now: datetime) -> tuple[TransferTarget, ...]:
    """The targets of a conversation's caller at ``now``: their line, their département (if they gave one)."""
    snapshot = directory.get(session, now)
    slugs = {line_id: slug for slug, line_id in snapshot.line_ids.items()}
    line = snapshot.lines_by_slug.get(slugs.get(conversation.line_id)) or snapshot.line_for_pool(conversation.pool)
    if line is None:
        return ()
    call = session.get(Call, conversation.call_id) if conversation.call_id is not None else None
    context = TransferContext(snapshot.centres, snapshot.associations, tuple(snapshot.lines_by_slug.values()),
                              load_services(), load_departments())
    return transfer_targets(line, call.department if call is not None else None, now, context)


def targets(call_id: int, now: datetime | None = None) -> list[TransferTarget]:
    """Where the caller of ``call_id`` (the caller's ``call.id``) may be transferred now; [] with no call in progress."""
    now = _now(now)
    with database.session() as session:
        conversation = conversations.conversation_for_call(session, call_id)
        return list(targets_for(session, conversation, now)) if conversation is not None else []


def transfer_in_progress(call_id: int) -> TransferView | None:
    """The call's current transfer, or the last one while the call goes on (the desk shows how it ended)."""
    with database.session() as session:
        conversation = conversations.conversation_for_call(session, call_id)
        transfer = records.last_transfer(session, conversation.id) if conversation is not None else None
        if transfer is None:
            return None
        return TransferView(transfer.id, transfer.target_key, transfer.target_kind,
                            Localized(transfer.label_fr, transfer.label_en), transfer.mode, transfer.status,
                            transfer.answered_at or transfer.started_at, transfer.outcome)


# --- starting one ------------------------------------------------------------------------------------------------


def start_transfer(call_id: int, target_key: str, mode: str = "warm", *, now: datetime | None = None,
                   listener_id: int | None = None) -> TransferOutcome:
    """Put the caller on hold and dial the chosen target into the conference (``target_key`` from ``targets``)."""
    now = _now(now)
    with database.session() as session:
        found = conversations.conversation_for_call(session, call_id)
        conversation = conversations.locked_conversation(session, found.id) if found is not None else None
        outcome, plan = open_transfer(session, conversation, target_key, mode, now, listener_id)
        if plan is None:
            return outcome
        session.commit()
    return plan()


def open_transfer(session, conversation: Conversation | None, target_key: str, mode: str, now: datetime,
                  listener_id: int | None = None) -> tuple[TransferOutcome, Callable[[], TransferOutcome] | None]:
    """The checks and the record of a new transfer, in the caller's session (the conversation locked); with it,
    what to ask of Twilio once that session is committed."""
    if conversation is None or conversation.status != "live":
        return TransferOutcome(False, "no_call"), None
    if mode not in MODES:
        return TransferOutcome(False, "bad_mode"), None
    target = find_target(targets_for(session, conversation, now), target_key)
    if target is None:
        return TransferOutcome(False, "unknown_target"), None
    if records.active_transfer(session, conversation.id) is not None:
        return TransferOutcome(False, "already_transferring"), None
    answering = None
    if target.pool:  # another line of this engine: one of its listeners directly, never its greeting and menu
        answering = records.free_listener(session, target.pool, now, besides=conversation.listener_id)
        if answering is None:
            return TransferOutcome(False, "nobody_available"), None
        set_status(session, answering, ListenerStatus.ON_CALL, now, "transferred call")
        target = replace(target, number=answering.phone)
    transfer = records.open_transfer(session, conversation.id, conversation.call_id,
                                     listener_id or conversation.listener_id, target, mode, now)
    return TransferOutcome(True, "started", transfer.id), dial_plan(transfer, target, answering.id if answering else None)


def dial_plan(transfer: Transfer, target: TransferTarget, listener_id: int | None = None) -> Callable[[], TransferOutcome]:
    """Hold the caller, dial the third party: the number comes from the directory (``target``), never typed — or is
    the phone of ``listener_id``, a listener of another line reserved for this call (freed should it fail)."""
    transfer_id, conversation_id, mode = transfer.id, transfer.conversation_id, transfer.mode
    number, ring_seconds = target.number, target.ring_seconds
    label = target.label.get("fr")  # who the third party is, as the desk shows them (French first), never a number
    app = current_app._get_current_object()

    def dial() -> TransferOutcome:
        now = app.config["CLOCK"]()
        held = call_control.hold(conversation_id, by="transfer", now=now,
                                 music_url=public(f"/voice/transfer/hold?tr={transfer_id}") if mode == "cold" else None)
        if not held.ok:
            _give_up(transfer_id, now, "rest-failed", resume_caller=False, listener_id=listener_id)
            return TransferOutcome(False, "twilio_failed", transfer_id)
        if mode == "cold" and held.code == "already":  # held by the keypad's menu: its music, now the one sentence
            _cold_sentence(conversation_id, transfer_id)
        added = call_control.add_participant(conversation_id, number, role="third_party", label=label,
                                             timeout=ring_seconds, now=now, listener_id=listener_id,
                                             status_url=public(f"/voice/transfer/status?tr={transfer_id}"))
        with database.session() as session:
            transfer = records.locked_transfer(session, transfer_id)
            transfer.leg_id = added.leg_id
            leg = conversations.leg_by_id(session, session.get(Conversation, conversation_id), added.leg_id)
            transfer.third_party_sid = leg.call_sid if leg is not None else None
            session.commit()
        if not added.ok:
            _give_up(transfer_id, now, "rest-failed", resume_caller=True)
            return TransferOutcome(False, "twilio_failed", transfer_id)
        return TransferOutcome(True, "started", transfer_id)

    return dial


def _cold_sentence(conversation_id: int, transfer_id: int) -> None:
    """A caller already on hold (the keypad's menu) hears the cold transfer's sentence as an announcement to them
    alone, their music going on around it: Twilio plays a new holdUrl only to someone it newly puts on hold. (If
    Twilio refuses: the music only.)"""
    with database.session() as session:
        conversation = session.get(Conversation, conversation_id)
    if conversation is not None and conversation.caller_sid:
        twilio_did(lambda: participant_of(conversation, conversation.caller_sid).update(
            announce_url=public(f"/voice/transfer/sentence?tr={transfer_id}"), announce_method="POST"))


def _give_up(transfer_id: int, now: datetime, why: str, resume_caller: bool, listener_id: int | None = None) -> None:
    """The transfer could not go on: recorded as returned, a listener reserved for it (never dialled) free again,
    and the caller taken off hold (if that fails too, the conference's hold limit brings them back)."""
    with database.session() as session:
        transfer = records.locked_transfer(session, transfer_id)
        conversation_id = transfer.conversation_id
        records.finish(session, transfer, now, "returned", why)
        reserved = session.get(Listener, listener_id, with_for_update=True) if listener_id is not None else None
        if reserved is not None and reserved.status == ListenerStatus.ON_CALL.value:
            set_status(session, reserved, ListenerStatus.AVAILABLE, now, "transferred call not placed")
        session.commit()
    if resume_caller:
        call_control.resume(conversation_id, by="transfer", now=now)


# --- finishing one -----------------------------------------------------------------------------------------------


def _active(session, call_id: int) -> tuple[Conversation | None, Transfer | None]:
    found = conversations.conversation_for_call(session, call_id)
    conversation = conversations.locked_conversation(session, found.id) if found is not None else None
    transfer = records.active_transfer(session, conversation.id) if conversation is not None else None
    return conversation, transfer


def complete_transfer(call_id: int, *, now: datetime | None = None, together: bool = False) -> TransferOutcome:
    """Warm, once the third party answered: the listener leaves the caller with them, or (``together``) the caller
    comes off hold and all three talk."""
    now = _now(now)
    with database.session() as session:
        conversation, transfer = _active(session, call_id)
        if transfer is None:
            return TransferOutcome(False, "no_transfer")
        if transfer.status == "dialling":
            return TransferOutcome(False, "not_answered", transfer.id)
        transfer_id, conversation_id = transfer.id, conversation.id
    if not unpark(conversation_id, transfer_id) or not call_control.resume(conversation_id, by="transfer", now=now).ok:
        return TransferOutcome(False, "twilio_failed", transfer_id)
    if together:
        finish(transfer_id, now, "together", "together")
        return TransferOutcome(True, "together", transfer_id)
    if not release_listener(conversation_id, "transfer", now):  # the caller is off hold with both: a three-way call, which the listener may leave later
        finish(transfer_id, now, "together", "together")
        return TransferOutcome(False, "twilio_failed", transfer_id)
    finish(transfer_id, now, "completed", "left")
    return TransferOutcome(True, "done", transfer_id)


def cancel_transfer(call_id: int, *, now: datetime | None = None) -> TransferOutcome:
    """The third party is taken off the call (still ringing or talking with the listener), the caller comes back."""
    now = _now(now)
    with database.session() as session:
        conversation, transfer = _active(session, call_id)
        if transfer is None or transfer.status == "together":
            return TransferOutcome(False, "no_transfer")
        transfer_id, conversation_id, leg_id = transfer.id, conversation.id, transfer.leg_id
        records.finish(session, transfer, now, "returned", "cancelled")
        session.commit()
    if leg_id is not None:
        call_control.remove(conversation_id, leg_id, now=now)  # a refusal: the leg ends when its ring time does
    resumed = call_control.resume(conversation_id, by="transfer", now=now)
    return TransferOutcome(resumed.ok, "cancelled" if resumed.ok else "twilio_failed", transfer_id)


def release_records(session, conversation: Conversation, now: datetime, why: str) -> tuple[str | None, int | None]:
    """The listener leaves while the call goes on (the caller with the third party): the conversation no longer
    belongs to their offer — so their leg's end, or its *, is their wrap-up, never the caller's requeue — and their
    leg is gone. Returns that leg's call sid and the offer, for the redirect out of the conference."""
    offer_id = conversation.offer_id
    present = [leg for leg in conversations.legs(session, conversation.id) if leg.role == "listener"]
    for leg in present:
        call_control.leg_gone(session, leg, now)
    conversation.offer_id = conversation.listener_id = None
    conversations.note(session, conversation, now, "conv_listener_released", why)
    return (present[0].call_sid if present else None), offer_id


def release_listener(conversation_id: int, why: str, now: datetime) -> bool:
    """The listener's leg is taken out of the conference to their wrap-up (Twilio redirects it). False when Twilio
    refused: they are still on the call, three together, and leave it by hanging up or with * (both wrap up)."""
    with database.session() as session:
        conversation = conversations.locked_conversation(session, conversation_id)
        if conversation is None or conversation.status not in conversations.LIVE:
            return False
        in_menu, attempt_id = conversation.in_menu, conversation.callback_attempt_id
        call_sid, offer_id = release_records(session, conversation, now, why)
        session.commit()
    if in_menu or call_sid is None or (offer_id is None and attempt_id is None):
        return True  # not in the conference: the menu's own answer takes them to wrap-up
    over = f"/voice/listener/over?offer={offer_id}" if offer_id is not None else \
        f"/voice/callback/over?attempt={attempt_id}"  # a callback's listener (ivr/callback_conference.py)
    return current_app.extensions["dispatcher"].redirect(call_sid, public(over))


def finish(transfer_id: int, now: datetime, status: str, outcome: str) -> None:
    with database.session() as session:
        transfer = records.locked_transfer(session, transfer_id)
        if transfer is not None:
            records.finish(session, transfer, now, status, outcome)
            session.commit()
