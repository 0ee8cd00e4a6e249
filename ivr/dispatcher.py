"""Dials listeners for waiting callers through the REST API, after the claim is committed in the database."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from typing import Iterable

from flask import Flask, current_app

from ivr.listener_dial import place_call
from ivr.rest_health import RestHealthRecorder
from ivr.twilio_rest import make_client
from store.calls import CALL_ENDED
from store.dispatch import OfferPlan, caller_left, claim_offers, offer_dialled, release_offer
from store.extension import database, directory
from routing.queueing import ListenerStatus
from store.listeners import choose_status, end_wrapups
from routing.callbacks import window_open
from store.callbacks import release_attempt
from store.models import CallbackAttempt, Offer


QUEUE_SID = re.compile(r"QU[0-9a-f]{32}")
# Twilio's refusals that are about the listener's own number: invalid, unreachable, barred, or outside the
# account's geographic permissions. Dialling it again will fail again, so it counts as a missed offer and the
# listener is paused after a few (the roster shows why). Any other failure — Twilio down, slow or rate-limiting,
# our credentials refused — is not the listener's doing: counting it would pause the whole room during a
# Twilio outage and leave it paused afterwards.
NUMBER_REFUSED = frozenset({13223, 13224, 21211, 21214, 21215, 21216, 21217, 21401, 21421})


def listeners_number_refused(error: Exception) -> bool:
    return getattr(error, "code", None) in NUMBER_REFUSED


class TwilioUnavailable(Exception):
    """Placing a call failed for a reason of Twilio's (down, slow, rate-limiting, credentials refused)."""


