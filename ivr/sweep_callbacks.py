"""The sweep's part for safe callbacks (ivr/callback_conference.py): a callback whose listener's leg ended unheard
(its status callback and its <Dial>'s action lost) is closed as that status callback would have closed it — the
listener to wrap-up, the try counted, and a person still on the line told the call was cut (they are called back
by the request's own rules)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable

from routing.callbacks import CallbackSettings
from store import callback_conversation as calls
from store import conference as conversations
from store import dispatch_queries
from store.callbacks import listener_leg_over
from store.models import CallbackAttempt, CallbackRequest
from store.ringing import locked


def callbacks_to_check(session, now: datetime, older_than: datetime,
                       due: Callable[[timedelta], bool] | None) -> list[tuple[int, str, str]]:
    """(attempt, listener's leg, person's leg) of the callbacks to ask Twilio about: all those open since before
    ``older_than``, or (``due``) those whose age says a check is due."""
    return [(attempt_id, listener_sid, person_sid)
            for attempt_id, listener_sid, person_sid, created in dispatch_queries.open_callbacks(session, older_than)
            if due is None or due(now - created)]


def ended_callbacks(dispatcher, candidates: list[tuple[int, str, str]]) -> list[tuple[int, bool]]:
    """Twilio's word, no transaction open: (attempt, whether the person is still on the line) for each callback
    whose listener's leg has ended."""
    return [(attempt_id, bool(person_sid) and not dispatcher.call_has_ended(person_sid))
            for attempt_id, listener_sid, person_sid in candidates if dispatcher.call_has_ended(listener_sid)]


def close_callback(session, state, attempt_id: int, person_on_line: bool) -> None:
    """What the listener's leg's status callback would have done (ivr/callback_dial.listener_status), in its lock
    order (the attempt, its conversation, its request, the listener); the person's redirect waits in ``state``."""
    attempt = locked(session, CallbackAttempt, attempt_id)
    if attempt is None or attempt.status != "calling":  # its end was heard meanwhile
        return
    request = session.get(CallbackRequest, attempt.request_id)
    line = _line(state.snapshot, request)
    settings = line.callback if line is not None else CallbackSettings()
    conversation = calls.for_attempt(session, attempt.id)
    if calls.listener_on_it(conversation):  # (a transfer that released the listener leaves the person talking)
        if not person_on_line:  # both gone: the call's end was simply never heard
            conversations.close(session, conversation, state.now, "ended", "sweep")
        elif calls.listener_dropped(session, conversation, state.now):  # talking: told, the try counted dropped
            state.to_redirect.append((conversation.caller_sid, f"/voice/callback/dropped?attempt={attempt.id}"))
        else:  # the person's phone still ringing: it stops
            state.to_hang_up.append(conversation.caller_sid)
    if conversation is not None:
        calls.settle(session, conversation, attempt, state.now, settings)
    queue = line.queue if line is not None else state.queue_of(request.pool if request else "")
    listener_leg_over(session, attempt, state.now, queue, settings, "completed")
    state.report.conversations_closed += 1


def _line(snapshot, request: CallbackRequest | None):
    if request is None:
        return None
    slugs = {line_id: slug for slug, line_id in snapshot.line_ids.items()}
    return snapshot.lines_by_slug.get(slugs.get(request.line_id)) or snapshot.line_for_pool(request.pool)
