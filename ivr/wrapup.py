"""The listener's wrap-up menu: after the caller hangs up, classify the call by keypad (1–9), 0 to skip, * to hear it again."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, request
from twilio.twiml.voice_response import Gather, VoiceResponse

from ivr import prompts
from ivr.twiml import field, public, say
from routing.model import Line
from routing.queueing import ListenerStatus
from store.categories import classify
from store.desk_calls import wrapup_after
from store.extension import directory
from store.models import Call, Listener, LineRow, Offer, QueuedCaller

MENU_TIMEOUT = 6  # seconds to press a key after the list
MAX_PLAYS = 2  # the list is played at most twice without an answer, then the call stays unclassified
# While the menu plays the listener is kept in wrap-up (their phone is busy: an offer now would be a miss);
# afterwards they get the pool's wrap-up back. Their goodbye still plays then: they are dialled again only once
# Twilio reports that leg completed, or LEG_LIVE_SECONDS after it was last answered (store.listeners).
MENU_HOLD_SECONDS = 90
HANG_UP_SECONDS = 5  # a wrap-up ending sooner is announced as "in a moment", not as seconds
SKIP_KEY, REPEAT_KEY = "0", "*"


def ask_to_classify(response: VoiceResponse, session, now: datetime, offer: Offer, caller: QueuedCaller | None,
                    listener: Listener | None, line: Line) -> bool:
    """After a bridged conversation: hold the listener in wrap-up and ask for a category.

    False (nothing added) when there is nothing to classify: no call record, or a line without categories.
    """
    call_line = _call_line(session, now, caller, line)
    if caller is None or caller.call_id is None or not call_line.categories:
        return False
    if listener is not None and listener.status == ListenerStatus.WRAP_UP.value:
        held = now + timedelta(seconds=MENU_HOLD_SECONDS)
        listener.wrapup_until = max(listener.wrapup_until or held, held)
    language = _language(listener, call_line)
    say(response, prompts.render("wrapup_call_over", language, call_line.country), language, call_line)
    _menu(response, offer, call_line, language, plays=1)
    return True


def _call_line(session, now: datetime, caller: QueuedCaller | None, pool_line: Line) -> Line:
    """The line the caller called (a pool may serve several lines): its categories apply."""
    if caller is not None and caller.line_id is not None:
        row = session.get(LineRow, caller.line_id)
        found = directory.get(session, now).lines_by_slug.get(row.slug) if row is not None else None
        if found is not None:
            return found
    return pool_line


def _language(listener: Listener | None, line: Line) -> str:
    for language in (listener.languages or []) if listener is not None else []:
        if language in prompts.LANGUAGES:
            return language
    return line.language


def _menu(response: VoiceResponse, offer: Offer, line: Line, language: str, plays: int) -> None:
    choices = [{"key": index, "label": category.label.get(language)} for index, category in enumerate(line.categories, 1)]
    gather = Gather(num_digits=1, timeout=MENU_TIMEOUT, action=public(f"/voice/listener/wrapup?offer={offer.id}&p={plays}"),
                    action_on_empty_result=True)
    say(gather, prompts.render("wrapup_menu", language, line.country, categories=choices), language, line)
    response.append(gather)


def _release(session, now: datetime, offer: Offer, caller: QueuedCaller | None, listener: Listener | None,
             line: Line, after: list) -> int:
    """The menu is over: the pool's wrap-up again (the goodbye's own leg keeps them from being dialled). Seconds left."""
    if listener is None or listener.status != ListenerStatus.WRAP_UP.value:
        return 0
    pool_end = (offer.ended_at or now) + timedelta(seconds=wrapup_after(session, line.queue, caller))
    listener.wrapup_until = max(pool_end, now)
    listener.idle_since = listener.wrapup_until
    app = current_app._get_current_object()
    after.append(lambda: app.extensions["dispatcher"].trigger(offer.pool))
    return int((listener.wrapup_until - now).total_seconds())


def leg_over(session, now: datetime, offer: Offer, caller: QueuedCaller | None, listener: Listener | None,
             line: Line) -> None:
    """The listener's phone hung up (status callback): the menu's hold ends with it, the pool's wrap-up stays."""
    if offer.status != "ended" or listener is None or listener.status != ListenerStatus.WRAP_UP.value:
        return
    pool_end = (offer.ended_at or now) + timedelta(seconds=wrapup_after(session, line.queue, caller))
    if listener.wrapup_until is not None and listener.wrapup_until > max(pool_end, now):
        listener.wrapup_until = listener.idle_since = max(pool_end, now)


# Served by the queue's blueprint, which runs it on the offer named in the URL (ivr/queue.py).
def listener_wrapup(session, now, offer, caller, listener, line, after):
    """The key the listener pressed after the list (or none): classify, skip, or hear the list again."""
    response = VoiceResponse()
    call_line = _call_line(session, now, caller, line)
    language = _language(listener, call_line)
    plays = _plays_so_far()
    key = field("Digits")[:1]
    call = _call_of(session, caller)
    if call is None or offer.status != "ended" or (offer.call_sid and field("CallSid") != offer.call_sid):
        say(response, prompts.render("listener_caller_gone", language, call_line.country), language, call_line)
        response.hangup()
        return response
    categories = call_line.categories
    if key.isascii() and key.isdigit() and 1 <= int(key) <= len(categories):
        category = categories[int(key) - 1]
        classify(session, call, category, now, "keypad", listener_id=listener.id if listener else None)
        say(response, prompts.render("wrapup_saved", language, call_line.country, label=category.label.get(language)),
            language, call_line)
    elif key == SKIP_KEY or (not key and plays >= MAX_PLAYS):
        say(response, prompts.render("wrapup_skipped", language, call_line.country), language, call_line)
    else:
        if key and key != REPEAT_KEY:
            say(response, prompts.render("wrapup_invalid", language, call_line.country), language, call_line)
        _menu(response, offer, call_line, language, plays=plays if key == REPEAT_KEY else plays + 1)
        return response
    seconds = _release(session, now, offer, caller, listener, line, after)
    # A wrap-up about to end is not announced as "5 seconds": the next call comes when they have hung up.
    seconds = seconds if seconds > HANG_UP_SECONDS else 0
    say(response, prompts.render("wrapup_next", language, call_line.country, seconds=seconds), language, call_line)
    response.hangup()
    return response


def _plays_so_far() -> int:
    """How many times the list was played, from the URL (as many as allowed when it is not a small number)."""
    plays = request.args.get("p", "")
    return int(plays) if plays.isascii() and plays.isdigit() and len(plays) < 3 else MAX_PLAYS


def _call_of(session, caller) -> Call | None:
    """The call the listener just answered, if the queue still knows it."""
    return session.get(Call, caller.call_id) if caller is not None and caller.call_id is not None else None
