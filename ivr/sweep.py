"""The periodic repair of the queue: nothing stays ringing or on a call forever, no caller is forgotten."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from flask import Flask

from ivr import call_control, transfers
from ivr.conference import move_caller_in
from ivr.sweep_callbacks import callbacks_to_check, close_callback, ended_callbacks
from ivr.transfer_parked import let_go_parked
from routing.queueing import ListenerStatus
from store import conference as conversations
from store import bridging, dispatch as offers, dispatch_queries
from store.callbacks import expired_attempts, release_attempt
from store.extension import database, directory
from store.listener_shifts import apply_shifts
from store.listeners import end_wrapups, pool_state, set_status

LONGEST_CONVERSATION = timedelta(hours=4)  # past this, ask Twilio whether the call is really still going on
# Before that, each open conversation is asked about once every 10 minutes of its age (when its age falls in
# a 20 s window, longer than the sweep's 15 s, so one pass sees it): a hang-up lost while the database was down
# frees the listener within minutes, not hours, at one REST request per conversation per 10 minutes.
RECHECK_CONVERSATION_EVERY = timedelta(minutes=10)
RECHECK_WINDOW = timedelta(seconds=20)
# A caller's wait document ends their wait at max_wait itself (ivr/queue.py); past it by this much, it was not
# fetched in time, and the sweep moves them on through the REST API (one pass late at most).
MAX_WAIT_GRACE = timedelta(seconds=3)
# Waiting callers need no such schedule: a live one fetches their wait document every announce_every seconds or so
# (their heartbeat, see store.dispatch.not_heard_from). Only a caller not heard from lately is asked about, at each
# pass: one whose hang-up was lost leaves the queue within a pass of falling silent, and live callers cost nothing.


@dataclass
class SweepReport:
    wrapups_ended: int = 0
    shift_changes: int = 0
    offers_expired: int = 0
    listeners_freed: int = 0
    conversations_closed: int = 0
    callers_moved_on: int = 0
    callers_lost: int = 0
    pools_dispatched: list[str] = field(default_factory=list)
    after_outage: bool = False  # the pass before failed, or the scheduler just became active: all checked

    def summary(self) -> str:
        return ", ".join(f"{k.replace('_', ' ')}: {v if not isinstance(v, list) else len(v)}"
                         for k, v in self.__dict__.items())


OUTAGE = "sweep_failed"  # app.extensions key: the last pass failed, or this scheduler just became active


def sweep(app: Flask) -> SweepReport:
    """One pass of the repair. After a pass that failed (the database down), the next one asks Twilio about every
    open conversation and every waiting caller at once: hang-ups reported during the outage were lost, and
    listeners left "on call" for nobody would otherwise wait for their conversation's ten-minute check."""
    after_outage = app.extensions.pop(OUTAGE, False)
    try:
        report = _sweep(app, after_outage)
    except Exception:
        app.extensions[OUTAGE] = True  # whatever stopped this pass (the database, mostly), the next checks all
        raise
    report.after_outage = after_outage
    return report


@dataclass
class _Pass:
    """What one pass knows and has decided: the report, and the calls to hang up or redirect once committed."""

    now: object
    snapshot: object
    after_outage: bool
    report: SweepReport = field(default_factory=SweepReport)
    to_hang_up: list[str | None] = field(default_factory=list)
    to_redirect: list[tuple[str, str]] = field(default_factory=list)
    connecting: list[int] = field(default_factory=list)  # conversations whose caller never reached the conference

    def queue_of(self, pool: str):
        """The queue settings of the line serving ``pool`` (the defaults when no line serves it any more)."""
        line = self.snapshot.line_for_pool(pool)
        return line.queue if line else _defaults()


