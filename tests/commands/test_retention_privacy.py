"""Retention purge, a caller's access and erasure requests, and the `helpline privacy` commands."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import cli
from directory_data.loader import DirectoryFiles
from phones.numbers import caller_hash
from routing.queueing import ListenerStatus
from store.directory import load_documents
from store.extension import database, directory
from store.listeners import create_listener, set_status
from store.metrics import period_events
from store.models import (Base, Call, CallbackAttempt, CallbackRequest, CallEvent, EmailOutbox, LineRow,
                          QueuedCaller, QueueEvent)
from store.privacy import NumberError, erase_number, export_number, normalise
from store.retention import purge
from tests.conftest import PEPPER, at_brussels, at_paris, make_test_app

EVC = "+3225550300"
LINE_3977 = "+33199003977"
CALLER = "+33612345678"
CALLER_FORMS = ("+33612345678", "0612345678", "612345678", "33612345678", "06 12 34 56 78")
OTHER = "+33798765432"
TUESDAY = at_brussels(2026, 11, 24, 10, 0)  # both lines open
A_YEAR_AND_A_DAY = timedelta(days=366)


@pytest.fixture
def app(database_url, clock, shipped_directory):
    """The shipped directory, dispatch inline (so nothing runs behind the test's back), one paused listener:
    callers to Écoute Violences Conjugales are queued, and nobody is dialled."""
    clock.now = TUESDAY
    app = make_test_app(database_url, clock, DISPATCH_MODE="inline")
    with app.app_context(), database.session() as session:
        load_documents(session, shipped_directory)
        listener = create_listener(session, "Sam", "+32470111111", ["ecoute-violences-conjugales"], "1234", clock())
        set_status(session, listener, ListenerStatus.PAUSED, clock(), "test")
        session.commit()
    yield app
    with app.app_context():
        database.engine.dispose()


def with_retention(app, shipped_directory, slug: str, days: int) -> None:
    with app.app_context(), database.session() as session:
        lines = [{**doc, "retention_days": days} if doc["id"] == slug else doc for doc in shipped_directory.lines]
        load_documents(session, DirectoryFiles(lines, shipped_directory.centres))
        session.commit()
        directory.invalidate()


def count(app, model, *where) -> int:
    with app.app_context(), database.session() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def call_record(app, sid: str) -> Call | None:
    with app.app_context(), database.session() as session:
        return session.scalar(select(Call).where(Call.sid == sid))


def line_id(app, slug: str) -> int:
    with app.app_context(), database.session() as session:
        return session.scalar(select(LineRow.id).where(LineRow.slug == slug))


def add_callback(app, number: str, at, status: str = "pending", attempts: int = 0, slug="ecoute-violences-conjugales",
                 email_sent_at=None) -> int:
    from store.crypto import encrypt_number

    line = line_id(app, slug)
    with app.app_context(), database.session() as session:
        closed = status not in ("pending", "offered", "calling")
        request = CallbackRequest(line_id=line, pool=slug, number_hash=caller_hash(number, PEPPER),
                                  number_encrypted=encrypt_number(app.config, number), requested_at=at,
                                  status=status, next_attempt_at=None if closed else at,
                                  closed_at=at + timedelta(hours=1) if closed else None)
        session.add(request)
        session.flush()
        for n in range(attempts):
            session.add(CallbackAttempt(request_id=request.id, status="ended", outcome="no_answer",
                                        created_at=at + timedelta(minutes=n), expires_at=at + timedelta(minutes=n + 1)))
        session.add(EmailOutbox(line_id=request.line_id, callback_id=request.id, kind="callback_request",
                                created_at=at, sent_at=email_sent_at))
        session.commit()
        return request.id


def everything_stored(app) -> str:
    with app.app_context(), database.session() as session:
        return "\n".join(" ".join(str(value) for value in row)
                         for table in Base.metadata.sorted_tables for row in session.execute(table.select()))


def queue_metrics(app, start, end):
    with app.app_context(), database.session() as session:
        return period_events(session, start, end, directory.get(session, app.config["CLOCK"]()))


# --- the retention purge ------------------------------------------------------------------------------------------


def test_purge_anonymises_calls_past_retention_and_keeps_what_statistics_need(app, call, clock):
    queued = call(EVC, caller=CALLER, at=TUESDAY)
    handed = call(LINE_3977, caller=CALLER, presses=["94000#"], at=at_paris(2026, 11, 24, 10, 0))
    old = call_record(app, queued.call_sid)
    assert old.caller_hash and count(app, CallEvent, CallEvent.call_id == old.id) > 0
    assert count(app, QueueEvent) > 0, "the caller should have waited in the queue"
    young = call(EVC, caller=OTHER, at=TUESDAY + A_YEAR_AND_A_DAY)
    metrics_before = queue_metrics(app, TUESDAY - timedelta(hours=1), TUESDAY + timedelta(hours=1))
    queue_events_before = count(app, QueueEvent)

    report = purge(app)

    for sid in (queued.call_sid, handed.call_sid):
        assert call_record(app, sid) is None, "the Twilio call SID no longer names the record"
    assert report.calls_anonymised == 2 and report.call_events_deleted > 0 and report.queued_callers_anonymised == 1
    with app.app_context(), database.session() as session:
        kept = session.scalars(select(Call).where(Call.caller_hash.is_(None)).order_by(Call.id)).all()
        assert [c.id for c in kept] == [old.id, old.id + 1]
        assert all(c.sid.startswith("purged-") for c in kept)
        assert (kept[0].line_id, kept[0].started_at, kept[0].outcome) == (old.line_id, old.started_at, old.outcome)
        assert kept[1].outcome == "handed_off" and kept[1].department == "94"
        assert session.scalar(select(func.count()).select_from(CallEvent)
                              .where(CallEvent.call_id.in_([c.id for c in kept]))) == 0
        waited = session.scalars(select(QueuedCaller).order_by(QueuedCaller.id)).all()
        assert [(q.call_id, q.call_sid) for q in waited] == [(None, f"purged-{waited[0].id}"),
                                                             (old.id + 2, young.call_sid)]
    assert count(app, QueueEvent) == queue_events_before
    assert queue_metrics(app, TUESDAY - timedelta(hours=1), TUESDAY + timedelta(hours=1)) == metrics_before

    fresh = call_record(app, young.call_sid)
    assert fresh.caller_hash == caller_hash(OTHER, PEPPER)
    assert count(app, CallEvent, CallEvent.call_id == fresh.id) > 0


def test_purge_leaves_records_younger_than_retention_alone(app, call, clock):
    made = call(EVC, caller=CALLER, at=TUESDAY)
    events = count(app, CallEvent)
    clock.now = TUESDAY + timedelta(days=364)
    assert purge(app).total == 0
    assert call_record(app, made.call_sid).caller_hash == caller_hash(CALLER, PEPPER)
    assert count(app, CallEvent) == events


def test_purge_twice_changes_nothing_the_second_time(app, call, clock):
    call(EVC, caller=CALLER, at=TUESDAY)
    add_callback(app, CALLER, TUESDAY, status="reached", attempts=1)
    clock.now = TUESDAY + A_YEAR_AND_A_DAY
    assert purge(app).total > 0
    dump = everything_stored(app)
    assert purge(app).total == 0
    assert everything_stored(app) == dump


def test_a_line_with_a_shorter_retention_is_purged_sooner(app, call, clock, shipped_directory):
    with_retention(app, shipped_directory, "ecoute-violences-conjugales", 30)
    belgian = call(EVC, caller=CALLER, at=TUESDAY)
    french = call(LINE_3977, caller=CALLER, presses=["94000#"], at=at_paris(2026, 11, 24, 10, 0))
    clock.now = TUESDAY + timedelta(days=31)
    report = purge(app)
    assert report.calls_anonymised == 1
    assert call_record(app, belgian.call_sid) is None
    assert call_record(app, french.call_sid).caller_hash == caller_hash(CALLER, PEPPER)


def test_calls_without_a_line_are_kept_as_long_as_the_longest_kept_line(app, clock, shipped_directory):
    with_retention(app, shipped_directory, "ecoute-violences-conjugales", 30)
    with_retention(app, shipped_directory, "3977", 400)
    with app.app_context(), database.session() as session:
        for sid, days in (("CA-young", 380), ("CA-old", 401)):
            session.add(Call(sid=sid, line_id=None, caller_hash=caller_hash(CALLER, PEPPER),
                             started_at=TUESDAY - timedelta(days=days)))
        session.commit()
    assert purge(app).calls_anonymised == 1
    assert call_record(app, "CA-old") is None
    assert call_record(app, "CA-young").caller_hash is not None


def test_a_pending_callback_request_is_never_purged_but_a_closed_one_is(app, clock):
    pending = add_callback(app, CALLER, TUESDAY, status="pending")
    closed = add_callback(app, OTHER, TUESDAY, status="reached", attempts=2)
    clock.now = TUESDAY + timedelta(days=800)
    report = purge(app)
    assert (report.callback_requests_deleted, report.callback_attempts_deleted) == (1, 2)
    assert count(app, CallbackRequest, CallbackRequest.id == pending) == 1
    assert count(app, CallbackRequest, CallbackRequest.id == closed) == 0
    assert count(app, CallbackAttempt) == 0
    assert count(app, EmailOutbox, EmailOutbox.callback_id == closed) == 0
    assert count(app, EmailOutbox, EmailOutbox.callback_id == pending) == 1


def test_sent_emails_go_after_thirty_days_and_unsent_ones_stay(app, clock):
    add_callback(app, CALLER, TUESDAY, email_sent_at=TUESDAY)
    add_callback(app, OTHER, TUESDAY + timedelta(days=25), email_sent_at=TUESDAY + timedelta(days=25))
    add_callback(app, "+33611111111", TUESDAY)  # its email never went
    clock.now = TUESDAY + timedelta(days=31)
    assert purge(app).outbox_deleted == 1
    assert count(app, EmailOutbox) == 2
    assert count(app, CallbackRequest) == 3, "pending requests are kept"


def test_a_big_purge_works_in_small_batches(app, clock):
    line = line_id(app, "3977")
    with app.app_context(), database.session() as session:
        for n in range(7):
            record = Call(sid=f"CA-{n}", line_id=line, caller_hash=caller_hash(CALLER, PEPPER),
                          started_at=TUESDAY - timedelta(days=400))
            session.add(record)
            session.flush()
            session.add(CallEvent(call_id=record.id, at=record.started_at, kind="incoming", detail="line 3977"))
        session.commit()
    report = purge(app, batch_size=2)
    assert (report.calls_anonymised, report.call_events_deleted) == (7, 7)
    assert count(app, Call, Call.caller_hash.is_not(None)) == 0


# --- access and erasure --------------------------------------------------------------------------------------------


def test_export_holds_the_callers_calls_and_callbacks_and_nobody_elses(app, call):
    call(EVC, caller=CALLER, at=TUESDAY)
    call(LINE_3977, caller=CALLER, presses=["94000#"], at=at_paris(2026, 11, 24, 11, 0))
    call(EVC, caller=OTHER, at=at_brussels(2026, 11, 24, 12, 0))
    add_callback(app, CALLER, TUESDAY, status="reached", attempts=1)
    add_callback(app, OTHER, TUESDAY)

    exported = export_number(app, "06 12 34 56 78")

    assert [c["line"] for c in exported["calls"]] == ["ecoute-violences-conjugales", "3977"]
    assert all(c["started_at"] < at_paris(2026, 11, 24, 11, 30).isoformat() for c in exported["calls"])
    assert exported["calls"][0]["queue"][0]["pool"] == "ecoute-violences-conjugales"
    assert {e["kind"] for e in exported["calls"][1]["events"]} >= {"incoming", "handoff"}
    assert [r["status"] for r in exported["callback_requests"]] == ["reached"]
    assert exported["callback_requests"][0]["attempts"][0]["outcome"] == "no_answer"
    text = json.dumps(exported)
    for secret in (*CALLER_FORMS, caller_hash(CALLER, PEPPER), OTHER, caller_hash(OTHER, PEPPER)):
        assert secret not in text


@pytest.mark.parametrize("written", ["+33612345678", "0612345678", "06.12.34.56.78", "0033 6 12 34 56 78"])
def test_national_and_international_forms_name_the_same_number(written):
    assert normalise(written) == CALLER


def test_a_belgian_national_form_needs_its_country():
    assert normalise("0470 12 34 56", "BE") == "+32470123456"
    with pytest.raises(NumberError):
        normalise("not a number")


def test_erasure_leaves_no_trace_of_the_number_in_any_table(app, call):
    call(EVC, caller=CALLER, at=TUESDAY)
    call(LINE_3977, caller=CALLER, presses=["94000#"], at=at_paris(2026, 11, 24, 11, 0))
    call(EVC, caller=OTHER, at=at_brussels(2026, 11, 24, 12, 0))
    add_callback(app, CALLER, TUESDAY, status="reached", attempts=2, email_sent_at=TUESDAY)
    add_callback(app, CALLER, TUESDAY + timedelta(hours=2), slug="3977")
    calls_before, queue_events_before = count(app, Call), count(app, QueueEvent)
    assert caller_hash(CALLER, PEPPER) in everything_stored(app)

    report = erase_number(app, "+33 6 12 34 56 78")

    assert report.calls_anonymised == 2 and report.callback_requests_deleted == 2
    assert report.callback_attempts_deleted == 2 and report.queued_callers_anonymised == 1
    assert report.unsent_emails_deleted == 1 and report.outbox_unlinked == 1
    everything = everything_stored(app)
    for trace in (*CALLER_FORMS, caller_hash(CALLER, PEPPER)):
        assert trace not in everything
    assert caller_hash(OTHER, PEPPER) in everything, "another caller's records are untouched"
    assert count(app, Call) == calls_before and count(app, QueueEvent) == queue_events_before
    assert export_number(app, CALLER)["calls"] == []
    assert erase_number(app, CALLER).total == 0


# --- the commands --------------------------------------------------------------------------------------------------


def invoke(app, *args):
    return app.test_cli_runner().invoke(cli, ["privacy", *args])


def test_erase_command_refuses_without_yes(app, call):
    made = call(EVC, caller=CALLER, at=TUESDAY)
    refused = invoke(app, "erase", "0612345678")
    assert refused.exit_code != 0 and "--yes" in refused.stderr
    assert call_record(app, made.call_sid).caller_hash is not None
    done = invoke(app, "erase", "0612345678", "--yes")
    assert done.exit_code == 0, done.stderr
    assert "calls anonymised" in done.output
    assert call_record(app, made.call_sid) is None
    for form in CALLER_FORMS:
        assert form not in refused.output + refused.stderr + done.output + done.stderr


def test_export_command_prints_json_and_warns_of_personal_data(app, call, tmp_path):
    call(EVC, caller=CALLER, at=TUESDAY)
    printed = invoke(app, "export", "0612345678")
    assert printed.exit_code == 0, printed.stderr
    assert len(json.loads(printed.stdout)["calls"]) == 1
    assert "personal data" in printed.stderr
    target = tmp_path / "export.json"
    written = invoke(app, "export", "+33612345678", "--output", str(target))
    assert written.exit_code == 0 and written.stdout == ""
    assert json.loads(target.read_text())["calls"] == json.loads(printed.stdout)["calls"]
    assert target.stat().st_mode & 0o077 == 0


def test_commands_reject_what_is_not_a_number(app):
    result = invoke(app, "export", "hello")
    assert result.exit_code != 0 and "not a phone number" in result.stderr
    assert invoke(app, "erase", "0612345678", "--country", "XX", "--yes").exit_code != 0


def test_purge_command_prints_the_report(app, call, clock):
    call(EVC, caller=CALLER, at=TUESDAY)
    clock.now = TUESDAY + A_YEAR_AND_A_DAY
    result = invoke(app, "purge")
    assert result.exit_code == 0, result.stderr
    assert "calls anonymised" in result.output and "1" in result.output
    assert "nothing was due" in invoke(app, "purge").output
