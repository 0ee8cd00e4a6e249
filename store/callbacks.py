"""Callback requests in the database: saved with consent, merged when repeated, tried within their window."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from routing.callbacks import CallbackSettings, next_try
from routing.queueing import ListenerStatus, PoolSettings
from store.crypto import encrypt_number
from phones.numbers import number_hash
from store.listeners import set_status
from store.models import CallbackAttempt, CallbackRequest, LineRow, Listener
from store.ringing import OFFER_GRACE_SECONDS, free_ringing_listener, locked

OPEN = ("pending", "offered", "calling")
CLOSED_OUTCOMES = {"reached", "cancelled", "wrong_number"}  # nothing more to try
RETRY_OUTCOMES = {"no_answer", "busy", "machine", "dropped"}
DEFAULT_EXPIRE_DAYS = CallbackSettings().expire_after_days  # requests whose line left the directory


def save_request(session: Session, config: Mapping[str, Any], *, line_id: int | None, call_id: int | None,
                 pool: str, number: str, window: str, message_allowed: bool, language: str,
                 caller_type: str | None, department: str | None, now: datetime,
                 priority: int = 0) -> tuple[CallbackRequest, bool]:
    """Save (or merge into the pending one for the same number and line) and return (request, merged)."""
    hashed = number_hash(number, config["NUMBER_PEPPER"])
    # One request at a time per line: two calls from the same number at once must not both find none and
    # both insert (FOR UPDATE on rows that do not exist yet locks nothing), so the line's row is locked first.
    locked(session, LineRow, line_id)
    existing = session.scalar(
        select(CallbackRequest)
        .where(CallbackRequest.line_id == line_id, CallbackRequest.number_hash == hashed,
               CallbackRequest.status.in_(OPEN))
        .with_for_update()
    )
    if existing is not None:
        # Merged, not dialled twice: the latest wishes, the original place.
        existing.window = window
        existing.message_allowed = message_allowed
        existing.language = language
        existing.caller_type = caller_type or existing.caller_type
        existing.department = department or existing.department
        return existing, True
    request = CallbackRequest(
        line_id=line_id, call_id=call_id, pool=pool, number_hash=hashed,
        number_encrypted=encrypt_number(config, number), window=window, message_allowed=message_allowed,
        language=language, caller_type=caller_type, department=department, requested_at=now,
        status="pending", next_attempt_at=now, priority=priority,
    )
    session.add(request)
    session.flush()
    return request, False


def due_requests(session: Session, pool: str, now: datetime) -> list[CallbackRequest]:
    """Pending requests whose next try is due, oldest (or highest priority) first, locked for this claim."""
    return list(session.scalars(
        select(CallbackRequest)
        .where(CallbackRequest.pool == pool, CallbackRequest.status == "pending",
               CallbackRequest.next_attempt_at <= now)
        .order_by(CallbackRequest.priority.desc(), CallbackRequest.requested_at, CallbackRequest.id)
        .with_for_update(skip_locked=True)  # no limit: the window filter comes after
    ))


def start_attempt(session: Session, request: CallbackRequest, listener: Listener, now: datetime,
                  pool_settings: PoolSettings) -> CallbackAttempt:
    request.status = "offered"
    set_status(session, listener, ListenerStatus.RINGING, now, "offered a callback")
    listener.last_offered_at = now
    attempt = CallbackAttempt(
        request_id=request.id, listener_id=listener.id, status="dialling", created_at=now,
        expires_at=now + timedelta(seconds=pool_settings.ring_timeout + pool_settings.accept_timeout
                                   + OFFER_GRACE_SECONDS),
    )
    session.add(attempt)
    session.flush()
    return attempt


def release_attempt(session: Session, attempt: CallbackAttempt, now: datetime, pool_settings: PoolSettings,
                    missed: bool, why: str) -> None:
    """The listener did not take the callback: it stays pending with its place; the listener is freed."""
    if attempt.status not in ("dialling", "ringing", "answered"):
        return
    attempt.status = "missed" if missed else "cancelled"
    attempt.ended_at = now
    request = locked(session, CallbackRequest, attempt.request_id)
    listener = locked(session, Listener, attempt.listener_id)
    if request is not None and request.status == "offered":
        request.status = "pending"
    free_ringing_listener(session, listener, now, pool_settings, missed, why)


def accept_attempt(session: Session, attempt: CallbackAttempt, now: datetime) -> None:
    attempt.status = "calling"
    request = locked(session, CallbackRequest, attempt.request_id)
    request.status = "calling"
    listener = locked(session, Listener, attempt.listener_id)
    set_status(session, listener, ListenerStatus.ON_CALL, now, "calling back")
    listener.missed_in_row = 0


def record_outcome(session: Session, attempt: CallbackAttempt, outcome: str, now: datetime,
                   settings: CallbackSettings) -> CallbackRequest:
    """What came of dialling the caller; the request closes, waits for its next try, or expires."""
    request = locked(session, CallbackRequest, attempt.request_id)
    attempt.outcome = outcome
    if request.status in ("reached", "cancelled", "wrong_number", "expired"):
        return request
    request.attempts += 1
    request.last_outcome = outcome
    if outcome in CLOSED_OUTCOMES:
        request.status = outcome
        request.closed_at = now
        request.next_attempt_at = None
        return request
    following = next_try(now, settings, request.attempts)
    if following is None:
        request.status = "expired"
        request.closed_at = now
        request.next_attempt_at = None
    else:
        request.status = "pending"
        request.next_attempt_at = following
    return request


def reopen_guessed_outcome(session: Session, attempt: CallbackAttempt) -> None:
    """The dial's result arrives after the listener's leg was reported over, which counted the try as not
    reached for want of news (Twilio does not order the two webhooks): the guess is undone, the result recorded
    next stands, and the try is counted once."""
    if attempt.status != "ended" or attempt.outcome != "no_answer":
        return
    request = locked(session, CallbackRequest, attempt.request_id)
    if request is None or request.status not in ("pending", "expired") or request.last_outcome != "no_answer":
        return
    request.attempts = max(0, request.attempts - 1)
    request.status, request.closed_at, request.next_attempt_at = "calling", None, None
    attempt.outcome = None


def listener_leg_over(session: Session, attempt: CallbackAttempt, now: datetime, pool_settings: PoolSettings,
                      settings: CallbackSettings, call_status: str) -> None:
    """The listener's phone call for this callback ended: a missed offer, or wrap-up after calling."""
    if attempt.status in ("dialling", "ringing", "answered"):
        release_attempt(session, attempt, now, pool_settings, missed=True, why=f"callback offer {call_status}")
        return
    if attempt.status in ("missed", "cancelled", "ended"):
        return
    request = locked(session, CallbackRequest, attempt.request_id)
    if request is not None and request.status == "calling":
        # No word of the dial's result ever came: count a try not reached, so tries stay bounded.
        record_outcome(session, attempt, "no_answer", now, settings)
    attempt.status = "ended"
    attempt.ended_at = now
    listener = locked(session, Listener, attempt.listener_id)
    if listener is not None and listener.status == ListenerStatus.ON_CALL.value:
        wrapup = pool_settings.wrapup_seconds(request.caller_type if request else None)
        set_status(session, listener, ListenerStatus.WRAP_UP, now, "callback ended")
        listener.wrapup_until = now + timedelta(seconds=wrapup)
        listener.idle_since = listener.wrapup_until


