"""The email outbox against a real SMTP server on 127.0.0.1: content, retries, concurrent senders, digests."""

from __future__ import annotations

import logging
import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from directory_data.loader import DirectoryFiles
from jobs.digests import queue_daily_digests
from jobs.email import backoff, send_pending
from settings import load_settings
from store.crypto import encrypt_number
from phones.numbers import number_hash
from store.directory import load_documents
from store.extension import database, directory
from store.models import Call, CallbackRequest, EmailOutbox, LineRow
from tests.conftest import AUTH_TOKEN, CALLBACK_KEY, PEPPER, PUBLIC_URL, at_paris, make_test_app
from tests.support.smtp_server import SmtpTestServer, free_port

FV = "france-victimes"
FV_NUMBER = "+33199000116"
FV_ADDRESS = "08victimes@inavem.org"
CALLER = "+33612345678"
# Eight digits in a row, spaces or dots allowed between them: a phone number however it is written.
NUMBER_LIKE = re.compile(r"\d(?:[\s.]?\d){7,}")
EVENING = at_paris(2026, 11, 24, 22, 10)


@pytest.fixture
def smtp():
    server = SmtpTestServer().start()
    yield server
    server.stop()


@pytest.fixture
def app(database_url, clock, shipped_directory, smtp):
    """The shipped directory, mail going to the test SMTP server."""
    app = make_test_app(database_url, clock, SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, SMTP_TIMEOUT=5)
    with app.app_context(), database.session() as session:
        load_documents(session, shipped_directory)
        session.commit()
    yield app
    with app.app_context():
        database.engine.dispose()


def change_line(app, shipped_directory, slug: str, **changes) -> None:
    with app.app_context(), database.session() as session:
        lines = [{**doc, **changes} if doc["id"] == slug else doc for doc in shipped_directory.lines]
        load_documents(session, DirectoryFiles(lines, shipped_directory.centres))
        session.commit()
        directory.invalidate()


def line_id(app, slug: str = FV) -> int:
    with app.app_context(), database.session() as session:
        return session.scalar(select(LineRow.id).where(LineRow.slug == slug))


def add_call(app, at, slug: str = FV, outcome: str | None = None, closed_reason: str | None = None,
             sid: str | None = None) -> int:
    with app.app_context(), database.session() as session:
        call = Call(sid=sid or f"CA{at.timestamp():.0f}{outcome}{closed_reason}", line_id=line_id(app, slug),
                    caller_hash=number_hash(CALLER, PEPPER), started_at=at, outcome=outcome,
                    closed_reason=closed_reason, status="completed")
        session.add(call)
        session.commit()
        return call.id


def add_after_hours_email(app, at=EVENING, slug: str = FV) -> int:
    call_id = add_call(app, at, slug, outcome="ended_closed", closed_reason="holiday")
    with app.app_context(), database.session() as session:
        row = EmailOutbox(line_id=line_id(app, slug), call_id=call_id, kind="after_hours_call", created_at=at)
        session.add(row)
        session.commit()
        return row.id


def add_callback(app, at=EVENING, number: str | None = None, window: str = "morning", status: str = "pending",
                 email: bool = True) -> int:
    with app.app_context(), database.session() as session:
        request = CallbackRequest(
            line_id=line_id(app), pool=FV, number_hash=number_hash(number, PEPPER) if number else None,
            number_encrypted=encrypt_number(app.config, number) if number else None, window=window,
            message_allowed=False, requested_at=at, status=status, department="94")
        session.add(request)
        session.flush()
        if email:
            session.add(EmailOutbox(line_id=request.line_id, callback_id=request.id, kind="callback_request",
                                    created_at=at))
        session.commit()
        return request.id


def outbox(app) -> list[EmailOutbox]:
    with app.app_context(), database.session() as session:
        return list(session.scalars(select(EmailOutbox).order_by(EmailOutbox.id)))


# --- what the emails say ---------------------------------------------------------------------------------------


