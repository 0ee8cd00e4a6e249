"""The listener's keypad for transfers: * then 4 reads the call's targets (one key each); after a target, 1 starts a
warm transfer (the listener talks with the third party first, the caller on hold) and 2 a cold one (the caller hears
one sentence and is put through on the answer); during a transfer, * then 4 offers to leave the caller with the third
party, talk all three, or cancel."""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, current_app, request
from twilio.twiml.voice_response import Gather, VoiceResponse

from ivr import call_control, keypad, prompts, transfers
from ivr.conference import leg_url, listener_join
from ivr.leg_turn import leg_over, leg_turn
from ivr.transfer_limit import third_party_off_hold
from ivr.security import twilio_only
from ivr.twiml import field, never_fail, say
from routing.transfer import find_target
from store import conference as conversations
from store.callback_conversation import for_leg
from store import transfers as records

transfer_keypad = Blueprint("transfer_keypad", __name__, url_prefix="/voice")
MENU_TIMEOUT = 6
MODE_KEYS = {"1": "warm", "2": "cold"}  # after the target: talk to them first, or put the caller straight through


def _words(name: str, line, conversation, **context) -> str:
    """What the listener hears, in their words for a safe callback's person where there are some."""
    return prompts.render(name, line.language, line.country, called_back=conversation.callback_attempt_id is not None,
                          **context)


def _label(transfer, line) -> str:
    return transfer.label_en if line.language == "en" else transfer.label_fr


def _menu(action: str) -> tuple[VoiceResponse, Gather]:
    """One key to press; no key comes back to ``action`` too (back to the call)."""
    response = VoiceResponse()
    gather = Gather(num_digits=1, timeout=MENU_TIMEOUT, action=action, action_on_empty_result=True)
    response.append(gather)
    response.redirect(action, method="POST")
    return response, gather


def transfer_menu(session, conversation, owner, listener, line) -> VoiceResponse:
    """The `*` menu's 4 (ivr.keypad's hook): the targets, or what to do with the transfer under way; ``owner`` is
    the listener's leg's, a queue offer or a callback attempt (ivr/leg_turn.py)."""
    now = current_app.config["CLOCK"]()
    here = leg_url(owner, "transfer")
    transfer = records.active_transfer(session, conversation.id)
    if transfer is not None:
        text = _words("transfer_progress_menu", line, conversation, label=_label(transfer, line))
        action = f"{here}&step=progress"
    else:
        found = transfers.targets_for(session, conversation, now)
        if not found:  # back to the caller, through the route that can take them off the menu's hold
            response = VoiceResponse()
            response.redirect(f"{here}&step=none", method="POST")
            return response
        choices = [{"key": index, "label": target.label.get(line.language)} for index, target in enumerate(found, 1)]
        text = _words("transfer_menu", line, conversation, targets=choices)
        action = here
    response, gather = _menu(action)
    say(gather, text, line.language, line)
    return response


def transfer_choice(session, now, offer, caller, listener, line, after) -> VoiceResponse:
    """The key pressed after the targets (warm or cold is asked next), after that question, or after the transfer's
    own menu."""
    line = keypad.spoken_for(line, listener)
    conversation = for_leg(session, offer)  # a queue offer's, or a callback attempt's
    if conversation is None or conversation.status not in conversations.LIVE:
        response = VoiceResponse()
        response.redirect(leg_url(offer, "over"), method="POST")
        return response
    key = field("Digits")[:1]
    if request.args.get("step") == "none":
        return keypad.back_to_caller(conversation, offer, line, after, now, "transfer_no_target")
    if request.args.get("step") == "progress":
        return _progress_choice(session, now, conversation, offer, caller, listener, line, after, key)
    if request.args.get("step") == "mode":
        return _mode_choice(session, now, conversation, offer, listener, line, after, key)
    targets = transfers.targets_for(session, conversation, now)
    index = int(key) - 1 if key.isdigit() else -1
    if not 0 <= index < len(targets):
        return keypad.back_to_caller(conversation, offer, line, after, now, "conf_back_to_caller")
    target = targets[index]
    chosen = quote(target.key, safe="")  # the target's key, not its number
    response, gather = _menu(f"{leg_url(offer, 'transfer')}&step=mode&to={chosen}")
    say(gather, _words("transfer_mode_menu", line, conversation, label=target.label.get(line.language)),
        line.language, line)
    return response