class Dispatcher:
    """Triggered by the events that make a dispatch possible; runs inline (tests) or on a small thread pool."""

    def __init__(self, app: Flask):
        self.app = app
        self.inline = app.config.get("DISPATCH_MODE", "background") == "inline"
        self.executor = None if self.inline else ThreadPoolExecutor(max_workers=2, thread_name_prefix="dispatch")
        self._client = None

    @property
    def client(self):
        if self._client is None:
            self._client = make_client(self.app.config, observer=RestHealthRecorder(self.app))
        return self._client

    def public_url(self) -> str:
        return (self.app.config.get("PUBLIC_URL") or self.app.extensions.get("learned_public_url") or "").rstrip("/")

    def trigger(self, pool: str) -> None:
        if self.app.config.get("DISPATCH_MODE") == "off":
            return  # the terminal simulator: nobody's phone really rings
        if self.inline:
            self.dispatch(pool)
        else:
            self.executor.submit(self._dispatch_logged, pool)

    def _dispatch_logged(self, pool: str) -> None:
        try:
            self.dispatch(pool)
        except Exception as error:  # noqa: BLE001 — a background failure is repaired by the sweep
            self.app.logger.error("dispatch of pool %s failed: %s", pool, type(error).__name__)

    def dispatch(self, pool: str) -> list[int]:
        """Claim offers for ``pool`` and dial them; returns the offer ids dialled. When a claimed caller turns
        out to have hung up unheard, claim again: the listener they held goes to the next caller at once."""
        dialled: list[int] = []
        with self.app.app_context():
            while True:  # each round that finds a caller gone has taken them out of the queue: it ends
                now = current_app.config["CLOCK"]()
                with database.session() as session:
                    line = directory.get(session, now).line_for_pool(pool)
                    if line is None:
                        return dialled
                    end_wrapups(session, now)
                    plans = claim_offers(session, pool, now, line.queue, callback_window=lambda request:
                                         window_open(request.window, line.schedule, now))
                    session.commit()
                plans, callers_gone = self._without_callers_gone(plans, line)
                dialled += self._dial_all(plans, line)
                if not callers_gone:
                    return dialled

    def _dial_all(self, plans: list[OfferPlan], line) -> list[int]:
        """Dial each plan; once Twilio itself has failed, release the rest undialled rather than wait out its
        timeout for each (they are claimed again at the next dispatch or sweep)."""
        dialled: list[int] = []
        for index, plan in enumerate(plans):
            try:
                if self.dial(plan, line):
                    dialled.append(plan.offer_id)
            except TwilioUnavailable:
                for later in plans[index + 1:]:
                    self._release(later, line, missed=False, why="Twilio could not be reached")
                break
        return dialled

    def _without_callers_gone(self, plans: list[OfferPlan], line) -> tuple[list[OfferPlan], bool]:
        """Before any phone rings for a caller not heard from lately, ask Twilio whether their call is over.
        If it is, the caller is marked gone and their offers released (the listener did nothing wrong: no missed
        offer). If Twilio cannot say, the caller is offered as usual: a REST hiccup must not cost a live caller.
        Twilio is asked with no transaction open; returns the plans still to dial, and whether any caller left."""
        unheard = {plan.caller_sid for plan in plans if plan.kind == "caller" and plan.caller_unheard}
        gone = {sid for sid in unheard if self.call_has_ended(sid)}
        if not gone:
            return plans, False
        with database.session() as session:
            now = current_app.config["CLOCK"]()
            for call_sid in gone:
                # Releases only this claim's offers (not dialled yet): a caller is claimed with none ringing.
                caller_left(session, call_sid, "hangup", now, line.queue)
            session.commit()
        self.app.logger.info("pool %s: %d caller(s) had hung up unheard; no listener was dialled for them",
                             plans[0].pool, len(gone))
        return [plan for plan in plans if plan.caller_sid not in gone], True

    def call_has_ended(self, call_sid: str | None) -> bool:
        """Twilio's word on a call: over, or unknown to Twilio (404), is True; still going on, or Twilio
        unreachable or in error, is False — the caller is then treated as still there."""
        if not call_sid:
            return True
        try:
            return self.client.calls(call_sid).fetch().status in CALL_ENDED
        except Exception as error:  # noqa: BLE001 — unknown to Twilio (404) means long gone
            return "404" in str(getattr(error, "status", "")) or getattr(error, "status", None) == 404

    def dial(self, plan: OfferPlan, line) -> bool:
        """Place the listener's call for ``plan``; False when it was not placed or no longer leads anywhere.
        Raises TwilioUnavailable, the plan released, when Twilio itself failed: the next plans would too."""
        base = self.public_url()
        if not base:
            # Twilio needs absolute URLs for the listener's leg; not the listener's fault: no missed offer.
            self.app.logger.error("cannot dial listeners: set HELPLINE_PUBLIC_URL")
            self._release(plan, line, missed=False, why="no public URL to give Twilio")
            return False
        try:
            call = place_call(self.client, plan.kind, plan.offer_id, base, plan.listener_phone, line.caller_id,
                              plan.ring_timeout)
        except Exception as error:  # noqa: BLE001 — Twilio refused the number, or could not be reached
            if listeners_number_refused(error):
                self.app.logger.error("dialling a listener for pool %s failed: Twilio refused their number "
                                      "(error %s)", plan.pool, getattr(error, "code", ""))
                self._release(plan, line, missed=True, why=f"Twilio refused the listener's number "
                                                           f"(error {getattr(error, 'code', '')})")
                return False
            self.app.logger.error("dialling a listener for pool %s failed: Twilio unavailable (%s %s); not "
                                  "counted against the listener", plan.pool, type(error).__name__,
                                  getattr(error, "status", "") or "")
            self._release(plan, line, missed=False, why="Twilio could not place the call")
            raise TwilioUnavailable from error
        with self.app.app_context(), database.session() as session:
            if plan.kind == "callback":
                attempt = session.get(CallbackAttempt, plan.offer_id, with_for_update=True)
                if attempt is not None and attempt.listener_call_sid is None:
                    attempt.listener_call_sid = call.sid
                    attempt.status = "ringing" if attempt.status == "dialling" else attempt.status
            else:
                live = offer_dialled(session, plan.offer_id, call.sid)
            session.commit()
        if plan.kind != "callback" and not live:
            self.hang_up([call.sid])  # the caller left while we were dialling: stop that phone ringing
            return False
        return True

    def _release(self, plan: OfferPlan, line, missed: bool, why: str) -> None:
        with self.app.app_context(), database.session() as session:
            now = current_app.config["CLOCK"]()
            if plan.kind == "callback":
                attempt = session.get(CallbackAttempt, plan.offer_id, with_for_update=True)
                if attempt is not None:
                    release_attempt(session, attempt, now, line.queue, missed=missed, why=why)
            else:
                offer = session.get(Offer, plan.offer_id, with_for_update=True)
                if offer is not None:
                    release_offer(session, offer, now, line.queue, missed=missed, why=why)
            session.commit()

    def hang_up(self, call_sids: Iterable[str | None]) -> None:
        """End listeners' legs that no longer lead anywhere (the caller hung up, another listener took it).

        Off the webhook's path (Twilio gives a webhook 15 s; the REST API may be slow) unless inline."""
        sids = [sid for sid in call_sids if sid]
        if not sids:
            return
        if self.inline:
            self._hang_up(sids)
        else:
            self.executor.submit(self._hang_up, sids)

    def _hang_up(self, call_sids: list[str]) -> None:
        """Twilio's Call resource: "canceled" hangs up a queued or ringing call and does not affect one in progress
        (no error: the call comes back still in progress); "completed" hangs up one in progress. So "canceled" first
        (a phone still ringing: one request), then "completed" when Twilio says the call was answered meanwhile (the
        listener is hearing the whisper while another took the call)."""
        for sid in call_sids:
            try:
                still = self.client.calls(sid).update(status="canceled").status
            except Exception as error:  # noqa: BLE001 — already over (or Twilio down): "completed" below decides
                self.app.logger.info("could not cancel a listener leg: %s", type(error).__name__)
                still = "unknown"
            if still in ("canceled", "completed", "busy", "failed", "no-answer"):
                continue
            try:
                self.client.calls(sid).update(status="completed")
            except Exception as error:  # noqa: BLE001 — already ended: nothing to do
                self.app.logger.info("could not end a listener leg: %s", type(error).__name__)

    def delete_queue(self, queue_sid: str) -> None:
        """Remove a caller's own Twilio queue once they have left it: Twilio keeps queues until deleted.

        Off the webhook's path unless inline; a queue that is not empty (or already gone) is left alone."""
        if self.app.config.get("DISPATCH_MODE") == "off" or not QUEUE_SID.fullmatch(queue_sid or ""):
            return
        if self.inline:
            self._delete_queue(queue_sid)
        else:
            self.executor.submit(self._delete_queue, queue_sid)

    def _delete_queue(self, queue_sid: str) -> None:
        try:
            self.client.queues(queue_sid).delete()
        except Exception as error:  # noqa: BLE001 — not empty, or gone: nothing to repair
            self.app.logger.info("could not delete a caller's queue: %s", type(error).__name__)

    def redirect(self, call_sid: str, url: str) -> bool:
        """Move a waiting caller out of the queue to ``url`` (the chain goes on)."""
        try:
            self.client.calls(call_sid).update(url=url, method="POST")
            return True
        except Exception as error:  # noqa: BLE001
            self.app.logger.error("could not move a waiting caller on: %s", type(error).__name__)
            return False


def choose_and_dispatch(session, listener, status: ListenerStatus, now, how: str) -> str:
    """A listener's own choice of status, from the phone menu, the console or the terminal: committed, then
    the dispatcher told, so a listener who just became available is offered the oldest waiting caller at
    once (and a paused one never is). Returns the status now in force, or "busy" (refused during a call)."""
    outcome = choose_status(session, listener, status, now, how=how)
    pools = [p.pool for p in listener.pools]
    session.commit()
    if outcome == ListenerStatus.AVAILABLE.value:
        # Only after the commit: the dispatcher reads the listener as available from the database.
        for pool in pools:
            current_app.extensions["dispatcher"].trigger(pool)
    return outcome


class DispatcherExtension:
    def init_app(self, app: Flask) -> None:
        app.extensions["dispatcher"] = Dispatcher(app)

    @staticmethod
    def get() -> Dispatcher:
        return current_app.extensions["dispatcher"]


dispatcher = DispatcherExtension()
