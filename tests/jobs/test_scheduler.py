"""The scheduler: one job per id across restarts, missed runs and the grace time, failures, override expiry."""

from __future__ import annotations

import logging
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED
from apscheduler.triggers.interval import IntervalTrigger
from click.testing import CliRunner
from sqlalchemy import select, text

from app import cli
from jobs import tasks as jobs
from jobs.scheduler import JOBS, JOBS_TABLE, build_scheduler
from store.directory import current_revision
from store.extension import database
from store.models import LineRow, OverrideRow
from store.overrides import expire
from tests.conftest import AUTH_TOKEN, CALLBACK_KEY, PEPPER, PUBLIC_URL, at_brussels
from tests.support.paths import REPO

UTC = timezone.utc
WAIT = 3.0  # seconds: the longest any test here waits for the real clock
RUNS: list[datetime] = []


def record_run() -> None:
    RUNS.append(datetime.now(UTC))


def _drop_jobs_table(app) -> None:
    # The fixtures' TRUNCATE only knows the models' tables; APScheduler's is not one of them.
    with app.app_context(), database.engine.begin() as connection:
        connection.execute(text(f"DROP TABLE IF EXISTS {JOBS_TABLE}"))


def _stored(app) -> list[tuple[str, float]]:
    with app.app_context(), database.engine.connect() as connection:
        rows = connection.execute(text(f"SELECT id, next_run_time FROM {JOBS_TABLE} ORDER BY id"))
        return [tuple(row) for row in rows]


def _event_seen(scheduler, mask: int, job_id: str) -> threading.Event:
    seen = threading.Event()
    scheduler.add_listener(lambda event: seen.set() if event.job_id == job_id else None, mask)
    return seen


@pytest.fixture
def scheduler_for(app, monkeypatch):
    """Builds background schedulers on the test database; stops them and drops their table afterwards."""
    _drop_jobs_table(app)
    RUNS.clear()
    built = []

    def build(**config):
        app.config.update(config)
        scheduler = build_scheduler(app, blocking=False)
        built.append(scheduler)
        return scheduler

    yield build
    for scheduler in built:
        if scheduler.running:
            scheduler.shutdown(wait=True)
    jobs.use_app(None)
    _drop_jobs_table(app)


# --- restarts ----------------------------------------------------------------------------------------------


def _job_functions(app) -> dict[str, str]:
    with app.app_context(), database.engine.connect() as connection:
        rows = connection.execute(text(f"SELECT id, job_state FROM {JOBS_TABLE}")).all()
    return {job_id: pickle.loads(state)["func"] for job_id, state in rows}


def test_jobs_stored_before_they_moved_to_jobs_tasks_keep_their_next_run_time(app, scheduler_for, caplog):
    first = scheduler_for()
    first.start(paused=True)
    first.shutdown()
    before = _stored(app)
    with app.app_context(), database.engine.begin() as connection:  # the rows as an older engine wrote them
        for job_id, state in connection.execute(text(f"SELECT id, job_state FROM {JOBS_TABLE}")).all():
            job = pickle.loads(state)
            job["func"] = job["func"].replace("jobs.tasks:", "schedules.jobs:")
            connection.execute(text(f"UPDATE {JOBS_TABLE} SET job_state = :state WHERE id = :id"),
                               {"state": pickle.dumps(job), "id": job_id})
    assert all(func.startswith("schedules.jobs:") for func in _job_functions(app).values())
    time.sleep(0.05)  # a rebuilt interval trigger would now count from a later moment

    with caplog.at_level(logging.WARNING):
        second = scheduler_for()
        second.start(paused=True)
        second.shutdown()

    assert _stored(app) == before
    assert _job_functions(app) == {definition.id: f"jobs.tasks:{definition.function.__name__}" for definition in JOBS}
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_restarted_scheduler_keeps_one_of_each_job_and_its_next_run_time(app, scheduler_for):
    first = scheduler_for()
    first.start(paused=True)
    first.add_job(record_run, "interval", hours=1, id="since-removed")
    first.shutdown()
    before = [(job_id, next_run) for job_id, next_run in _stored(app) if job_id != "since-removed"]
    time.sleep(0.05)  # a rebuilt interval trigger would now count from a later moment

    second = scheduler_for()
    second.start(paused=True)
    second.shutdown()

    after = _stored(app)
    assert [job_id for job_id, _ in after] == sorted(definition.id for definition in JOBS)
    assert after == before


def test_a_run_due_while_the_scheduler_was_stopped_happens_once_on_restart(app, scheduler_for):
    first = scheduler_for(SCHEDULER_GRACE_SECONDS=2)
    first.start(paused=True)
    first.modify_job("overrides", next_run_time=datetime.now(UTC) - timedelta(seconds=1))
    first.shutdown()

    second = scheduler_for(SCHEDULER_GRACE_SECONDS=2)
    ran = _event_seen(second, EVENT_JOB_EXECUTED, "overrides")
    second.start()
    assert ran.wait(WAIT)
    assert second.get_job("overrides").next_run_time > datetime.now(UTC)


# --- missed runs and the grace time ------------------------------------------------------------------------


def test_runs_missed_by_less_than_the_grace_time_run_once_on_start(scheduler_for):
    scheduler = scheduler_for(SCHEDULER_GRACE_SECONDS=2)
    now = datetime.now(UTC)
    # Six runs were missed, every second until half a second ago: the last is within the grace time.
    first_missed = now - timedelta(seconds=5.5)
    trigger = IntervalTrigger(seconds=1, start_date=first_missed, end_date=now, timezone=UTC)
    scheduler.add_job(record_run, trigger, id="missed", next_run_time=first_missed)
    ran = _event_seen(scheduler, EVENT_JOB_EXECUTED, "missed")
    scheduler.start()
    assert ran.wait(WAIT)
    scheduler.shutdown(wait=True)
    assert len(RUNS) == 1


