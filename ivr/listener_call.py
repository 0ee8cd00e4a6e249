"""The listener's leg of a queued call: whisper, press 1, the conference with the caller, the * menu, wrap-up."""

from __future__ import annotations

from datetime import timedelta
from functools import wraps

from flask import Blueprint, current_app, request
from twilio.twiml.voice_response import VoiceResponse

from ivr import keypad, pair_offer, prompts, wrapup
from ivr.conference import listener_dropped, listener_join, move_caller_in
from ivr.listener_leg import leg_spoken_to, not_taken, whisper
from ivr.security import twilio_only
from ivr.spoken import caller_type_words
from ivr.twiml import field, never_fail, row_id, say, twiml
from store import conference as conversations
from store import bridging, dispatch as offers
from store.calls import CALL_ENDED
from store.desk_calls import wrapup_after
from store.extension import database, directory
from store.models import Listener, Offer, QueuedCaller

listener_call = Blueprint("listener_call", __name__, url_prefix="/voice")


def offer_turn(handler):
    """Load the offer named in the URL with its listener, caller and line; run ``handler``; commit."""

    @wraps(handler)
    def view():
        now = current_app.config["CLOCK"]()
        offer_id = request.args.get("offer", "")
        after: list = []
        with database.session() as session:
            offer = session.get(Offer, row_id(offer_id)) if row_id(offer_id) is not None else None
            if offer is not None:
                # One lock order everywhere: the caller, then the offer, then the listener.
                offers.locked(session, QueuedCaller, offer.queued_caller_id)
                offer = offers.locked(session, Offer, offer.id)
            if offer is None:
                response = VoiceResponse()
                say(response, prompts.render("listener_caller_gone", "fr"), "fr")
                response.hangup()
                return twiml(response)
            snapshot = directory.get(session, now)
            line = snapshot.line_for_pool(offer.pool)
            caller = session.get(QueuedCaller, offer.queued_caller_id)
            listener = offers.locked(session, Listener, offer.listener_id)
            response = handler(session, now, offer, caller, listener, line, after)
            leg_spoken_to(session, offer.listener_id, offer.call_sid, now)
            session.commit()
        for task in after:
            task()
        return twiml(response)

    return view


def _caller_gone(response, session, now, offer, line) -> VoiceResponse:
    offers.release_offer(session, offer, now, line.queue, missed=False, why="caller gone before the offer was taken")
    say(response, prompts.render("listener_caller_gone", line.language, line.country), line.language, line)
    response.hangup()
    return response


