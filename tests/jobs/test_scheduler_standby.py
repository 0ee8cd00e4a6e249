"""Two schedulers on one database: one runs the jobs, the other stands by and takes over when it is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from store.extension import database
from store.listeners import create_listener
from store.models import Listener
from store.scheduler_lock import LOCK_KEY
from tests.conftest import AUTH_TOKEN, CALLBACK_KEY, PEPPER, PUBLIC_URL
from tests.support.paths import REPO as ROOT



def start_scheduler(app, tmp_path: Path, name: str, poll_seconds: float = 0.2) -> tuple[subprocess.Popen, Path]:
    environment = {
        **os.environ,
        "HELPLINE_ENV": "production",
        "HELPLINE_DATABASE_URL": app.config["DATABASE_URL"],
        "HELPLINE_INSTANCE_PATH": str(tmp_path),
        "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "HELPLINE_NUMBER_PEPPER": PEPPER,
        "HELPLINE_CALLBACK_KEY": CALLBACK_KEY,
        "HELPLINE_PUBLIC_URL": PUBLIC_URL,
        "TWILIO_API_BASE_URL": "http://127.0.0.1:9",
        "HELPLINE_SCHEDULER_STANDBY_POLL_SECONDS": str(poll_seconds),
        "HELPLINE_LOG_LEVEL": "DEBUG",
    }
    log = tmp_path / f"{name}.log"
    with log.open("w") as output:
        process = subprocess.Popen([sys.executable, "-c", "from app import cli; cli(['scheduler'])"], cwd=ROOT,
                                   env=environment, stdout=output, stderr=subprocess.STDOUT)
    return process, log


def wait_for(condition, seconds: float, what: str, *logs: Path) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {seconds} s for {what}:\n" + "\n---\n".join(p.read_text()[-3000:] for p in logs))
        time.sleep(0.1)


def said(log: Path, words: str) -> bool:
    return words in log.read_text()


def listener_status(app, listener_id: int) -> str:
    with app.app_context(), database.session() as session:
        return session.scalar(select(Listener.status).where(Listener.id == listener_id))


def test_a_second_scheduler_stands_by_and_takes_over_when_the_first_is_killed(app, tmp_path):
    first, first_log = start_scheduler(app, tmp_path, "first")
    second = None
    try:
        wait_for(lambda: said(first_log, "active: this scheduler holds"), 30, "the first scheduler", first_log)
        second, second_log = start_scheduler(app, tmp_path, "second")
        wait_for(lambda: said(second_log, "standby: another scheduler holds"), 30, "the standby", second_log)
        time.sleep(1.0)  # several polls: the standby must keep waiting while the first one lives
        assert not said(second_log, "active:") and not said(second_log, "sweep: wrapups ended")

        first.send_signal(signal.SIGKILL)  # no goodbye: the lock must be freed by its holder's death alone
        first.wait(timeout=10)
        wait_for(lambda: said(second_log, "active: this scheduler holds"), 15, "the takeover", second_log)

        # A listener left "ringing" with no call behind it: only a running sweep frees them.
        with app.app_context(), database.session() as session:
            listener = create_listener(session, "Camille", "+33612000001", ["un-premier-pas"], "4821",
                                       app.config["CLOCK"]())
            listener.status = "ringing"
            session.commit()
            listener_id = listener.id
        wait_for(lambda: listener_status(app, listener_id) == "available", 40, "the sweep of the new scheduler",
                 second_log)
        assert not said(first_log, "sweep: wrapups ended")  # killed before its first sweep: the work is the standby's

        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=15) == 0, second_log.read_text()[-2000:]
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()


def test_a_standby_scheduler_stops_cleanly_on_sigterm_without_running_anything(app, tmp_path):
    first, first_log = start_scheduler(app, tmp_path, "first")
    second = None
    try:
        wait_for(lambda: said(first_log, "active: this scheduler holds"), 30, "the first scheduler", first_log)
        second, second_log = start_scheduler(app, tmp_path, "second")
        wait_for(lambda: said(second_log, "standby: another scheduler holds"), 30, "the standby", second_log)
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=10) == 0, second_log.read_text()[-2000:]
        assert "standby scheduler stopped" in second_log.read_text()
        assert "sweep: wrapups ended" not in second_log.read_text()
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=15) == 0, first_log.read_text()[-2000:]
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()


# --- the active scheduler's lock connection cut (PostgreSQL restarted, the network) ---------------------------

LOST_CONNECTION = "WARNING jobs.scheduler: lost the connection holding PostgreSQL advisory lock"


def on_postgresql(app):
    if not app.config["DATABASE_URL"].startswith("postgresql"):
        pytest.skip("the advisory lock's connection is PostgreSQL's")
    return create_engine(app.config["DATABASE_URL"], isolation_level="AUTOCOMMIT")


def cut_the_lock_connection(engine) -> None:
    """Ends the scheduler's lock session from the server's side, as a database restart does (this test's
    database only: each test session has its own)."""
    with engine.connect() as connection:
        pids = connection.scalars(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                       "AND application_name = 'helpline scheduler'")).all()
        assert len(pids) == 1, pids
        assert connection.scalar(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pids[0]})


def lock_is_free(engine) -> bool:
    with engine.connect() as connection:
        taken = connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY})
        if taken:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
        return not taken


def test_an_active_scheduler_whose_lock_connection_is_cut_says_so_and_holds_the_lock_again(app, tmp_path):
    engine = on_postgresql(app)
    scheduler, log = start_scheduler(app, tmp_path, "active")
    try:
        wait_for(lambda: said(log, "active: this scheduler holds"), 30, "the scheduler", log)
        cut_the_lock_connection(engine)
        wait_for(lambda: said(log, f"INFO jobs.scheduler: active: this scheduler holds PostgreSQL advisory lock "
                                   f"{LOCK_KEY} again"), 15, "the lock taken again", log)
        assert said(log, LOST_CONNECTION)
        assert scheduler.poll() is None and lock_is_free(engine)
        scheduler.send_signal(signal.SIGTERM)
        assert scheduler.wait(timeout=15) == 0, log.read_text()[-2000:]
    finally:
        if scheduler.poll() is None:
            scheduler.kill()
            scheduler.wait()
        engine.dispose()


def test_an_active_scheduler_whose_lock_was_taken_while_its_connection_was_cut_says_so_and_stops(app, tmp_path):
    engine = on_postgresql(app)
    # A check every 2 s: the rival below takes the freed lock well before the scheduler looks again.
    scheduler, log = start_scheduler(app, tmp_path, "active", poll_seconds=2)
    try:
        wait_for(lambda: said(log, "active: this scheduler holds"), 30, "the scheduler", log)
        with engine.connect() as rival:
            cut_the_lock_connection(engine)
            assert rival.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY})
            assert scheduler.wait(timeout=20) != 0
            rival.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
        written = log.read_text()
        assert LOST_CONNECTION in written
        assert f"ERROR jobs.scheduler: lost PostgreSQL advisory lock {LOCK_KEY}, another scheduler holds it: " \
               "stopping" in written
    finally:
        if scheduler.poll() is None:
            scheduler.kill()
            scheduler.wait()
        engine.dispose()


def test_a_scheduler_waiting_for_an_unreachable_database_does_not_claim_another_one_holds_the_lock(caplog):
    import logging
    import threading

    from jobs.scheduler import wait_for_lock
    from store.scheduler_lock import AdvisoryLock

    lock = AdvisoryLock("postgresql+psycopg://helpline@127.0.0.1:9/helpline")
    stopped = threading.Event()
    stopped.set()  # one try, then stop
    with caplog.at_level(logging.INFO, logger="jobs.scheduler"):
        assert wait_for_lock(lock, 0.01, stopped) is False
    said = " ".join(record.getMessage() for record in caplog.records)
    assert "standby: the database did not answer (OperationalError)" in said
    assert "another scheduler holds" not in said