def test_after_hours_call_email_reaches_the_line_in_french_then_english_without_the_number(app, smtp, clock):
    add_after_hours_email(app)
    clock.now = EVENING + timedelta(seconds=30)

    report = send_pending(app)

    assert (report.sent, report.failed, report.skipped) == (1, 0, 0)
    [mail] = smtp.messages()
    assert mail.rcpt_tos == (FV_ADDRESS,)
    assert mail.mail_from == "helpline@localhost"
    message = mail.message
    assert message["Subject"] == "[France Victimes 116 006] Appel hors horaires / After-hours call"
    assert message["Auto-Submitted"] == "auto-generated"
    assert re.fullmatch(r"<outbox-\d+-\d+@localhost>", message["Message-ID"])
    assert message.get_content_type() == "text/plain" and message.get_content_charset() == "utf-8"
    text = mail.text
    french = text.index("Appel reçu hors des heures d'ouverture le 24/11/2026 à 22:10 (motif : jour férié)")
    english = text.index("Call received outside opening hours on 24/11/2026 at 22:10")
    assert text.startswith("France Victimes 116 006") and french < english
    assert "(reason: public holiday)" in text
    assert not NUMBER_LIKE.search(text) and "612345678" not in message.as_string()
    [row] = outbox(app)
    assert row.sent_at == clock.now and row.attempts == 0 and row.last_error is None


def test_closed_line_call_queues_an_email_that_is_delivered(app, smtp, call, clock, shipped_directory):
    change_line(app, shipped_directory, FV, email={"on_after_hours_call": True})

    call(FV_NUMBER, at=EVENING)
    send_pending(app)

    [mail] = smtp.messages()
    assert mail.rcpt_tos == (FV_ADDRESS,)
    assert "(motif : en dehors des horaires)" in mail.text and not NUMBER_LIKE.search(mail.text)


def test_callback_request_email_gives_the_window_and_never_the_number(app, smtp, clock):
    add_callback(app, number=CALLER, window="morning")
    add_callback(app, number=None, window="evening")
    clock.now = EVENING + timedelta(minutes=1)

    assert send_pending(app).sent == 2

    first, second = smtp.messages()
    assert first.message["Subject"] == "[France Victimes 116 006] Demande de rappel / Callback request"
    assert ("Demande de rappel reçue le 24/11/2026 à 22:10, créneau : matin, message autorisé : non."
            in first.text)
    assert "window: morning, message allowed: no" in first.text
    assert "créneau : soirée" in second.text and "window: evening" in second.text
    for mail in (first, second):
        assert not NUMBER_LIKE.search(mail.text) and "Département : 94" in mail.text


def test_callback_request_email_shows_the_number_nationally_when_the_line_allows_it(
        app, smtp, clock, shipped_directory):
    change_line(app, shipped_directory, FV, email={"include_number": True})
    add_callback(app, number=CALLER)

    send_pending(app)

    [mail] = smtp.messages()
    assert "Numéro à rappeler : 06 12 34 56 78" in mail.text


def test_line_without_an_address_or_with_that_kind_turned_off_is_skipped_not_retried(
        app, smtp, clock, shipped_directory):
    add_after_hours_email(app, slug="ecoute-violences-conjugales")
    change_line(app, shipped_directory, FV, email={"on_callback_request": False})
    add_callback(app)

    report = send_pending(app)

    assert (report.sent, report.failed, report.skipped) == (0, 0, 2)
    assert smtp.messages() == []
    no_address, turned_off = outbox(app)
    assert no_address.sent_at == clock.now and no_address.last_error == "skipped: line has no after-hours email address"
    assert turned_off.last_error == "skipped: line's email settings turn on_callback_request off"
    assert send_pending(app).skipped == 0


# --- failures and retries ---------------------------------------------------------------------------------