def test_runs_missed_by_more_than_the_grace_time_are_skipped(scheduler_for):
    scheduler = scheduler_for(SCHEDULER_GRACE_SECONDS=2)
    now = datetime.now(UTC)
    first_missed = now - timedelta(seconds=8.5)
    trigger = IntervalTrigger(seconds=1, start_date=first_missed, end_date=now - timedelta(seconds=3), timezone=UTC)
    scheduler.add_job(record_run, trigger, id="missed", next_run_time=first_missed)
    skipped = _event_seen(scheduler, EVENT_JOB_MISSED, "missed")
    scheduler.start()
    assert skipped.wait(WAIT)
    scheduler.shutdown(wait=True)
    assert RUNS == []


# --- failures ----------------------------------------------------------------------------------------------


def test_a_failing_job_is_logged_by_type_only_and_the_scheduler_runs_on(app, scheduler_for, monkeypatch, caplog):
    def purge(_app):
        raise RuntimeError("could not reach +33612345678")

    monkeypatch.setattr("store.retention.purge", purge)
    caplog.set_level(logging.INFO)
    scheduler = scheduler_for()
    failed = _event_seen(scheduler, EVENT_JOB_ERROR, "purge")
    ran = _event_seen(scheduler, EVENT_JOB_EXECUTED, "overrides")
    scheduler.start()
    scheduler.modify_job("purge", next_run_time=datetime.now(UTC))
    assert failed.wait(WAIT)
    scheduler.modify_job("overrides", next_run_time=datetime.now(UTC))
    assert ran.wait(WAIT)

    assert scheduler.running
    assert "job purge failed: builtins.RuntimeError" in caplog.messages
    assert not [r for r in caplog.records if "+33612345678" in r.getMessage() or r.exc_info or r.exc_text]
    assert scheduler.get_job("purge").next_run_time.astimezone(ZoneInfo("Europe/Paris")).hour == 3


# --- override expiry ---------------------------------------------------------------------------------------


def test_override_expiry_deletes_the_overrides_that_are_over_and_tells_the_workers(app, clock, caplog):
    caplog.set_level(logging.INFO)
    clock.now = at_brussels(2026, 11, 24, 10, 0)  # a Tuesday; the line opens 09:00-19:00 on weekdays
    with app.app_context(), database.session() as session:
        schedule_id = session.scalar(select(LineRow.schedule_id).where(LineRow.slug == "ecoute-violences-conjugales"))
        rows = {
            "ended": OverrideRow(mode="closed", starts_at=at_brussels(2026, 11, 24, 8),
                                 until=at_brussels(2026, 11, 24, 9, 30)),
            "running": OverrideRow(mode="closed", starts_at=at_brussels(2026, 11, 24, 9, 30),
                                   until=at_brussels(2026, 11, 24, 11)),
            # Forced open on Monday evening "until the next change": that was Tuesday's 09:00 opening.
            "until_opening": OverrideRow(mode="open", starts_at=at_brussels(2026, 11, 23, 20), until=None),
            # Forced closed this morning "until the next change": the 19:00 closing, still to come.
            "until_closing": OverrideRow(mode="closed", starts_at=at_brussels(2026, 11, 24, 9, 45), until=None),
        }
        for row in rows.values():
            row.schedule_id = schedule_id
        session.add_all(rows.values())
        session.commit()
        ids = {name: row.id for name, row in rows.items()}
        revision = current_revision(session)

    expired = expire(app)

    assert sorted(override.id for override in expired) == sorted([ids["ended"], ids["until_opening"]])
    with app.app_context(), database.session() as session:
        assert set(session.scalars(select(OverrideRow.id))) == {ids["running"], ids["until_closing"]}
        assert current_revision(session) == revision + 1
    assert f"override {ids['ended']} on schedule {schedule_id} expired" in caplog.messages

    assert expire(app) == []  # nothing more is over: the workers are not made to reload for nothing
    with app.app_context(), database.session() as session:
        assert current_revision(session) == revision + 1

    clock.now = at_brussels(2026, 11, 24, 19, 0)
    assert sorted(override.id for override in expire(app)) == sorted([ids["running"], ids["until_closing"]])


# --- the command -------------------------------------------------------------------------------------------


def test_scheduler_help_needs_no_settings():
    result = CliRunner().invoke(cli, ["scheduler", "--help"])
    assert result.exit_code == 0, result.output
    assert "Run exactly one of these per database" in result.output


def test_the_scheduler_command_lists_its_jobs_and_stops_cleanly_on_sigterm(app, scheduler_for, tmp_path):
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
    }
    log = tmp_path / "scheduler.log"
    with log.open("w") as output:
        process = subprocess.Popen([sys.executable, "-c", "from app import cli; cli(['scheduler'])"],
                                   cwd=REPO, env=environment,
                                   stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20  # most of it is the interpreter importing the engine
        while "job sweep:" not in log.read_text() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
    said = log.read_text()
    for definition in JOBS:
        assert f"job {definition.id}: " in said
    assert "next run 20" in said
    assert "SIGTERM: stopping once the running jobs have finished" in said
    assert said.rstrip().endswith("scheduler stopped")


def test_scheduler_refuses_to_start_in_production_without_a_public_url(app):
    from app import cli

    app.config["PUBLIC_URL"] = None
    result = app.test_cli_runner().invoke(cli, ["scheduler"])
    assert result.exit_code != 0
    assert "set HELPLINE_PUBLIC_URL" in result.output
