"""Callbacks under stress: windows that close mid-offer or never open, stale requests, overseas numbers, races."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select, text

from directory_data.build import build_line
from directory_data.callback_settings import build_callback_settings, window_meets_hours
from directory_data.fields import DATA_DIR, Problems
from directory_data.lines import canonical_line
from directory_data.loader import DirectoryFiles
from routing.callbacks import check_callback_number
from store.callbacks import expire_stale, expire_stale_requests, save_request
from store.crypto import decrypt_number, encrypt_number
from phones.numbers import number_hash
from store.directory import load_documents
from store.extension import database, directory
from store.listeners import check_pin, create_listener, find_by_phone
from store.models import CallbackAttempt, CallbackRequest, EmailOutbox, LineRow, Listener
from tests.conftest import PEPPER, TEST_DATABASE_URL, at_paris
from tests.support.callbacks import (
    CONFIG,
    LINE_3977,
    MOBILE,
    SATURDAY_EVENING,
    ListenerPhone,
    PersonPhone,
    add_referent,
    dialled_person,
    dispatch,
    request_callback,
    requests_held,
)
from tests.support.directory_files import UPP, copy_directory, problems_of

ON_POSTGRESQL = TEST_DATABASE_URL != "sqlite"


def line_id(app, slug: str) -> int:
    with app.app_context(), database.session() as session:
        return session.scalar(select(LineRow.id).where(LineRow.slug == slug))


# --- 1. the window closes between the offer and the listener's "1" ----------------------------------------------


def test_window_closing_before_the_listener_accepts_leaves_the_request_for_its_next_window(live_app, rest, clock):
    request_callback(live_app, clock, window_keys=("2", "2"))  # mornings only, no message
    add_referent(live_app)
    clock.now = at_paris(2026, 11, 30, 11, 59, 50)  # Monday, ten seconds before the morning ends
    assert dispatch(live_app) == ["3977"]
    phone = ListenerPhone(live_app, rest, list(rest.calls)[0])
    clock.now += timedelta(seconds=5)
    whisper = phone.answer()
    clock.now = at_paris(2026, 11, 30, 12, 0, 5)  # the afternoon now: not the caller's window
    answer = phone.post(whisper.find("Gather").get("action"), Digits="1")
    assert answer.find("Dial") is None and answer.find("Hangup") is not None  # the caller is not dialled
    assert answer.find("Say") is not None
    [request] = requests_held(live_app)
    assert request.status == "pending" and request.attempts == 0 and request.last_outcome is None
    with live_app.app_context(), database.session() as session:
        [attempt] = session.scalars(select(CallbackAttempt)).all()
        listener = session.scalars(select(Listener)).one()
        assert attempt.status == "cancelled" and attempt.outcome is None
        assert listener.status == "available" and listener.missed_in_row == 0  # not counted as a miss
    clock.now = at_paris(2026, 12, 1, 9, 15)  # Tuesday morning: offered again, in its place
    dispatch(live_app)
    assert len(rest.calls) == 2


# --- 2. windows that never open, and requests left pending for weeks --------------------------------------------


def test_a_listed_window_that_never_meets_the_opening_hours_is_refused(tmp_path: Path):
    root = copy_directory(tmp_path)
    with (root / UPP).open("a", encoding="utf-8") as file:
        file.write("callback:\n  windows: [asap, morning, evening]\n")
    assert problems_of(root) == [
        "directory_data/lines/un-premier-pas.yaml: callback.windows: 'evening' (17:00-21:00) never meets the "
        "line's opening hours"
    ]


def test_default_windows_are_those_that_meet_the_line_hours(shipped_directory):
    lines = {doc["id"]: build_line(doc) for doc in shipped_directory.lines}
    assert lines["un-premier-pas"].callback.windows == ("asap", "morning", "afternoon")  # mon-fri 9h-17h
    assert lines["france-victimes"].callback.windows == ("asap", "morning", "afternoon", "evening")  # 9h-21h
    assert lines["3977"].callback.windows == ("asap", "morning", "afternoon")  # listed in its file
    overnight = build_callback_settings(None, {"sat": ["20:00-02:00"]})
    assert overnight.windows == ("asap", "evening")
    assert build_callback_settings(None, {"sun": ["06:00-09:00"]}).windows == ("asap",)
    assert build_callback_settings(None, {}).windows == ("asap",)  # never open: nothing better to offer
    assert window_meets_hours("evening", {"fri": ["20:30-24:00"]})
    assert not window_meets_hours("morning", {"fri": ["12:00-24:00"]})


def test_expire_after_days_is_read_and_bounded():
    raw = yaml.safe_load((DATA_DIR / "lines" / "3977.yaml").read_text())
    raw["callback"] = {"expire_after_days": 30}
    problems = Problems("3977.yaml")
    line = build_line(canonical_line(raw, problems))
    assert problems.found == [] and line.callback.expire_after_days == 30
    assert build_line(canonical_line({**raw, "callback": None}, Problems("x"))).callback.expire_after_days == 14
    raw["callback"] = {"expire_after_days": 91}
    problems = Problems("3977.yaml")
    canonical_line(raw, problems)
    assert problems.found == ["3977.yaml: callback.expire_after_days: must be a whole number from 1 to 90"]


def add_request(session, line, asked, status="pending", number=MOBILE):
    request = CallbackRequest(line_id=line, pool="x", number_hash=number_hash(number, PEPPER),
                              number_encrypted=encrypt_number(CONFIG, number), window="asap", requested_at=asked,
                              status=status, next_attempt_at=asked)
    session.add(request)
    session.flush()
    return request.id


def test_pending_requests_older_than_their_line_allows_expire(app, shipped_directory):
    now = at_paris(2026, 12, 20, 10, 0)
    with app.app_context(), database.session() as session:
        docs = [{**d, "callback": {**(d.get("callback") or {}), "expire_after_days": 30}} if d["id"] == "3977" else d
                for d in shipped_directory.lines]
        load_documents(session, DirectoryFiles(docs, shipped_directory.centres))
        session.commit()
        directory.invalidate()
    fv, l3977 = line_id(app, "france-victimes"), line_id(app, "3977")
    with app.app_context(), database.session() as session:
        stale = add_request(session, fv, now - timedelta(days=15))
        recent = add_request(session, fv, now - timedelta(days=13))
        being_tried = add_request(session, fv, now - timedelta(days=20), status="calling")
        longer = add_request(session, l3977, now - timedelta(days=20))
        too_long = add_request(session, l3977, now - timedelta(days=31))
        orphan = add_request(session, None, now - timedelta(days=15))
        session.commit()
        expired = expire_stale(session, now, directory.get(session, now))
        session.commit()
        assert sorted(r.id for r in expired) == sorted([stale, too_long, orphan])
        statuses = dict(session.execute(select(CallbackRequest.id, CallbackRequest.status)).all())
    assert statuses == {stale: "expired", recent: "pending", being_tried: "calling", longer: "pending",
                        too_long: "expired", orphan: "expired"}
    with app.app_context(), database.session() as session:
        request = session.get(CallbackRequest, stale)
        assert request.closed_at == now and request.next_attempt_at is None
        assert expire_stale_requests(session, now, {l3977: 30}) == []  # nothing left to expire
        assert [r.id for r in expire_stale_requests(session, now, {})] == [longer]  # 20 days > the default 14


# --- 3. France's overseas departments -----------------------------------------------------------------------------


@pytest.mark.parametrize("typed, number", [
    ("+262 692 12 34 56", "+262692123456"),  # La Réunion mobile
    ("0692 12 34 56", "+262692123456"),
    ("0262 21 12 34", "+262262211234"),  # La Réunion landline
    ("+590 690 12 34 56", "+590690123456"),  # Guadeloupe
    ("0690 12 34 56", "+590690123456"),
    ("0696 12 34 56", "+596696123456"),  # Martinique
    ("0694 20 12 34", "+594694201234"),  # Guyane
    ("0639 40 12 34", "+262639401234"),  # Mayotte
    ("+508 55 12 34", "+508551234"),  # Saint-Pierre-et-Miquelon
    ("06 12 34 56 78", "+33612345678"),  # still metropolitan first
])
def test_overseas_numbers_are_national_numbers_for_a_french_line(typed, number):
    check = check_callback_number(typed, "FR", False, (LINE_3977,))
    assert (check.number, check.problem) == (number, None)


def test_other_overseas_numbers_stay_international():
    assert check_callback_number("+687 75 12 34", "FR", False).problem == "international"  # New Caledonia
    assert check_callback_number("+262 692 12 34 56", "BE", False).problem == "international"


def test_a_reunion_mobile_typed_on_the_phone_is_saved(app, call):
    call(LINE_3977, at=SATURDAY_EVENING, caller="anonymous", presses=["#", "1", "0692123456#", "1", "1", "1"])
    [request] = requests_held(app)
    assert decrypt_number(CONFIG, request.number_encrypted) == "+262692123456"


# --- 4. races --------------------------------------------------------------------------------------------------


def held_at_barrier(monkeypatch, module, name: str, parties: int) -> None:
    """``module.name`` waits (up to a second) until every thread reaches it: all have read before any writes."""
    barrier = threading.Barrier(parties, timeout=1)
    real = getattr(module, name)

    def waiting(*args, **kwargs):
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass  # the others are held by a lock: go on alone
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, waiting)


def run_threads(target, count: int) -> list:
    results, errors = [], []

    def run(n):
        try:
            results.append(target(n))
        except BaseException as error:  # noqa: BLE001 — reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return results


def test_two_simultaneous_requests_from_one_number_make_one_row(app, clock, monkeypatch):
    import store.callbacks

    held_at_barrier(monkeypatch, store.callbacks, "encrypt_number", 2)  # after the look-up, before the insert
    l3977 = line_id(app, "3977")

    def request(n):
        with app.app_context(), database.session() as session:
            _, merged = save_request(session, CONFIG, line_id=l3977, call_id=None, pool="3977", number=MOBILE,
                                     window=("morning", "afternoon")[n], message_allowed=False, language="fr",
                                     caller_type=None, department=None, now=clock.now)
            session.commit()
            return merged

    assert sorted(run_threads(request, 2)) == [False, True]
    with app.app_context(), database.session() as session:
        assert session.scalar(select(func.count()).select_from(CallbackRequest)) == 1


def test_parallel_wrong_pins_all_count_towards_the_lockout(app, clock, monkeypatch):
    import store.listeners

    with app.app_context(), database.session() as session:
        create_listener(session, "Référent", "+33699000001", ["3977"], "1234", clock.now)
        session.commit()
    held_at_barrier(monkeypatch, store.listeners, "pin_matches", 5)

    def guess(n):
        with app.app_context(), database.session() as session:
            listener = find_by_phone(session, "+33699000001")
            verdict = check_pin(session, listener, f"99{n:02d}", clock.now)
            session.commit()
            return verdict

    assert sorted(run_threads(guess, 5)) == ["locked", "wrong", "wrong", "wrong", "wrong"]
    with app.app_context(), database.session() as session:
        listener = find_by_phone(session, "+33699000001")
        assert listener.pin_locked_until is not None
        assert check_pin(session, listener, "1234", clock.now) == "locked"  # even the right PIN, for now


@pytest.mark.skipif(not ON_POSTGRESQL, reason="on SQLite no other transaction can write during a webhook")
def test_the_listener_correction_does_not_overwrite_a_change_committed_meanwhile(live_app, rest, clock, monkeypatch):
    import ivr.callback_dial

    request_callback(live_app, clock)
    add_referent(live_app)
    clock.now = at_paris(2026, 11, 30, 10, 0)
    dispatch(live_app)
    phone = ListenerPhone(live_app, rest, list(rest.calls)[0])
    dial = phone.post(phone.answer().find("Gather").get("action"), Digits="1")
    rest.join(phone.sid, dial.find("Dial"))
    person = PersonPhone(live_app, rest, dialled_person(rest))
    person.answer()
    person.hang_up()
    after = phone.post(dial.find("Dial").get("action"), DialCallStatus="completed", CallStatus="in-progress")
    [request] = requests_held(live_app)
    assert request.status == "reached"
    real_field = ivr.callback_dial.field

    def field_after_another_writer(name):
        if name == "Digits":  # the turn has loaded the request; another transaction corrects it first
            with database.engine.begin() as connection:
                connection.execute(text("SET LOCAL lock_timeout = '2s'"))
                connection.execute(text("UPDATE callback_request SET status = 'wrong_number' WHERE id = :id"),
                                   {"id": request.id})
        return real_field(name)

    monkeypatch.setattr(ivr.callback_dial, "field", field_after_another_writer)
    phone.post(after.find("Gather").get("action"), Digits="2")
    [request] = requests_held(live_app)
    assert request.status == "wrong_number"


# --- 5. no number in the logs when an email cannot be built --------------------------------------------------------


def test_an_email_that_cannot_be_built_logs_the_error_type_only(app, clock, monkeypatch, caplog):
    import jobs.email
    from jobs.email import send_pending

    def broken(*args, **kwargs):
        raise ValueError(f"cannot format {MOBILE}")

    monkeypatch.setattr(jobs.email.templates, "callback_request", broken)
    fv = line_id(app, "france-victimes")
    with app.app_context(), database.session() as session:
        callback_id = add_request(session, fv, clock.now - timedelta(minutes=5))
        session.add(EmailOutbox(line_id=fv, callback_id=callback_id, kind="callback_request",
                                created_at=clock.now - timedelta(minutes=5)))
        session.commit()
    caplog.set_level(logging.DEBUG)
    assert send_pending(app).failed == 1
    built = [r for r in caplog.records if "could not be built" in r.getMessage()]
    assert [r.getMessage().rsplit(": ", 1)[1] for r in built] == ["ValueError"]
    assert all(r.exc_info is None and r.exc_text is None for r in caplog.records)
    assert MOBILE not in caplog.text and "612345678" not in caplog.text
