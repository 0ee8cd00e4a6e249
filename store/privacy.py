"""A caller's rights of access and erasure: everything held about one number, exported or erased."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import phonenumbers
from flask import Flask
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from phones.numbers import caller_hash, e164, parsed
from store.extension import database
from store.flags import erase_flags, flags_of_number
from store.case_export import case_record, cases_of
from store.models import Call, CallbackAttempt, CallbackRequest, CallEvent, EmailOutbox, LineRow, QueuedCaller
from store.retention import anonymise_calls, anonymise_queued_callers, delete_cases

logger = logging.getLogger(__name__)

DEFAULT_COUNTRY = "FR"


class NumberError(ValueError):
    """The text given is not a phone number we could have recorded (the message never quotes it)."""


@dataclass
class ErasureReport:
    calls_anonymised: int = 0
    call_events_deleted: int = 0
    queued_callers_anonymised: int = 0
    callback_requests_deleted: int = 0
    callback_attempts_deleted: int = 0
    unsent_emails_deleted: int = 0
    outbox_unlinked: int = 0
    caller_flags_deleted: int = 0
    cases_deleted: int = 0

    def counts(self) -> dict[str, int]:
        return asdict(self)

    @property
    def total(self) -> int:
        return sum(self.counts().values())


def normalise(number: str, country: str = DEFAULT_COUNTRY) -> str:
    """The number in E.164, from a national form (read in ``country``) or an international one."""
    region = (country or DEFAULT_COUNTRY).upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise NumberError(f"unknown country {country!r}")
    if parsed(number, region) is None:
        raise NumberError("not a phone number")
    read = e164(number, region)
    if read is None:
        raise NumberError("not a possible phone number")
    return read


def masked(e164: str) -> str:
    """Enough to tell two numbers apart in a message, not enough to dial: +33•••••••78."""
    return e164[:3] + "•" * max(0, len(e164) - 5) + e164[-2:]


def recorded_hash(app: Flask, number: str, country: str = DEFAULT_COUNTRY) -> tuple[str, str]:
    """(masked number, keyed HMAC) of the number as the engine would have recorded it."""
    e164 = normalise(number, country)
    hashed = caller_hash(e164, app.config["NUMBER_PEPPER"])
    if hashed is None:
        raise NumberError("a withheld number is never recorded")
    return masked(e164), hashed


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _call_record(session: Session, call: Call, slugs: dict[int, str]) -> dict[str, Any]:
    events = session.scalars(select(CallEvent).where(CallEvent.call_id == call.id).order_by(CallEvent.id))
    waits = session.scalars(select(QueuedCaller).where(QueuedCaller.call_id == call.id).order_by(QueuedCaller.id))
    return {
        "line": slugs.get(call.line_id),
        "started_at": _time(call.started_at),
        "ended_at": _time(call.ended_at),
        "duration_seconds": call.duration,
        "status": call.status,
        "outcome": call.outcome,
        "closed_reason": call.closed_reason,
        "department": call.department,
        "caller_type": call.caller_type,
        "language": call.language,
        "events": [{"at": _time(e.at), "kind": e.kind, "detail": e.detail} for e in events],
        # Who answered is the listeners' data, not the caller's: only the caller's own wait.
        "queue": [{"pool": q.pool, "joined_at": _time(q.enqueued_at), "ended_at": _time(q.ended_at),
                   "status": q.status} for q in waits],
    }


def _callback_record(session: Session, request: CallbackRequest, slugs: dict[int, str]) -> dict[str, Any]:
    attempts = session.scalars(
        select(CallbackAttempt).where(CallbackAttempt.request_id == request.id).order_by(CallbackAttempt.id))
    return {
        "line": slugs.get(request.line_id),
        "requested_at": _time(request.requested_at),
        "window": request.window,
        "message_allowed": request.message_allowed,
        "language": request.language,
        "caller_type": request.caller_type,
        "department": request.department,
        "status": request.status,
        "closed_at": _time(request.closed_at),
        "number_kept_encrypted": request.number_encrypted is not None,
        "attempts": [{"at": _time(a.created_at), "ended_at": _time(a.ended_at), "status": a.status,
                      "outcome": a.outcome} for a in attempts],
    }


def export_number(app: Flask, number: str, country: str = DEFAULT_COUNTRY) -> dict[str, Any]:
    """Everything held about the number (right of access), and nothing about anyone else."""
    shown, hashed = recorded_hash(app, number, country)
    with app.app_context(), database.session() as session:
        slugs = {id_: slug for id_, slug in session.execute(select(LineRow.id, LineRow.slug))}
        calls = session.scalars(select(Call).where(Call.caller_hash == hashed).order_by(Call.started_at, Call.id))
        requests = session.scalars(select(CallbackRequest).where(CallbackRequest.number_hash == hashed)
                                   .order_by(CallbackRequest.requested_at, CallbackRequest.id))
        return {
            "number": shown,
            "exported_at": _time(app.config["CLOCK"]()),
            "calls": [_call_record(session, call, slugs) for call in calls],
            "callback_requests": [_callback_record(session, request, slugs) for request in requests],
            "caller_flags": [{"line": slugs.get(f.line_id), "action": f.action, "reason": f.reason,
                              "created_at": _time(f.created_at), "expires_at": _time(f.expires_at),
                              "lifted_at": _time(f.lifted_at)} for f in flags_of_number(session, hashed)],
            "cases": [case_record(session, app.config, case, slugs) for case in cases_of(session, hashed)],
        }


def erase_number(app: Flask, number: str, country: str = DEFAULT_COUNTRY) -> ErasureReport:
    """Erase every trace of the number (right to erasure), in one transaction; calls stay, unlinked, for statistics.

    Nothing written here or logged holds the number or its hash.
    """
    _, hashed = recorded_hash(app, number, country)
    calls_of = select(Call.id).where(Call.caller_hash == hashed)
    requests_of = select(CallbackRequest.id).where(CallbackRequest.number_hash == hashed)
    report = ErasureReport()
    with app.app_context(), database.session() as session:
        # An email not yet sent about this caller would tell someone about them after the erasure.
        about = or_(EmailOutbox.call_id.in_(calls_of), EmailOutbox.callback_id.in_(requests_of))
        report.unsent_emails_deleted = session.execute(
            delete(EmailOutbox).where(about, EmailOutbox.sent_at.is_(None))).rowcount
        report.outbox_unlinked = session.execute(
            update(EmailOutbox).where(EmailOutbox.callback_id.in_(requests_of)).values(callback_id=None)
            .execution_options(synchronize_session=False)).rowcount
        report.call_events_deleted = session.execute(delete(CallEvent).where(CallEvent.call_id.in_(calls_of))).rowcount
        report.queued_callers_anonymised = anonymise_queued_callers(session, QueuedCaller.call_id.in_(calls_of))
        report.callback_attempts_deleted = session.execute(
            delete(CallbackAttempt).where(CallbackAttempt.request_id.in_(requests_of))).rowcount
        report.callback_requests_deleted = session.execute(
            delete(CallbackRequest).where(CallbackRequest.number_hash == hashed)).rowcount
        report.caller_flags_deleted = erase_flags(session, hashed)
        # Before the calls lose their hash: a case without a number is found through its call.
        report.cases_deleted = delete_cases(session, [case.id for case in cases_of(session, hashed)], report)
        # Last: every step above finds its rows through the hash this one blanks.
        report.calls_anonymised = anonymise_calls(session, Call.caller_hash == hashed)
        session.commit()
    logger.info("erasure on request: %s", ", ".join(f"{name} {count}" for name, count in report.counts().items()))
    return report