def test_backoff_grows_then_stays_hourly():
    assert [backoff(n) for n in (1, 2, 3, 4, 5, 48, 200)] == [
        timedelta(minutes=m) for m in (1, 5, 15, 60, 60, 60, 60)]


def test_mail_server_down_keeps_the_email_and_delivers_it_once_when_back(app, smtp, clock):
    add_after_hours_email(app)
    smtp.stop()

    report = send_pending(app)

    assert (report.sent, report.failed) == (0, 1)
    [row] = outbox(app)
    assert row.sent_at is None and row.attempts == 1 and row.last_error == "ConnectionRefusedError"
    assert row.next_attempt_at == clock.now + timedelta(minutes=1)

    smtp.start()
    assert send_pending(app).sent == 0  # not due yet
    clock.advance(61)
    assert send_pending(app).sent == 1
    assert send_pending(app).sent == 0
    assert len(smtp.messages()) == 1
    [row] = outbox(app)
    assert row.sent_at == clock.now and row.attempts == 1 and row.last_error is None


def test_after_two_days_of_failures_each_failure_is_logged_as_an_error(app, smtp, clock, caplog):
    row_id = add_after_hours_email(app)
    with app.app_context(), database.session() as session:
        session.get(EmailOutbox, row_id).attempts = 47
        session.commit()
    smtp.stop()

    with caplog.at_level(logging.WARNING, logger="jobs.email"):
        send_pending(app)
        clock.advance(3601)
        send_pending(app)

    assert [r.levelname for r in caplog.records] == ["ERROR", "ERROR"]
    [row] = outbox(app)
    assert row.attempts == 49 and row.next_attempt_at == clock.now + timedelta(hours=1) and row.sent_at is None


def test_a_refused_recipient_fails_alone_and_the_rest_of_the_batch_goes(app, smtp, clock, shipped_directory):
    change_line(app, shipped_directory, "ecoute-violences-conjugales", after_hours_email="bad@example.org")
    smtp.refused.add("bad@example.org")
    add_after_hours_email(app, slug="ecoute-violences-conjugales")
    add_after_hours_email(app, at=EVENING + timedelta(minutes=1))

    report = send_pending(app)

    assert (report.sent, report.failed) == (1, 1)
    refused, delivered = outbox(app)
    assert refused.last_error == "SMTPRecipientsRefused" and refused.attempts == 1 and delivered.sent_at
    assert [m.rcpt_tos for m in smtp.messages()] == [(FV_ADDRESS,)]


def test_unreachable_port_is_a_failure_not_a_crash(database_url, clock, shipped_directory):
    app = make_test_app(database_url, clock, SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), SMTP_TIMEOUT=2)
    with app.app_context(), database.session() as session:
        load_documents(session, shipped_directory)
        session.commit()
    add_after_hours_email(app)
    try:
        assert send_pending(app).failed == 1
    finally:
        with app.app_context():
            database.engine.dispose()


def test_concurrent_senders_deliver_each_email_exactly_once(app, smtp, clock):
    for n in range(30):
        add_after_hours_email(app, at=EVENING + timedelta(seconds=n))
    senders = 4
    barrier = threading.Barrier(senders)
    errors: list[BaseException] = []

    def sender() -> None:
        try:
            barrier.wait()
            while True:
                report = send_pending(app, limit=4)
                if report.sent + report.failed + report.skipped == 0:
                    return
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=sender) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    ids = [m.message["Message-ID"] for m in smtp.messages()]
    assert len(ids) == 30 and len(set(ids)) == 30
    assert all(row.sent_at is not None and row.attempts == 0 for row in outbox(app))


# --- the daily digest -----------------------------------------------------------------------------------------


