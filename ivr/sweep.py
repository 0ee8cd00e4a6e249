"""The periodic repair of the queue: nothing stays ringing or on a call forever, no caller is forgotten."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from flask import Flask

from routing.queueing import ListenerStatus
from store import dispatch as offers
from store.callbacks import expired_attempts, release_attempt
from store.extension import database, directory
from store.listeners import apply_shifts, end_wrapups, pool_state, set_status

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


def _sweep(app: Flask, after_outage: bool) -> SweepReport:
    """Repair in three steps, so no transaction is ever held open while Twilio is asked anything:
    local repairs (committed), questions to Twilio (no session), then what the answers call for."""
    report = SweepReport()
    dispatcher = app.extensions["dispatcher"]
    to_hang_up: list[str | None] = []
    to_redirect: list[tuple[str, str]] = []
    with app.app_context():
        now = app.config["CLOCK"]()
        with database.session() as session:
            snapshot = directory.get(session, now)
            report.wrapups_ended = len(end_wrapups(session, now))
            report.shift_changes = len(apply_shifts(session, now))
            for offer in offers.expired_offers(session, now):
                line = snapshot.line_for_pool(offer.pool)
                # Missed only if the phone rang: an offer never dialled (Twilio slow to answer the dispatcher,
                # a dispatch thread cut short) is no fault of the listener's.
                offers.release_offer(session, offer, now, line.queue if line else _defaults(),
                                     missed=offer.call_sid is not None, why="offer expired with no news from Twilio")
                to_hang_up.append(offer.call_sid)
                report.offers_expired += 1
            for attempt in expired_attempts(session, now):
                line = snapshot.line_for_pool(_request_pool(session, attempt))
                release_attempt(session, attempt, now, line.queue if line else _defaults(), missed=True,
                                why="callback offer expired with no news from Twilio")
                to_hang_up.append(attempt.listener_call_sid)
                report.offers_expired += 1
            for listener in offers.orphaned_listeners(session):
                set_status(session, listener, ListenerStatus.AVAILABLE, now, "no call under way (repaired)")
                report.listeners_freed += 1
            for caller in offers.stranded_callers(session):
                caller.status, caller.offered_to = "waiting", None  # offered, but no phone rings for them
            if after_outage:
                old_conversations = [(o.id, o.call_sid) for o in offers.open_conversations(session, now)]
            else:
                old_conversations = [(o.id, o.call_sid) for o in offers.open_conversations(
                    session, now - RECHECK_CONVERSATION_EVERY) if _due_for_a_check(now - o.created_at,
                                                                                   RECHECK_CONVERSATION_EVERY)]
            suspects = []
            for caller in offers.waiting_callers(session):
                line = snapshot.line_for_pool(caller.pool)
                if line is None:
                    continue
                if offers.waited(caller, now) >= line.queue.max_wait + MAX_WAIT_GRACE.total_seconds() \
                        and not offers.being_bridged(session, caller):
                    # Their wait document should have ended the wait at the limit and was not fetched in time
                    # (Twilio slow, a sound longer than planned): moved on through the REST API instead.
                    caller.status = "left_max_wait"
                    offers.record_event(session, caller, caller.pool, now, caller.status, None,
                                        offers.waited(caller, now), "moved on by the sweep")
                    _, ringing = offers.caller_left(session, caller.call_sid, "leave", now, line.queue)
                    to_hang_up.extend(offer.call_sid for offer in ringing)
                    to_redirect.append((caller.call_sid, f"/voice/route?{caller.resume_query}"))
                    report.callers_moved_on += 1
                elif after_outage or offers.not_heard_from(caller, now, line.queue):
                    suspects.append((caller.call_sid, caller.pool))
                elif pool_state(session, caller.pool, now).logged_in == 0:
                    caller.status = "moved_on"
                    offers.record_event(session, caller, caller.pool, now, "moved_on", None,
                                        offers.waited(caller, now), "nobody logged in any more")
                    to_redirect.append((caller.call_sid, f"/voice/route?{caller.resume_query}"))
                    report.callers_moved_on += 1
            session.commit()

        ended_conversations = [oid for oid, sid in old_conversations if dispatcher.call_has_ended(sid)]
        lost_callers = [(sid, pool) for sid, pool in suspects if dispatcher.call_has_ended(sid)]

        if ended_conversations or lost_callers:
            with database.session() as session:
                for offer_id in ended_conversations:
                    offer = session.get(offers.Offer, offer_id)
                    line = snapshot.line_for_pool(offer.pool)
                    offers.locked(session, offers.QueuedCaller, offer.queued_caller_id)
                    offers.listener_leg_ended(session, offers.locked(session, offers.Offer, offer_id), now,
                                              line.queue if line else _defaults(), "completed", None)
                    report.conversations_closed += 1
                for call_sid, pool in lost_callers:
                    line = snapshot.line_for_pool(pool)
                    _, ringing = offers.caller_left(session, call_sid, "hangup", now, line.queue if line else _defaults())
                    to_hang_up.extend(offer.call_sid for offer in ringing)  # no phone rings on for them
                    report.callers_lost += 1
                session.commit()
        with database.session() as session:
            pools = offers.pools_with_waiting_callers(session)
    base = dispatcher.public_url()
    for call_sid, path in to_redirect:
        dispatcher.redirect(call_sid, base + path)
    dispatcher.hang_up(to_hang_up)
    for pool in pools:
        dispatcher.dispatch(pool)
        report.pools_dispatched.append(pool)
    return report


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
