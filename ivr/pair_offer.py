"""Calls offered to a pair of listeners (a line's ``queue.offer_to_pair``, the 3977 centres' binôme): the first to
take the call is bridged at once as today; the second, still ringing or hearing the whisper, becomes the call's
binôme — a leg reserved in the registry — and joins muted when they answer. The caller never waits for them.

The second listener's phone rings for an offer of its own (ivr/listener_call.py serves its webhooks and asks this
module first): until they join, their status stays "ringing" (nobody offers them another call) and the offer stays
live for the caller (a caller sent back to the queue is then offered to them as to anyone); once joined, the offer
is "binome" and the conference leg frees them, like an invited binôme."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import select
from twilio.twiml.voice_response import VoiceResponse

from ivr.binome_join import binome_document
from ivr.call_parties import leg_gone
from ivr.twiml import field
from routing.queueing import ListenerStatus
from store import conference as records
from store import dispatch as offers
from store.extension import directory
from store.listeners import set_status
from store.models import ConferenceLeg, Conversation, Listener, Offer, QueuedCaller

RINGING_OFFERS = ("dialling", "ringing", "answered")


def keep_partners(session, conversation: Conversation, others: list[Offer], line, now: datetime) -> list[Offer]:
    """The first listener took the call: on a line that offers calls to pairs, the other listener's offer becomes
    the call's binôme (a leg reserved for them). Returns the offers kept; the others are released as today."""
    if line is None or not line.queue.offer_to_pair:
        return []
    kept = [other for other in others if other.status in RINGING_OFFERS][:1]
    for other in kept:
        records.add_leg(session, conversation, "binome", now, call_sid=other.call_sid, listener_id=other.listener_id,
                        muted=True)
        records.note(session, conversation, now, "conv_binome_invited", "pair")
    return kept


def partner_leg(session, offer: Offer, live: bool = True) -> tuple[Conversation, ConferenceLeg] | None:
    """The binôme leg reserved for this offer's listener in their caller's call (still in progress, unless ``live``
    is False), if any."""
    if offer.status not in RINGING_OFFERS:
        return None
    query = (select(Conversation, ConferenceLeg).join(ConferenceLeg, ConferenceLeg.conversation_id == Conversation.id)
             .where(Conversation.queued_caller_id == offer.queued_caller_id, ConferenceLeg.role == "binome",
                    ConferenceLeg.listener_id == offer.listener_id, ConferenceLeg.joined_at.is_(None),
                    ConferenceLeg.created_at >= offer.created_at))
    if live:
        query = query.where(Conversation.status.in_(records.LIVE), ConferenceLeg.left_at.is_(None))
    found = session.execute(query.order_by(ConferenceLeg.id.desc()).limit(1)).first()
    if found is None:
        return None
    conversation, leg = found
    if leg.call_sid not in (None, offer.call_sid):
        return None  # another phone call of this listener's (an invited binôme): not this offer's
    return records.locked_conversation(session, conversation.id), leg


def join_as_binome(session, now: datetime, offer: Offer, caller: QueuedCaller | None, listener: Listener | None,
                   line, found: tuple[Conversation, ConferenceLeg]) -> VoiceResponse:
    """The pair's second listener answered (or pressed 1 after the whisper): the binôme's whisper, then the call."""
    conversation, leg = found
    offer.status = "binome"
    offer.answered_at = offer.answered_at or now
    offer.call_sid = offer.call_sid or field("CallSid")[:64] or None
    leg.call_sid = leg.call_sid or offer.call_sid
    if listener is not None and listener.status == ListenerStatus.RINGING.value:
        set_status(session, listener, ListenerStatus.ON_CALL, now, "binôme of a pair on a call")
        listener.missed_in_row = 0
    records.note(session, conversation, now, "conv_binome_paired")
    department = caller.department if caller is not None else None
    return binome_document(conversation, line, department, f"leg-{leg.id}")


def partner_leg_ended(session, now: datetime, offer: Offer, line) -> bool:
    """The pair's second listener's phone call is over. Never answered, or not taken: they are free again, not a
    missed offer (the caller was answered). Joined: their conference leg decides (wrap-up). False when this offer
    is no pair's binôme (the usual rules apply)."""
    if offer.status == "binome":
        leg = session.scalar(select(ConferenceLeg).where(ConferenceLeg.role == "binome",
                                                         ConferenceLeg.call_sid == offer.call_sid)
                             .order_by(ConferenceLeg.id.desc()).limit(1)) if offer.call_sid else None
        if leg is not None:
            leg_gone(session, leg, now)
        offer.ended_at = offer.ended_at or now
        return True
    found = partner_leg(session, offer, live=False)
    if found is None:
        return False
    leg_gone(session, found[1], now, joined=False)
    offers.release_offer(session, offer, now, line.queue, missed=False, why="binôme of a pair did not answer")
    return True


def call_ended(session, conversation: Conversation, now: datetime) -> list:
    """The conference is over (an ENDED hook): a pair's second still ringing is freed and their phone stopped. Not
    when the caller was sent back to the queue (their listener's line dropped): that phone may still take them."""
    if conversation.status != "ended":
        return []
    waiting = [leg for leg in records.legs(session, conversation.id, present_only=False)
               if leg.role == "binome" and leg.joined_at is None and leg.listener_id is not None]
    line = directory.get(session, now).line_for_pool(conversation.pool)
    sids = []
    for leg in waiting:
        offer = session.scalar(select(Offer).where(
            Offer.queued_caller_id == conversation.queued_caller_id, Offer.listener_id == leg.listener_id,
            Offer.status.in_(RINGING_OFFERS), Offer.created_at <= leg.created_at))
        if offer is not None and line is not None:
            offers.release_offer(session, offer, now, line.queue, missed=False, why="call over before the binôme answered")
            sids.append(offer.call_sid)
    if not sids:
        return []
    dispatcher, pool = current_app.extensions["dispatcher"], conversation.pool
    return [lambda: dispatcher.hang_up(sids), lambda: dispatcher.trigger(pool)]