@listener_call.route("/listener/offer", methods=("GET", "POST"))
@twilio_only
@never_fail("listener")
@offer_turn
def listener_offer(session, now, offer, caller, listener, line, after):
    """The listener picked up: whisper who is waiting, and wait for 1 (a pair's second, once the call is taken:
    the binôme's whisper, and into the call)."""
    response = VoiceResponse()
    paired = pair_offer.partner_leg(session, offer)
    if paired is not None:
        return pair_offer.join_as_binome(session, now, offer, caller, listener, line, paired)
    if offer.status not in ("dialling", "ringing") or caller is None or caller.status not in offers.WAITING:
        return _caller_gone(response, session, now, offer, line)
    offer.status = "answered"
    offer.call_sid = offer.call_sid or field("CallSid")[:64] or None
    minutes = max(1, offers.waited(caller, now) // 60)
    text = prompts.render("listener_whisper", line.language, line.country, line_name=line.name, minutes=minutes,
                          caller_type=caller_type_words(caller.caller_type, line.language), department=caller.department or "")
    return whisper(text, f"/voice/listener/accept?offer={offer.id}", line)


@listener_call.route("/listener/accept", methods=("GET", "POST"))
@twilio_only
@never_fail("listener")
@offer_turn
def listener_accept(session, now, offer, caller, listener, line, after):
    """1 pressed: the caller is moved out of their queue into a conference named after the call, the listener
    joins it. Should the REST API fail to move the caller, their next wait document leaves the queue for it."""
    response = VoiceResponse()
    paired = pair_offer.partner_leg(session, offer) if field("Digits")[:1] == "1" else None
    if paired is not None:  # the other listener of the pair took the call meanwhile: this one is its binôme
        return pair_offer.join_as_binome(session, now, offer, caller, listener, line, paired)
    if field("Digits")[:1] == "1" and (caller is None or caller.status not in offers.WAITING):
        # Whether the caller's hang-up was processed before this key (and cancelled the offer) or not.
        return _caller_gone(response, session, now, offer, line)
    if field("Digits")[:1] != "1" or offer.status != "answered":
        return not_taken(response, line)
    if field("CallStatus") in CALL_ENDED:
        # 1 pressed as the phone hung up: a missed offer, as when the leg's status callback is processed first.
        offers.release_offer(session, offer, now, line.queue, missed=True, why="hung up after pressing 1")
        return not_taken(response, line)
    others = offers.accept_offer(session, offer, now)
    conversation = conversations.start_conversation(session, offer, caller, now)
    kept = pair_offer.keep_partners(session, conversation, others, line, now)  # a pair's second: the binôme
    others = [other for other in others if other not in kept]
    for other in others:
        offers.release_offer(session, other, now, line.queue, missed=False, why="another listener took the call")
    dispatcher, conversation_id = current_app.extensions["dispatcher"], conversation.id
    after.append(lambda: dispatcher.hang_up([o.call_sid for o in others]))
    after.append(lambda: move_caller_in(conversation_id))
    return listener_join(conversation, offer, line)


def _conversation_of(session, offer):
    return conversations.locked_for_offer(session, offer.id)


def _caller_still_there(conversation) -> bool:
    """Twilio's word on the caller's leg (the conference's own events may come later than this webhook)."""
    return not current_app.extensions["dispatcher"].call_has_ended(conversation.caller_sid)


@listener_call.route("/listener/after", methods=("GET", "POST"))
@twilio_only
@never_fail("listener")
@offer_turn
def listener_after(session, now, offer, caller, listener, line, after):
    """The listener's <Dial><Conference> ended: * pressed (the menu), the call over (wrap-up), or their line gone."""
    conversation = _conversation_of(session, offer)
    if conversation is not None and conversation.status in conversations.LIVE:
        if field("CallStatus") in CALL_ENDED:  # their line dropped: the talk is counted, then the caller requeued
            response = call_over(session, now, offer, caller, listener, line, after)
            after.extend(listener_dropped(session, conversation, now))
            return response
        if _caller_still_there(conversation):
            if conversation.status == "live":
                return keypad.open_menu(session, now, conversation, offer, keypad.spoken_for(line, listener), after)
            return listener_join(conversation, offer, line)  # * before the caller was in: wait for them again
        else:
            conversations.close(session, conversation, now, "ended", "caller")
            conversations.note(session, conversation, now, "conv_ended", "caller")
    return call_over(session, now, offer, caller, listener, line, after)


@listener_call.route("/listener/over", methods=("GET", "POST"))
@twilio_only
@never_fail("listener")
@offer_turn
def listener_over(session, now, offer, caller, listener, line, after):
    """After the menu's 9 (or a menu that found the call over): wrap-up, unless ending the call failed."""
    conversation = _conversation_of(session, offer)
    if conversation is not None and conversation.status in conversations.LIVE:
        return keypad.back_to_caller(conversation, offer, line, after, now, "conf_not_done")
    return call_over(session, now, offer, caller, listener, line, after)


def call_over(session, now, offer, caller, listener, line, after) -> VoiceResponse:
    """The conversation is over for this listener: the records, then wrap-up (or "the caller has gone")."""
    response = VoiceResponse()
    duration = field("DialCallDuration")
    talk_seconds = int(duration) if duration.isascii() and duration.isdigit() and len(duration) < 7 else 0
    if field("DialCallStatus") == "completed" and talk_seconds > 0:
        bridging.bridge_reported(session, offer, caller, now - timedelta(seconds=talk_seconds))
    talked = offer.status == "bridged"
    if offer.status == "accepted" and field("CallStatus") == "in-progress" \
            and caller is not None and caller.status in offers.WAITING:
        # The listener is still on the line and the caller never reached the conference: they hung up unheard, or
        # were put through to the emergency number while the database was down. Offered again, they would ring
        # listener after listener for nobody. (A listener who hung up before the bridge says nothing about them.)
        offers.caller_left(session, caller.call_sid, "not in their queue when a listener took the call", now,
                           line.queue)
    # The Dial's end is reported here reliably: the status callback may be lost, the listener must not
    # stay "on call" (listener_leg_ended is idempotent when the status callback comes too).
    bridging.listener_leg_ended(session, offer, now, line.queue, "completed", None)
    app = current_app._get_current_object()
    after.append(lambda: app.extensions["dispatcher"].trigger(offer.pool))
    if talked and wrapup.ask_to_classify(response, session, now, offer, caller, listener, line):
        return response
    if talked:
        seconds = wrapup_after(session, line.queue, caller)  # longer after a call marked difficult
        say(response, prompts.render("listener_call_over", line.language, line.country, seconds=seconds),
            line.language, line)
    else:
        say(response, prompts.render("listener_caller_gone", line.language, line.country), line.language, line)
    response.hangup()
    return response


@listener_call.route("/listener/status", methods=("GET", "POST"))
@twilio_only
@never_fail("silent")
@offer_turn
def listener_status(session, now, offer, caller, listener, line, after):
    """Status callback of the listener's leg: keeps the listener's status true, then dispatches again. A leg that
    ends while its caller is still in the conference sends the caller back to the head of the queue."""
    status = field("CallStatus")
    if status in CALL_ENDED and pair_offer.partner_leg_ended(session, now, offer, line):
        app = current_app._get_current_object()
        after.append(lambda: app.extensions["dispatcher"].trigger(offer.pool))
    elif status in CALL_ENDED:
        conversation = _conversation_of(session, offer)
        duration = field("CallDuration")
        bridging.listener_leg_ended(session, offer, now, line.queue, status,
                                  int(duration) if duration.isascii() and duration.isdigit() and len(duration) < 7 else None)
        if conversation is not None and conversation.status in conversations.LIVE:
            after.extend(listener_dropped(session, conversation, now))
        wrapup.leg_over(session, now, offer, caller, listener, line)
        app = current_app._get_current_object()
        after.append(lambda: app.extensions["dispatcher"].trigger(offer.pool))
    return VoiceResponse()


# The keypad menu and the wrap-up menu run on an offer too; keypad.py and wrapup.py hold them, this blueprint serves.
listener_call.add_url_rule("/listener/menu", endpoint="listener_menu", methods=("GET", "POST"),
                           view_func=twilio_only(never_fail("listener")(offer_turn(keypad.listener_menu))))
listener_call.add_url_rule("/listener/wrapup", endpoint="listener_wrapup", methods=("GET", "POST"),
                           view_func=twilio_only(never_fail("listener")(offer_turn(wrapup.listener_wrapup))))