def _sweep(app: Flask, after_outage: bool) -> SweepReport:
    """Repair in three steps, so no transaction is ever held open while Twilio is asked anything:
    local repairs (committed), questions to Twilio (no session), then what the answers call for."""
    dispatcher = app.extensions["dispatcher"]
    with app.app_context():
        now = app.config["CLOCK"]()
        with database.session() as session:
            state = _Pass(now, directory.get(session, now), after_outage)
            _repair_locally(session, state)
            old_conversations = _conversations_to_check(session, now, after_outage)
            old_callbacks = callbacks_to_check(session, now, now if after_outage else now - RECHECK_CONVERSATION_EVERY,
                                               None if after_outage else _due)
            suspects = _check_waiting_callers(session, state)
            session.commit()

        ended_conversations = [oid for oid, sid in old_conversations if dispatcher.call_has_ended(sid)]
        ended_callbacks_ = ended_callbacks(dispatcher, old_callbacks)
        lost_callers = [(sid, pool) for sid, pool in suspects if dispatcher.call_has_ended(sid)]

        if ended_conversations or lost_callers or ended_callbacks_:
            with database.session() as session:
                _close_ended_calls(session, state, ended_conversations, lost_callers)
                for attempt_id, person_on_line in ended_callbacks_:  # a callback's listener, as a queue call's
                    close_callback(session, state, attempt_id, person_on_line)
                session.commit()
        with database.session() as session:
            pools = dispatch_queries.pools_with_waiting_callers(session)
    _tell_twilio(dispatcher, state, pools)
    return state.report


def _repair_locally(session, state: _Pass) -> None:
    """Wrap-ups and shifts that are over, offers nobody answered, listeners and callers left in a wrong state."""
    now, report = state.now, state.report
    report.wrapups_ended = len(end_wrapups(session, now))
    report.shift_changes = len(apply_shifts(session, now))
    for offer in dispatch_queries.expired_offers(session, now):
        # Missed only if the phone rang: an offer never dialled (Twilio slow to answer the dispatcher,
        # a dispatch thread cut short) is no fault of the listener's.
        offers.release_offer(session, offer, now, state.queue_of(offer.pool),
                             missed=offer.call_sid is not None, why="offer expired with no news from Twilio")
        state.to_hang_up.append(offer.call_sid)
        report.offers_expired += 1
    for attempt in expired_attempts(session, now):
        release_attempt(session, attempt, now, state.queue_of(_request_pool(session, attempt)), missed=True,
                        why="callback offer expired with no news from Twilio")
        state.to_hang_up.append(attempt.listener_call_sid)
        report.offers_expired += 1
    for listener in dispatch_queries.orphaned_listeners(session):
        set_status(session, listener, ListenerStatus.AVAILABLE, now, "no call under way (repaired)")
        report.listeners_freed += 1
    for caller in dispatch_queries.stranded_callers(session):
        caller.status, caller.offered_to = "waiting", None  # offered, but no phone rings for them
    # Conversations: a caller whose listener's line dropped is moved back to the queue (the REST request may have
    # failed), and one a listener took but who never reached the conference is moved there again.
    for conversation in conversations.still_dropping(session):
        state.to_redirect.append((conversation.caller_sid, f"/voice/conference/requeue?cv={conversation.id}"))
    state.connecting.extend(conversation.id for conversation in conversations.stuck_connecting(session, now))


def _conversations_to_check(session, now, after_outage: bool) -> list[tuple[int, str]]:
    """The open conversations to ask Twilio about: all of them after an outage, else those due for a check."""
    if after_outage:
        return [(o.id, o.call_sid) for o in dispatch_queries.open_conversations(session, now)]
    return [(o.id, o.call_sid) for o in dispatch_queries.open_conversations(session, now - RECHECK_CONVERSATION_EVERY)
            if _due_for_a_check(now - o.created_at, RECHECK_CONVERSATION_EVERY)]


def _check_waiting_callers(session, state: _Pass) -> list[tuple[str, str]]:
    """Move on callers past their longest wait or left with nobody logged in; return those to ask Twilio about."""
    suspects = []
    for caller in dispatch_queries.waiting_callers(session):
        line = state.snapshot.line_for_pool(caller.pool)
        if line is None:
            continue
        if offers.waited(caller, state.now) >= line.queue.max_wait + MAX_WAIT_GRACE.total_seconds() \
                and not bridging.being_bridged(session, caller):
            _move_on_past_max_wait(session, state, caller, line.queue)
        elif state.after_outage or offers.not_heard_from(caller, state.now, line.queue):
            suspects.append((caller.call_sid, caller.pool))
        elif pool_state(session, caller.pool, state.now).logged_in == 0:
            _move_on_nobody_logged_in(session, state, caller)
    return suspects