def _mode_choice(session, now, conversation, offer, listener, line, after, key: str) -> VoiceResponse:
    """1 warm, 2 cold, for the target chosen just before; any other key, or none, back to the caller."""
    mode = MODE_KEYS.get(key)
    if mode is None:
        return keypad.back_to_caller(conversation, offer, line, after, now, "conf_back_to_caller")
    key = request.args.get("to", "")[:200]
    outcome, plan = transfers.open_transfer(session, conversation, key, mode, now, listener.id)
    if outcome.code == "nobody_available":  # another line of the engine, all its listeners busy: the caller stays
        found = find_target(transfers.targets_for(session, conversation, now), key)
        conversation.in_menu = False
        if conversation.held_by == "menu":
            conversation.held_by = conversations.RETURNING  # off hold once the listener is back in, not before
        return listener_join(conversation, offer, line, _words(
            "transfer_nobody_free", line, conversation, label=found.label.get(line.language)))
    if plan is None:
        return keypad.back_to_caller(conversation, offer, line, after, now, "transfer_not_started")
    # The menu put the caller on hold: they stay there while the third party's phone rings (a cold transfer's plan
    # replaces the menu's music by its one sentence, then music).
    conversation.held_by, conversation.in_menu = "transfer", False
    after.append(plan)
    transfer = records.locked_transfer(session, outcome.transfer_id)
    return listener_join(conversation, offer, line, _dialling_words(transfer, line, conversation))


def _dialling_words(transfer, line, conversation) -> str:
    name = "transfer_dialling_cold" if transfer.mode == "cold" else "transfer_dialling"
    return _words(name, line, conversation, label=_label(transfer, line))


def _progress_choice(session, now, conversation, offer, caller, listener, line, after, key: str) -> VoiceResponse:
    transfer = records.active_transfer(session, conversation.id)
    conversation.in_menu = False
    conversation_id = conversation.id
    if transfer is None or key not in ("1", "2", "3"):
        return listener_join(conversation, offer, line)  # back to the call as it was (the caller still held)
    label = _label(transfer, line)
    if key == "3":
        records.finish(session, transfer, now, "returned", "cancelled")
        leg_id = transfer.leg_id
        if leg_id is not None:
            after.append(lambda: call_control.remove(conversation_id, leg_id, now=now))
        after.append(lambda: call_control.resume(conversation_id, by="transfer", now=now))
        return listener_join(conversation, offer, line, _words(
            "transfer_returned", line, conversation, label=label, why="cancelled"))
    if transfer.status == "dialling":  # not answered yet: nothing to hand over
        return listener_join(conversation, offer, line, _dialling_words(transfer, line, conversation))
    if transfer.status == "parked":  # the hold limit had put the third party on hold: off hold first
        third_sid, leg_id = transfer.third_party_sid, transfer.leg_id
        after.append(lambda: third_party_off_hold(conversation_id, third_sid, leg_id))
    after.append(lambda: call_control.resume(conversation_id, by="transfer", now=now))
    if key == "2":
        records.finish(session, transfer, now, "together", "together")
        return listener_join(conversation, offer, line, _words("transfer_together", line, conversation))
    # 1: the listener leaves; the caller comes off hold with the third party, the listener goes to wrap-up.
    records.finish(session, transfer, now, "completed", "left")
    transfers.release_records(session, conversation, now, "transfer")
    response = leg_over(session, now, offer, caller, listener, line, after, conversation)
    done = VoiceResponse()
    say(done, _words("transfer_done", line, conversation, label=label), line.language, line)
    for verb in response.verbs:
        done.append(verb)
    return done


# The same view on a queue call's leg and on a callback's (ivr/conference.leg_url names one or the other).
_view = twilio_only(never_fail("listener")(leg_turn(transfer_choice)))
transfer_keypad.add_url_rule("/listener/transfer", endpoint="listener_transfer", methods=("GET", "POST"), view_func=_view)
transfer_keypad.add_url_rule("/callback/transfer", endpoint="callback_transfer", methods=("GET", "POST"), view_func=_view)
