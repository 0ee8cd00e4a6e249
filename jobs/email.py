"""Sending the email outbox over SMTP, retrying until it goes (each line's daily digest is queued by digests.py)."""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any, Mapping

from flask import Flask
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from phones.numbers import shown_from
from routing.model import Line
from jobs import email_templates as templates
from jobs.digests import count_day
from store.extension import database, directory
from store.models import Call, CallbackRequest, EmailOutbox

logger = logging.getLogger(__name__)

BACKOFF_MINUTES = (1, 5, 15, 60)  # then hourly, for ever: an outbox row is never given up on
LOUD_AFTER_ATTEMPTS = 48  # about two days of failures: from then on every failure is logged as an error
# A claimed row is left to its sender this long; if that sender dies, the row comes back after it.
LEASE = timedelta(minutes=10)
# Which EmailSettings flag governs each kind. After-hours rows are only written when the line asked for
# them (its flag, or a notify_email step in its chain), so the sender honours them as they come.
KIND_FLAGS: dict[str, str | None] = {
    "after_hours_call": None,
    "callback_request": "on_callback_request",
    "daily_digest": "daily_digest",
}


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    skipped: int = 0  # not sent on purpose: marked sent_at with last_error "skipped: <why>"


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failure."""
    return timedelta(minutes=BACKOFF_MINUTES[min(max(attempts, 1), len(BACKOFF_MINUTES)) - 1])


def send_pending(app: Flask, limit: int = 100) -> SendReport:
    """Send up to ``limit`` due outbox emails over one SMTP connection; failures wait and are tried again.

    Delivery is at least once: a sender that dies between the SMTP reply and recording it sends that email
    again after the lease, with the same Message-ID so mail systems can recognise the copy.
    """
    report = SendReport()
    with app.app_context():
        claimed = _claim(app.config, limit, report)
        if claimed:
            _record(app.config, _deliver(app.config, claimed), report)
    return report


def _claim(config: Mapping[str, Any], limit: int, report: SendReport) -> list[tuple[int, EmailMessage]]:
    """Lock due rows (skipping those another sender holds), build their messages, and lease them."""
    now = config["CLOCK"]()
    claimed: list[tuple[int, EmailMessage]] = []
    with database.session() as session:
        rows = session.scalars(
            select(EmailOutbox)
            .where(EmailOutbox.sent_at.is_(None),
                   or_(EmailOutbox.next_attempt_at.is_(None), EmailOutbox.next_attempt_at <= now))
            .order_by(EmailOutbox.created_at, EmailOutbox.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        if not rows:
            return claimed
        snapshot = directory.get(session, now)
        slugs = {row_id: slug for slug, row_id in snapshot.line_ids.items()}
        for row in rows:
            line = snapshot.lines_by_slug.get(slugs.get(row.line_id, ""))
            why_not = _why_skip(session, row, line)
            if why_not:
                row.sent_at, row.last_error, row.next_attempt_at = now, f"skipped: {why_not}", None
                report.skipped += 1
                logger.info("email %s (%s) skipped: %s", row.id, row.kind, why_not)
                continue
            try:
                message = _message(session, config, row, line, now)
            except Exception as error:  # noqa: BLE001 - one bad row must not hold up the others
                logger.error("email %s (%s) could not be built: %s", row.id, row.kind, type(error).__name__)
                _fail(row, error, now)
                report.failed += 1
                continue
            row.next_attempt_at = now + LEASE
            claimed.append((row.id, message))
        session.commit()
    return claimed


def _why_skip(session: Session, row: EmailOutbox, line: Line | None) -> str | None:
    if row.kind not in KIND_FLAGS:
        return f"unknown kind {row.kind!r}"
    if line is None:
        return "line no longer in the directory"
    if not line.after_hours_email:
        return "line has no after-hours email address"
    flag = KIND_FLAGS[row.kind]
    if flag and not getattr(line.email, flag):
        return f"line's email settings turn {flag} off"
    if row.kind == "callback_request" and (row.callback_id is None
                                           or session.get(CallbackRequest, row.callback_id) is None):
        return "callback request no longer on file"
    if row.kind == "daily_digest" and not row.digest_day:
        return "digest without a day"
    return None


def _message(session: Session, config: Mapping[str, Any], row: EmailOutbox, line: Line,
             now: datetime) -> EmailMessage:
    if row.kind == "after_hours_call":
        call = session.get(Call, row.call_id) if row.call_id is not None else None
        content = templates.after_hours_call(line, call.started_at if call else row.created_at,
                                             call.closed_reason if call else None)
    elif row.kind == "callback_request":
        request = session.get(CallbackRequest, row.callback_id)
        content = templates.callback_request(line, templates.CallbackFacts(
            requested_at=request.requested_at, window=request.window, message_allowed=request.message_allowed,
            department=request.department, number=_shown_number(config, line, request)))
    else:
        day = date.fromisoformat(row.digest_day)
        content = templates.daily_digest(line, day, count_day(session, row.line_id, line, day))
    return _envelope(config, row, line.after_hours_email, content, now)


def _shown_number(config: Mapping[str, Any], line: Line, request: CallbackRequest) -> str | None:
    """The caller's number, only when the line's settings ask for it and it can be read back."""
    if not line.email.include_number or not request.number_encrypted:
        return None
    try:
        from store.crypto import decrypt_number
    except ImportError:
        return None
    number = decrypt_number(config, request.number_encrypted)
    if not number:
        return None
    return shown_from(number, line.country)


def _envelope(config: Mapping[str, Any], row: EmailOutbox, to: str, content: templates.Email,
              now: datetime) -> EmailMessage:
    sender = config["SMTP_FROM"]
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = content.subject
    message["Date"] = format_datetime(now)
    # Derived from the row, not random: a copy sent again after a lost SMTP reply carries the same id.
    stamp = int(row.created_at.timestamp())
    message["Message-ID"] = f"<outbox-{row.id}-{stamp}@{sender.rpartition('@')[2] or 'localhost'}>"
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies, no mail loops
    message["X-Auto-Response-Suppress"] = "All"  # the same, for Exchange
    # Quoted-printable passes any relay, even one without 8BITMIME, and stays readable.
    message.set_content(content.body, charset="utf-8", cte="quoted-printable")
    return message


def _connect(config: Mapping[str, Any]) -> smtplib.SMTP:
    smtp = smtplib.SMTP(config["SMTP_HOST"], int(config["SMTP_PORT"]), timeout=float(config["SMTP_TIMEOUT"]))
    try:
        if config.get("SMTP_STARTTLS"):
            smtp.starttls(context=ssl.create_default_context())
        if config.get("SMTP_USERNAME"):
            smtp.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD") or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def _deliver(config: Mapping[str, Any], claimed: list[tuple[int, EmailMessage]]) -> dict[int, Exception | None]:
    """Each claimed row's fate: None when the server accepted it, else the exception."""
    try:
        smtp = _connect(config)
    except OSError as error:  # refused, timed out, TLS or login failed (SMTPException is an OSError)
        return {row_id: error for row_id, _ in claimed}
    results: dict[int, Exception | None] = {}
    try:
        for index, (row_id, message) in enumerate(claimed):
            try:
                smtp.send_message(message)
                results[row_id] = None
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as error:
                results[row_id] = error  # this message was refused; the connection still serves the others
            except OSError as error:
                # The connection is gone: the rest of the batch waits for the next run.
                results.update({later: error for later, _ in claimed[index:]})
                break
    finally:
        try:
            smtp.quit()
        except OSError:
            smtp.close()
    return results


