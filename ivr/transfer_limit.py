"""The caller's hold limit during a warm transfer: the caller must never be brought back into a consultation they
were not brought into.

The conversation takes a held caller off hold after HOLD_LIMIT_SECONDS (ivr/call_control.py), so that nobody is left
on hold for ever. During a warm transfer the caller is on hold precisely because the listener is presenting their
situation to a third party; taking them off hold there would let them hear it. So, when the limit comes:
- the third party has answered (the consultation is going on): the third party is put on hold first (the line's
  music), then the caller is brought back to the listener alone, and the listener alone hears "L'appelant est de
  retour en ligne ; le correspondant patiente". The transfer is ``parked``: complete (take the third party off hold,
  the listener leaves), together (the three of them) and cancel (the third party taken off the call) still apply —
  the consultation already done is not thrown away, which is what a helpline wants: the listener usually only has to
  say "I am putting you through".
- the third party's phone still rings: nothing has been said to them yet; the transfer is given up (their phone
  stopped) and the caller is back with the listener, who is told that it did not go through.
When Twilio refuses to put the third party on hold, the caller stays on hold with music (never into the
consultation) and the next try comes with the next turn of the hold music or the sweep, like any resume that failed.

The listener taking the caller back during the consultation (the desk's resume, the keypad's * 1) parks the third
party the same way. A parked third party has a time limit of its own (ivr/transfer_parked.py).
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from ivr import call_control
from ivr.call_rest import Outcome, conference_sid, participant_of, rest_client, twilio_did
from ivr.twiml import public
from store import conference as conversations
from store import transfers as records
from store.extension import database
from store.models import Conversation


def hold_limit_reached(conversation_id: int, now: datetime, by: str = "limit") -> Outcome | None:
    """call_control's HOLD_LIMIT_HOOKS, asked before the caller comes off hold — by the time limit, or by the listener
    (``by`` desk, keypad…): None when no warm consultation is under way (the caller is simply resumed). The listener
    taking the caller back while the third party still rings is a plain resume, as before."""
    with database.session() as session:
        conversation = conversations.locked_conversation(session, conversation_id)
        transfer = records.active_transfer(session, conversation_id) if conversation is not None else None
        if transfer is None or transfer.mode != "warm" or transfer.status not in ("dialling", "talking") or \
                (by != "limit" and transfer.status == "dialling"):
            return None
        transfer_id, leg_id, third_sid = transfer.id, transfer.leg_id, transfer.third_party_sid
        ringing = transfer.status == "dialling"
        if ringing:
            records.finish(session, transfer, now, "returned", "hold-limit")
        listener_leg = listener_sid(session, conversation)
        session.commit()
    if ringing:
        if leg_id is not None:
            call_control.remove(conversation_id, leg_id, now=now)
        return _back_to_listener(conversation_id, transfer_id, listener_leg, now, by)
    parked_music = public(f"/voice/transfer/parked?tr={transfer_id}")  # a word for them, music, their own limit
    if not third_sid or not twilio_did(lambda: participant_of(conversation, third_sid).update(
            hold=True, hold_url=parked_music, hold_method="POST")):
        return Outcome(False, "twilio_failed")  # still on hold, with music: never into the consultation
    with database.session() as session:
        transfer = records.locked_transfer(session, transfer_id)
        records.parked(session, transfer, now)
        leg = conversations.leg_by_id(session, session.get(Conversation, conversation_id), leg_id)
        if leg is not None:
            leg.on_hold = True
        session.commit()
    return _back_to_listener(conversation_id, transfer_id, listener_leg, now, by)


def _back_to_listener(conversation_id: int, transfer_id: int, listener_leg: str | None, now: datetime,
                      by: str) -> Outcome:
    resumed = call_control.resume(conversation_id, by=by, now=now, ask_hooks=False)
    if resumed.ok and listener_leg:
        announce(conversation_id, listener_leg, public(f"/voice/transfer/told?tr={transfer_id}"))
    return resumed


def unpark(conversation_id: int, transfer_id: int) -> bool:
    """A parked third party comes off hold (to be left with the caller, or for the three of them). True when there
    was nothing to do or Twilio did it."""
    with database.session() as session:
        transfer = records.locked_transfer(session, transfer_id)
        if transfer is None or transfer.status != "parked" or not transfer.third_party_sid:
            return True
        third_sid, leg_id = transfer.third_party_sid, transfer.leg_id
    if not third_party_off_hold(conversation_id, third_sid, leg_id):
        return False
    with database.session() as session:
        transfer = records.locked_transfer(session, transfer_id)
        if transfer is not None and transfer.status == "parked":
            transfer.status = "talking"  # answered, back in the call: complete / together follow at once
            session.commit()
    return True


def third_party_off_hold(conversation_id: int, third_sid: str | None, leg_id: int | None) -> bool:
    """Twilio takes the (parked) third party off hold; their leg says so."""
    with database.session() as session:
        conversation = session.get(Conversation, conversation_id)
    if conversation is None or not third_sid or not twilio_did(
            lambda: participant_of(conversation, third_sid).update(hold=False)):
        return False
    with database.session() as session:
        leg = conversations.leg_by_id(session, session.get(Conversation, conversation_id), leg_id)
        if leg is not None:
            leg.on_hold = False
            session.commit()
    return True


def listener_sid(session, conversation: Conversation) -> str | None:
    if conversation.in_menu:
        return None
    legs = [leg for leg in conversations.legs(session, conversation.id) if leg.role == "listener"]
    return legs[0].call_sid if legs else None


def announce(conversation_id: int, call_sid: str | None, url: str) -> bool:
    """Words played to one participant only (Twilio's participant ``announceUrl``), the others hear nothing of it."""
    if not call_sid:
        return False
    client = rest_client()
    try:
        with database.session() as session:
            conversation = session.get(Conversation, conversation_id)
            sid = conference_sid(client, conversation)
        client.conferences(sid).participants(call_sid).update(announce_url=url, announce_method="POST")
        return True
    except Exception as error:  # noqa: BLE001 — a word not said is no reason to fail the webhook
        current_app.logger.error("transfer announcement failed: %s", type(error).__name__)
        return False


def expire_transfers(now: datetime | None = None) -> int:
    """The sweep's part: a transfer still ringing past its ring time and grace (Twilio's word was lost) is given up,
    its third party's call cancelled and the caller brought back. Returns how many."""
    now = now or current_app.config["CLOCK"]()
    with database.session() as session:
        due = records.overdue(session, now)
    given_up = 0
    for transfer_id in due:
        with database.session() as session:
            transfer = records.locked_transfer(session, transfer_id)
            if transfer is None or transfer.status != "dialling":
                continue
            conversation_id, leg_id = transfer.conversation_id, transfer.leg_id
            records.finish(session, transfer, now, "returned", "timeout")
            session.commit()
        if leg_id is not None:
            call_control.remove(conversation_id, leg_id, now=now)
        call_control.resume(conversation_id, by="transfer", now=now)
        given_up += 1
    return given_up