def fill_monday(app) -> None:
    """Monday 23 November 2026, Paris time, on 08VICTIMES; plus calls just outside that day."""
    for hour, outcome, reason in ((10, "answered", None), (11, "answered", None), (12, "forwarded", None),
                                  (13, "handed_off", None), (14, "abandoned", None),
                                  (22, "ended_closed", "outside_hours")):
        add_call(app, at_paris(2026, 11, 23, hour, 5), outcome=outcome, closed_reason=reason)
    add_call(app, at_paris(2026, 11, 23, 0, 30), outcome="ended_closed", closed_reason="outside_hours")  # Sunday in UTC
    add_call(app, at_paris(2026, 11, 22, 23, 59), outcome="answered")  # Sunday: not counted
    add_call(app, at_paris(2026, 11, 24, 0, 1), outcome="answered")  # Tuesday: not counted
    for hour, status in ((20, "pending"), (21, "reached"), (21, "expired")):
        add_callback(app, at=at_paris(2026, 11, 23, hour, 30), status=status, email=False)
    add_callback(app, at=at_paris(2026, 11, 20, 9, 0), status="pending", email=False)


def test_daily_digest_is_queued_once_a_day_after_eight_and_counts_yesterday(app, smtp, clock):
    fill_monday(app)
    clock.now = at_paris(2026, 11, 24, 7, 59)
    assert queue_daily_digests(app, clock.now) == 0

    clock.now = at_paris(2026, 11, 24, 8, 0)
    assert queue_daily_digests(app, clock.now) == 1  # only 08VICTIMES has an after-hours address
    assert queue_daily_digests(app, clock.now + timedelta(hours=6)) == 0
    [row] = outbox(app)
    assert (row.kind, row.digest_day, row.line_id) == ("daily_digest", "2026-11-23", line_id(app))

    assert send_pending(app).sent == 1
    [mail] = smtp.messages()
    assert mail.rcpt_tos == (FV_ADDRESS,)
    assert mail.message["Subject"] == "[France Victimes 116 006] Bilan du 23/11/2026 / Daily summary"
    text = mail.text
    for line in ("- appels reçus : 7", "répondus par un écoutant : 2", "transférés : 1",
                 "orientés vers un centre départemental : 1", "hors des heures d'ouverture : 2",
                 "- demandes de rappel reçues : 3", "en attente : 1", "rappelés : 1", "expirées : 1",
                 "en attente, toutes dates : 2", "- calls received: 7", "outside opening hours: 2"):
        assert line in text
    assert text.index("Bilan du") < text.index("Summary of") and not NUMBER_LIKE.search(text)

    assert queue_daily_digests(app, at_paris(2026, 11, 25, 9, 0)) == 1


def test_digest_respects_the_line_setting(app, clock, shipped_directory):
    change_line(app, shipped_directory, FV, email={"daily_digest": False})
    assert queue_daily_digests(app, at_paris(2026, 11, 24, 9, 0)) == 0


def test_concurrent_digest_runs_queue_one_digest(app, clock):
    runs = 4
    barrier = threading.Barrier(runs)
    counts: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            counts.append(queue_daily_digests(app, at_paris(2026, 11, 24, 9, 0)))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == [] and sorted(counts) == [0, 0, 0, 1]
    with app.app_context(), database.session() as session:
        assert session.scalar(select(func.count()).select_from(EmailOutbox)) == 1


# --- settings ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw, expected", [("1", True), ("true", True), ("YES", True), ("0", False),
                                           ("false", False), ("no", False), ("", False)])
def test_smtp_starttls_is_read_as_a_boolean(tmp_path, raw, expected):
    secrets = {"TWILIO_AUTH_TOKEN": AUTH_TOKEN, "NUMBER_PEPPER": PEPPER, "CALLBACK_KEY": CALLBACK_KEY,
               "PUBLIC_URL": PUBLIC_URL}
    values = load_settings(tmp_path, secrets, environ={"HELPLINE_SMTP_STARTTLS": raw, "HELPLINE_SMTP_PORT": "587"})
    assert values["SMTP_STARTTLS"] is expected and values["SMTP_PORT"] == 587
    assert load_settings(tmp_path, secrets, environ={})["SMTP_STARTTLS"] is False
