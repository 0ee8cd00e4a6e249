"""A referent calls a case's caller back through the callback machinery: their own phone first, then the caller.

The case's consented number is copied, still encrypted, into a CallbackRequest of its own pool (``case-<id>``, a
pool no listener is in, so the dispatcher never offers it to anyone else); the attempt rings the referent's
listener phone and ivr/callback_dial.py does the rest exactly as for any callback: the context whispered, 1 to
dial, the line's number shown, a machine hung up on, the outcome recorded."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from routing.queueing import ListenerStatus, PoolSettings
from store.callbacks import CASE_POOL_PREFIX, OPEN, start_attempt
from store.cases import add_step
from store.ringing import locked
from store.models import CallbackAttempt, CallbackRequest, CaseFile, ConsoleAccount, Listener

BUSY = (ListenerStatus.RINGING.value, ListenerStatus.ON_CALL.value)


class CaseCallbackRefused(Exception):
    """Why a call-back cannot start now: a code the console words (no_number, no_phone, busy, in_progress)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def case_pool(case: CaseFile) -> str:
    return f"{CASE_POOL_PREFIX}{case.id}"


def referent_listener(session: Session, account: ConsoleAccount, now: datetime) -> Listener:
    """The phone the referent is rung on: the listener linked to their account, free right now."""
    listener = locked(session, Listener, account.listener_id)
    if listener is None or not listener.active:
        raise CaseCallbackRefused("no_phone")
    live = listener.leg_live_until is not None and listener.leg_live_until > now
    # A wrap-up that is over counts as over, whether or not the sweep has ended it yet.
    wrapping_up = listener.status == ListenerStatus.WRAP_UP.value and (listener.wrapup_until or now) > now
    if listener.status in BUSY or live or wrapping_up:
        raise CaseCallbackRefused("busy")
    return listener


def _request_for(session: Session, case: CaseFile, now: datetime) -> CallbackRequest:
    """The case's pending request (a try again keeps its count), or a new one for a case reached before."""
    request = locked(session, CallbackRequest, case.callback_request_id)
    if request is not None and request.status in ("offered", "calling"):
        raise CaseCallbackRefused("in_progress")
    if request is not None and request.status == "pending":
        return request
    request = CallbackRequest(
        line_id=case.line_id, call_id=case.call_id, pool=case_pool(case), number_hash=case.number_hash,
        number_encrypted=case.number_encrypted, window=case.callback_window, message_allowed=False,
        language=case.language, caller_type=None, department=case.department, requested_at=now,
        status="pending", next_attempt_at=None, priority=0,
    )
    session.add(request)
    session.flush()
    case.callback_request_id = request.id
    return request


def start_case_callback(session: Session, case: CaseFile, account: ConsoleAccount, now: datetime,
                        pool_settings: PoolSettings) -> tuple[CallbackAttempt, Listener]:
    """Claim the referent's phone for this case's call-back; the caller commits, then dials the attempt."""
    if not case.consent or not case.number_encrypted:
        raise CaseCallbackRefused("no_number")
    listener = referent_listener(session, account, now)
    request = _request_for(session, case, now)
    attempt = start_attempt(session, request, listener, now, pool_settings)
    case.first_callback_at = case.first_callback_at or now
    add_step(session, case, "callback_tried", account.email, now)
    return attempt, listener


def callback_state(session: Session, case: CaseFile) -> str | None:
    """The case's call-back as the machinery left it: pending, offered, calling, reached, expired…"""
    request = session.get(CallbackRequest, case.callback_request_id) if case.callback_request_id else None
    if request is None:
        return None
    return "open" if request.status in OPEN else request.status