def expired_attempts(session: Session, now: datetime) -> list[CallbackAttempt]:
    return list(session.scalars(select(CallbackAttempt).where(
        CallbackAttempt.status.in_(("dialling", "ringing", "answered")), CallbackAttempt.expires_at <= now)
        .with_for_update(skip_locked=True)))


def expire_stale_requests(session: Session, now: datetime, line_days: Mapping[int, int],
                          default_days: int = DEFAULT_EXPIRE_DAYS) -> list[CallbackRequest]:
    """Pending requests older than their line's ``expire_after_days`` (``line_days``: line id → days) expire:
    a caller is not called back weeks later. Requests being tried right now are left to finish."""
    cutoff = now - timedelta(days=min([default_days, *line_days.values()]))
    candidates = session.scalars(
        select(CallbackRequest)
        .where(CallbackRequest.status == "pending", CallbackRequest.requested_at < cutoff)
        .with_for_update(skip_locked=True)
    ).all()
    expired = []
    for request in candidates:
        if request.requested_at < now - timedelta(days=line_days.get(request.line_id, default_days)):
            request.status = "expired"
            request.closed_at = now
            request.next_attempt_at = None
            expired.append(request)
    return expired


def expire_stale(session: Session, now: datetime, snapshot) -> list[CallbackRequest]:
    """``expire_stale_requests`` with each line's setting from a directory snapshot (for the scheduler's job)."""
    line_days = {row_id: snapshot.lines_by_slug[slug].callback.expire_after_days
                 for slug, row_id in snapshot.line_ids.items() if slug in snapshot.lines_by_slug}
    return expire_stale_requests(session, now, line_days)


CASE_POOL_PREFIX = "case-"  # a relayed case's call-back (store/case_callbacks.py): only its referent's button rings


def pools_with_due_callbacks(session: Session, now: datetime) -> list[str]:
    return list(session.scalars(select(CallbackRequest.pool).where(
        CallbackRequest.status == "pending", CallbackRequest.next_attempt_at <= now,
        CallbackRequest.pool.not_like(f"{CASE_POOL_PREFIX}%")).distinct()))