def _move_on_past_max_wait(session, state: _Pass, caller, queue) -> None:
    """The caller has waited past the line's longest wait: they leave the queue and go on along the chain."""
    # Their wait document should have ended the wait at the limit and was not fetched in time
    # (Twilio slow, a sound longer than planned): moved on through the REST API instead.
    now = state.now
    caller.status = "left_max_wait"
    offers.record_event(session, caller, caller.pool, now, caller.status, None,
                        offers.waited(caller, now), "moved on by the sweep")
    _, ringing = offers.caller_left(session, caller.call_sid, "leave", now, queue)
    state.to_hang_up.extend(offer.call_sid for offer in ringing)
    state.to_redirect.append((caller.call_sid, f"/voice/route?{caller.resume_query}"))
    state.report.callers_moved_on += 1


def _move_on_nobody_logged_in(session, state: _Pass, caller) -> None:
    """Nobody is left to answer this pool: the caller goes on along the line's chain."""
    now = state.now
    caller.status = "moved_on"
    offers.record_event(session, caller, caller.pool, now, "moved_on", None,
                        offers.waited(caller, now), "nobody logged in any more")
    state.to_redirect.append((caller.call_sid, f"/voice/route?{caller.resume_query}"))
    state.report.callers_moved_on += 1


def _close_ended_calls(session, state: _Pass, ended_conversations: list[int],
                       lost_callers: list[tuple[str, str]]) -> None:
    """What Twilio said has ended: conversations closed (their listener freed), waiting callers gone."""
    for offer_id in ended_conversations:
        offer = session.get(offers.Offer, offer_id)
        queue = state.queue_of(offer.pool)
        offers.locked(session, offers.QueuedCaller, offer.queued_caller_id)
        bridging.listener_leg_ended(session, offers.locked(session, offers.Offer, offer_id), state.now,
                                  queue, "completed", None)
        conversation = conversations.locked_for_offer(session, offer_id)
        if conversation is not None and conversation.status in conversations.LIVE:
            conversations.close(session, conversation, state.now, "ended", "sweep")  # its end was never heard
        state.report.conversations_closed += 1
    for call_sid, pool in lost_callers:
        _, ringing = offers.caller_left(session, call_sid, "hangup", state.now, state.queue_of(pool))
        state.to_hang_up.extend(offer.call_sid for offer in ringing)  # no phone rings on for them
        state.report.callers_lost += 1


def _tell_twilio(dispatcher, state: _Pass, pools: list[str]) -> None:
    """Once every transaction is over: redirect the callers moved on, hang up stale legs, dispatch the pools."""
    base = dispatcher.public_url()
    for call_sid, path in state.to_redirect:
        dispatcher.redirect(call_sid, base + path)
    dispatcher.hang_up(state.to_hang_up)
    with dispatcher.app.app_context():
        transfers.expire_transfers(state.now)  # a third party nobody heard about within its ring time: the caller back
        let_go_parked(state.now)  # a third party waiting on hold past their own limit: thanked and let go
        call_control.bring_back_held_callers(state.now)  # the hold's time limit, whoever forgot to resume
        for conversation_id in state.connecting:
            move_caller_in(conversation_id)
    for pool in pools:
        dispatcher.dispatch(pool)
        state.report.pools_dispatched.append(pool)


def _due(age: timedelta) -> bool:
    return _due_for_a_check(age, RECHECK_CONVERSATION_EVERY)


def _due_for_a_check(age: timedelta, every: timedelta) -> bool:
    """Once per ``every`` of ``age`` (a 20 s window each time), and at every pass past the longest conversation."""
    return age >= LONGEST_CONVERSATION or (age >= every and age % every < RECHECK_WINDOW)


def _request_pool(session, attempt) -> str:
    from store.models import CallbackRequest

    request = session.get(CallbackRequest, attempt.request_id)
    return request.pool if request else ""


def _defaults():
    from routing.queueing import PoolSettings

    return PoolSettings()
