"""The server side of the storm and fault scripts: settings, the directory, the database, gunicorn, the sweep."""

from __future__ import annotations

import http.client
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks._storm_calls import ACCOUNT_SID, POOLS, ROOT, START, free_port

# --- the server side ------------------------------------------------------------------------------------


def production_environment(database_url: str, public_url: str, rest_base: str, auth_token: str) -> dict[str, str]:
    from store.crypto import new_key

    return {
        **os.environ,
        "HELPLINE_ENV": "production",
        "HELPLINE_DATABASE_URL": database_url,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": auth_token,
        "HELPLINE_NUMBER_PEPPER": secrets.token_hex(16),
        "HELPLINE_CALLBACK_KEY": new_key(),
        "HELPLINE_SECRET_KEY": secrets.token_hex(32),
        "HELPLINE_PUBLIC_URL": public_url,
        "TWILIO_API_BASE_URL": rest_base,
        "HELPLINE_EMERGENCY_FALLBACK": "+33199000999",
        "HELPLINE_SMTP_HOST": "127.0.0.1",
        "HELPLINE_SMTP_PORT": "9",
        "HELPLINE_LOG_LEVEL": "WARNING",
        "HELPLINE_LOG_FORMAT": "json",
        "HELPLINE_STORM_START": START.isoformat(),
        "HELPLINE_STORM_ANCHOR": str(time.time()),
    }


def storm_directory(target: Path) -> Path:
    """The shipped directory with the listeners' wrap-up cut to 1 s (the wait documents' pauses are cut by the player).

    Everything else (hours, menus, chains, queue sizes, strategies) is as shipped."""
    import yaml

    from directory_data.fields import DATA_DIR

    shutil.copytree(DATA_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    for path in sorted((target / "lines").glob("*.yaml")):
        document = yaml.safe_load(path.read_text())
        document["queue"] = {**(document.get("queue") or {}), "wrapup": {"default": 1}}
        path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False))
    return target


def prepare_database(environment: dict[str, str], directory: Path, listeners_per_pool: int) -> None:
    """Migrate, load the directory and log in ``listeners_per_pool`` available listeners in every pool."""
    from app import create_app
    from benchmarks.storm_app import clock_from_environment
    from routing.queueing import ListenerStatus
    from commands.database import load_directory_files
    from store.db import upgrade
    from store.extension import database
    from store.listeners import create_listener, set_status

    saved = dict(os.environ)
    os.environ.update(environment)
    try:
        app = create_app({"CLOCK": clock_from_environment()})
    finally:
        os.environ.clear()
        os.environ.update(saved)
    with app.app_context():
        upgrade(database.engine)
        load_directory_files(directory)
        now = app.config["CLOCK"]()
        with database.session() as session:
            for pool_number, pool in enumerate(POOLS):
                for n in range(listeners_per_pool):
                    listener = create_listener(session, f"{pool} {n}", f"+3361{pool_number}{n:06d}", [pool],
                                               "4821", now, languages=("fr", "en"))
                    set_status(session, listener, ListenerStatus.AVAILABLE, now, "chosen (load script)")
            session.commit()
        database.engine.dispose()


