"""Twilio's side of a relayed case: the caller's number read from the call itself, and the referent's phone rung.

The number is never typed by the listener: with the caller's consent it is fetched by the call's SID (Twilio's
``From``), kept in memory only until store/cases.py encrypts it, and never logged."""

from __future__ import annotations

import logging

from flask import current_app

from phones.numbers import caller_hash, e164, is_withheld
from store.dispatch import OfferPlan

log = logging.getLogger(__name__)


class NumberUnavailable(Exception):
    """The call's number cannot be attached: withheld, not this call's, or Twilio could not say (a code)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def caller_number(call_sid: str, recorded_hash: str | None, withheld: bool) -> str:
    """The E.164 number of the call ``call_sid``, checked against the keyed HMAC recorded when it came in."""
    if withheld:
        raise NumberUnavailable("withheld")
    dispatcher = current_app.extensions["dispatcher"]
    try:
        # The twilio library names the call's ``from`` field ``_from`` (``from`` is a Python keyword).
        raw = dispatcher.client.calls(call_sid).fetch()._from
    except Exception as error:  # noqa: BLE001 — Twilio down, or the call unknown to it
        log.warning("could not read a relayed call's number from Twilio: %s", type(error).__name__)
        raise NumberUnavailable("twilio") from error
    number = None if is_withheld(raw) else e164(raw)
    if number is None:
        raise NumberUnavailable("withheld")
    if recorded_hash is not None and caller_hash(number, current_app.config["NUMBER_PEPPER"]) != recorded_hash:
        raise NumberUnavailable("mismatch")  # not the number this call came from: never attach a stranger's
    return number


def ring_referent(attempt_id: int, listener_phone: str, pool: str, line) -> bool:
    """Ring the referent for a case's call-back, as the dispatcher rings a listener for any callback (the same
    webhooks follow: the context, 1 to dial the caller). False when the call could not be placed (released)."""
    from ivr.dispatcher import TwilioUnavailable

    dispatcher = current_app.extensions["dispatcher"]
    plan = OfferPlan(attempt_id, listener_phone, "", pool, line.queue.ring_timeout, kind="callback")
    try:
        return dispatcher.dial(plan, line)
    except TwilioUnavailable:
        return False
