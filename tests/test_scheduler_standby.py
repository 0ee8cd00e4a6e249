"""Two schedulers on one database: one runs the jobs, the other stands by and takes over when it is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

from store.extension import database
from store.listeners import create_listener
from store.models import Listener
from tests.conftest import AUTH_TOKEN, CALLBACK_KEY, PEPPER, PUBLIC_URL

ROOT = Path(__file__).resolve().parent.parent


def start_scheduler(app, tmp_path: Path, name: str) -> tuple[subprocess.Popen, Path]:
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
        "HELPLINE_SCHEDULER_STANDBY_POLL_SECONDS": "0.2",
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