def _record(config: Mapping[str, Any], results: dict[int, Exception | None], report: SendReport) -> None:
    now = config["CLOCK"]()
    sent = [row_id for row_id, error in results.items() if error is None]
    report.sent += len(sent)
    with database.session() as session:
        if sent:
            session.execute(
                update(EmailOutbox)
                .where(EmailOutbox.id.in_(sent), EmailOutbox.sent_at.is_(None))
                .values(sent_at=now, last_error=None, next_attempt_at=None)
                .execution_options(synchronize_session=False))
        for row_id, error in results.items():
            if error is None:
                continue
            report.failed += 1
            row = session.get(EmailOutbox, row_id, with_for_update=True)
            if row is not None and row.sent_at is None:  # None: erased meanwhile (privacy request)
                _fail(row, error, now)
        session.commit()


def _fail(row: EmailOutbox, error: Exception, now: datetime) -> None:
    # The type only: SMTP replies may quote addresses, and the outbox is no place for them.
    row.attempts += 1
    row.last_error = type(error).__name__[:200]
    row.next_attempt_at = now + backoff(row.attempts)
    log = logger.error if row.attempts >= LOUD_AFTER_ATTEMPTS else logger.warning
    log("email %s (%s) not sent, try %d: %s; next try at %s", row.id, row.kind, row.attempts,
        row.last_error, row.next_attempt_at.isoformat())