@dataclass
class Gunicorn:
    process: subprocess.Popen
    port: int
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        try:
            return [int(p) for p in Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
                    .read_text().split()]
        except OSError:
            return []

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_gunicorn(target: str, environment: dict[str, str], port: int, workers: int, log: Path) -> Gunicorn:
    command = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "-w", str(workers),
               "-b", f"127.0.0.1:{port}", "--log-level", "warning", "--access-logfile", "/dev/null", target]
    with log.open("ab") as output:
        process = subprocess.Popen(command, env=environment, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
    server = Gunicorn(process, port, log)
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited ({process.returncode}):\n{log.read_text()[-3000:]}")
        if len(server.worker_pids()) == workers and _answers(port):
            return server
        time.sleep(0.2)
    server.stop()
    raise SystemExit("gunicorn did not start within 40 s")


def serve_storm(emulator, database_url: str, work: Path, listeners: int, workers: int) -> tuple[dict[str, str], Gunicorn]:
    """The server side of a storm, ready to play: the emulator's REST API started, the production settings, the
    database migrated and loaded with ``listeners`` available listeners per pool, gunicorn serving the storm
    app on ``workers`` workers, and the emulator's webhooks pointed at it. Returns the settings and the server."""
    from benchmarks._storm_calls import Webhooks

    port = free_port()
    emulator.rest.start()
    environment = production_environment(database_url, f"http://127.0.0.1:{port}", emulator.rest.base_url,
                                         emulator.auth_token)
    prepare_database(environment, storm_directory(work / "directory"), listeners)
    server = start_gunicorn("benchmarks.storm_app:create()", environment, port, workers, work / "gunicorn.log")
    emulator.webhooks = Webhooks(server.base_url, emulator.auth_token, emulator.stats)
    return environment, server


def _answers(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/voice/incoming")
        return connection.getresponse().status < 500
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def leftovers(database_url: str) -> dict[str, int]:
    """What a drained storm must not leave behind: listeners ringing or on call, callers waiting or offered."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            listeners = connection.execute(text(
                "SELECT count(*) FROM listener WHERE status IN ('ringing', 'on_call')")).scalar()
            callers = connection.execute(text(
                "SELECT count(*) FROM queued_caller WHERE status IN ('waiting', 'offered')")).scalar()
            offers = connection.execute(text(
                "SELECT count(*) FROM offer WHERE status IN ('dialling', 'ringing', 'answered', 'accepted')")).scalar()
    finally:
        engine.dispose()
    return {"listeners ringing or on call": listeners, "callers still waiting": callers, "offers still live": offers}


def busy_cpu_seconds() -> float:
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def process_tree_cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


# The sweep as the scheduler runs it, every 15 s, for the 13 minutes after the storm — by then each open
# conversation has reached 10 minutes of age, when it is checked with Twilio, and each caller not heard from
# in their queue for longer than its wait document's loop has been checked — then once 4 hours on. Offsets in
# seconds after the storm.
SWEEPS = (("now", [0, 15]), ("next 13 min", [30 + 15 * n for n in range(51)]), ("4 h on", [4 * 3600 + 60]))


def app_for(environment: dict[str, str], later: list[float]):
    """The engine in this process, on the storm's settings and clock, ``later[0]`` seconds on."""
    from datetime import timedelta

    from app import create_app
    from benchmarks.storm_app import clock_from_environment

    saved = dict(os.environ)
    os.environ.update(environment)
    try:
        clock = clock_from_environment()
        return create_app({"CLOCK": lambda: clock() + timedelta(seconds=later[0]), "DISPATCH_MODE": "inline",
                           "LOG_LEVEL": "WARNING"})
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run_sweeps(environment: dict[str, str], offsets: list[float]) -> str:
    """Passes of the scheduler's sweep, as `helpline sweep` runs it, ``offsets`` seconds on; what they did."""
    from ivr.sweep import sweep
    from store.extension import database

    later = [0.0]
    app = app_for(environment, later)
    done: dict[str, int] = {}
    try:
        for offset in offsets:
            later[0] = offset
            report = sweep(app)
            for name, value in report.__dict__.items():
                done[name] = done.get(name, 0) + (len(value) if isinstance(value, list) else value)
    finally:
        with app.app_context():
            database.engine.dispose()
    return ", ".join(f"{name.replace('_', ' ')} {count}" for name, count in done.items() if count) or "nothing to do"


def saved_callbacks(database_url: str) -> set[str]:
    """The CallSids of the calls whose callback request is in the database."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return set(connection.execute(text(
                "SELECT c.sid FROM callback_request r JOIN call c ON c.id = r.call_id")).scalars())
    finally:
        engine.dispose()


class PeriodicSweep:
    """The scheduler's sweep every 15 s during a storm, in a thread of this process, on the storm's clock."""

    def __init__(self, environment: dict[str, str], every: float = 15.0):
        import threading

        self.app = app_for(environment, [0.0])
        self.every = every
        self.passes = 0
        self.failures = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="storm-sweep", daemon=True)

    def start(self) -> "PeriodicSweep":
        self._thread.start()
        return self

    def _run(self) -> None:
        from ivr.sweep import sweep

        while not self._stop.wait(self.every):
            try:
                sweep(self.app)
                self.passes += 1
            except Exception:  # noqa: BLE001 — the database is down: the scheduler logs it and tries again
                self.failures += 1

    def stop(self) -> None:
        from store.extension import database

        self._stop.set()
        self._thread.join(timeout=60)
        with self.app.app_context():
            database.engine.dispose()
