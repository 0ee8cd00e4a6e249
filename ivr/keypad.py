"""The listener's keypad during a call: * leaves the conference for a short spoken menu (the caller on hold with
music meanwhile), then back to the caller.

1 keeps the caller on hold (or takes them back if they were held before), 2 calls in a binôme, 3 asks for help,
4 transfers (the `transfer` feature's hook), 9 ends the call; any other key, or none, goes back to the caller."""

from __future__ import annotations

import dataclasses

from flask import current_app
from sqlalchemy import func, select
from twilio.twiml.voice_response import Gather, VoiceResponse

from ivr import call_control, prompts
from ivr.conference import leg_url, listener_join
from ivr.twiml import field, say
from routing.queueing import ListenerStatus
from store import conference as records
from store.callback_conversation import for_leg
from store.listeners import phone_free
from store.models import CallbackAttempt, Listener, ListenerPool

MENU_TIMEOUT = 6  # seconds to press a key after the menu
TRANSFER_HOOK = "ivr.keypad_transfer"  # app.extensions: fn(session, conversation, owner, listener, line) -> VoiceResponse
HELP_HOOKS = "ivr.help_requested"  # app.extensions: list of fn(conversation_id)


def spoken_for(line, listener):
    """The line as the keypad speaks it to this listener: in their first language when the engine has words in it
    (their record's ``languages``), else in the line's; everything else about the line is unchanged."""
    first = next((code for code in (listener.languages or []) if code in prompts.LANGUAGES), None) \
        if listener is not None else None
    return dataclasses.replace(line, language=first) if line is not None and first and first != line.language else line


def open_menu(session, now, conversation, offer, line, after) -> VoiceResponse:
    """The listener pressed *: the caller goes on hold (unless already) and the listener hears the menu."""
    conversation.in_menu = True
    conversation_id = conversation.id
    held_before = conversation.held_since is not None
    if not held_before:
        after.append(lambda: call_control.hold(conversation_id, by="menu", now=now))
    return menu_document(offer, line, held_before)


def menu_document(offer, line, held_before: bool) -> VoiceResponse:
    """The menu, its key 1 named for what it will do: keep the caller on hold, or take them back."""
    response = VoiceResponse()
    gather = Gather(num_digits=1, timeout=MENU_TIMEOUT, action=leg_url(offer, "menu"),
                    action_on_empty_result=True)
    say(gather, prompts.render("conf_menu", line.language, line.country, held_before=held_before,
                               called_back=isinstance(offer, CallbackAttempt)), line.language,
        line)
    response.append(gather)
    response.redirect(leg_url(offer, "menu"), method="POST")
    return response


def listener_menu(session, now, offer, caller, listener, line, after) -> VoiceResponse:
    """The key pressed in the menu (none: back to the caller)."""
    line = spoken_for(line, listener)
    conversation = for_leg(session, offer)  # a queue offer's, or a callback attempt's
    if conversation is None or conversation.status not in records.LIVE:
        response = VoiceResponse()
        response.redirect(leg_url(offer, "over"), method="POST")
        return response
    key = field("Digits")[:1]
    conversation_id = conversation.id
    if key == "1":
        return _hold_key(conversation, offer, line, after, now)
    if key == "4":
        hook = current_app.extensions.get(TRANSFER_HOOK)
        if hook is not None:
            return hook(session, conversation, offer, listener, line)
        return back_to_caller(conversation, offer, line, after, now, "conf_transfer_unavailable")
    if key == "2":
        words = "conf_binome_called" if _someone_free(session, conversation, now) else "conf_binome_nobody"
        if words == "conf_binome_called":
            after.append(lambda: call_control.invite_binome(conversation_id, now=now))
        return back_to_caller(conversation, offer, line, after, now, words)
    if key == "3":
        records.note(session, conversation, now, "conv_help_asked", "keypad")
        for hook in current_app.extensions.get(HELP_HOOKS, []):
            after.append(lambda hook=hook: hook(conversation_id))
        return back_to_caller(conversation, offer, line, after, now, "conf_help_requested")
    if key == "9":
        conversation.in_menu = False
        after.append(lambda: call_control.end(conversation_id, by="keypad", now=now))
        response = VoiceResponse()
        response.redirect(leg_url(offer, "over"), method="POST")
        return response
    return back_to_caller(conversation, offer, line, after, now, "conf_back_to_caller")


def _hold_key(conversation, offer, line, after, now) -> VoiceResponse:
    """1: the caller was held only for the menu → they stay on hold; they were held before → taken back."""
    if conversation.held_by == "menu":
        conversation.held_by = "keypad"
        conversation.in_menu = False
        return listener_join(conversation, offer, line, prompts.render("conf_kept_on_hold", line.language,
                                                                          called_back=_called_back(conversation)))
    return back_to_caller(conversation, offer, line, after, now, "conf_back_to_caller", resume_any=True)


def back_to_caller(conversation, offer, line, after, now, words: str, resume_any: bool = False) -> VoiceResponse:
    """The listener rejoins the conference; the caller comes off the hold the menu put them on — once the listener is
    back in (ivr/conference_events): while the listener hears their sentence, the caller keeps the music rather
    than sit alone in a silent conference."""
    conversation.in_menu = False
    if conversation.held_since is not None and (resume_any or conversation.held_by == "menu"):
        conversation.held_by = records.RETURNING
    return listener_join(conversation, offer, line, prompts.render(words, line.language,
                                                                   called_back=_called_back(conversation)))


def _called_back(conversation) -> bool:
    """A safe callback's conversation: the listener hears of the person called back, not of the caller."""
    return conversation.callback_attempt_id is not None


def _someone_free(session, conversation, now) -> bool:
    """Whether a binôme could be called now (the dial itself picks and locks them)."""
    return bool(session.scalar(
        select(func.count()).select_from(Listener).join(ListenerPool, ListenerPool.listener_id == Listener.id)
        .where(ListenerPool.pool == conversation.pool, Listener.active.is_(True),
               Listener.status == ListenerStatus.AVAILABLE.value, phone_free(now),
               Listener.id != (conversation.listener_id or 0))))
