"""The servers the webhook benchmarks start: gunicorn on a free loopback port with a chosen worker class, the
database it serves from (a SQLite file or a temporary PostgreSQL database, migrated, the directory loaded), the
production settings given in the environment, and the CPU and memory it costs."""

from __future__ import annotations

import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PUBLIC_URL = "https://ivr.example.org"
PATH = "/voice/incoming"
CLK_TCK = os.sysconf("SC_CLK_TCK")

# The worker class production serves the webhooks with (gunicorn.conf.py): threads that read a whole request
# before a thread takes it, so a slow client holds no thread.
SHIPPED_WORKER = "serving.WholeRequestThreadWorker"


def postgres_backend_cpu(database_url: str | None) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend connected to this run's database (none without one): other
    databases' backends, and the other engineers' on a shared machine, are not this run's."""
    if not database_url:
        return {}
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    engine = create_engine(url.set(database="postgres"))
    try:
        with engine.connect() as connection:
            pids = connection.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = :name"),
                                      {"name": url.database}).scalars().all()
    finally:
        engine.dispose()
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / CLK_TCK
    return found


def backend_cpu_between(before: dict[int, float], after: dict[int, float]) -> float:
    """What the backends spent in between (a backend born meanwhile counts in full; one gone is lost)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    log: Path

    def worker_pids(self) -> list[int]:
        try:
            text = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in text.split()]

    def cpu_seconds(self) -> float:
        total = 0
        for pid in self.worker_pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / CLK_TCK

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def answers(port: int) -> bool:
    """The app is loaded in a worker: an unsigned GET is answered (403 from the real app, 200 from the bare)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", PATH)
        return connection.getresponse().status < 500
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def start_gunicorn(target: str, env: dict[str, str], args, log: Path) -> Server:
    port = free_port()
    # An empty config file: gunicorn would otherwise load the production gunicorn.conf.py from the working
    # directory (its access log and worker recycling would be measured too, and differently per app).
    config = log.parent / "gunicorn-benchmark.conf.py"
    config.write_text("")
    command = [
        sys.executable, "-m", "gunicorn",
        "--config", str(config),
        "--workers", "2",
        "--worker-class", SHIPPED_WORKER if args.worker_class == "shipped" else args.worker_class,
        "--bind", f"127.0.0.1:{port}",
        "--chdir", str(ROOT),
        "--error-logfile", "-",
        "--log-level", "warning",
        "--timeout", "30",
    ]  # fmt: skip
    if args.worker_class in ("gthread", "shipped"):
        command += ["--threads", str(args.threads)]
    command.append(target)
    with log.open("ab") as output:  # gunicorn's and the app's logs (the app logs to stderr)
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT, cwd=ROOT)
    server = Server(process, port, log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited ({process.returncode}) serving {target}:\n{log.read_text()[-3000:]}")
        if len(server.worker_pids()) == 2 and answers(port):
            return server
        time.sleep(0.1)
    server.stop()
    raise SystemExit(f"gunicorn did not start serving {target} within 30 s")


def production_settings() -> dict[str, str]:
    """Fresh secrets for every secret the app requires in production (by setting name)."""
    from settings import SETTINGS

    values = {
        "TWILIO_ACCOUNT_SID": "AC" + secrets.token_hex(16),
        "TWILIO_AUTH_TOKEN": secrets.token_hex(16),
        "NUMBER_PEPPER": secrets.token_hex(16),
        "PUBLIC_URL": PUBLIC_URL,
        # The seed pools have no listener, so nothing should dial out; if something did, it would reach a
        # closed port on this machine, never Twilio.
        "TWILIO_API_BASE_URL": "http://127.0.0.1:9",
    }
    if "CALLBACK_KEY" in SETTINGS:  # a Fernet key that encrypts callback numbers
        from store.crypto import new_key

        values["CALLBACK_KEY"] = new_key()
    if "SECRET_KEY" in SETTINGS:  # signs the console's cookies
        values["SECRET_KEY"] = secrets.token_urlsafe(48)
    return values


def prepare_database(url: str, settings_: dict[str, str]) -> None:
    """Migrate and load the shipped directory, as `helpline db upgrade` and `helpline directory load` do, then
    prepare the public holidays as gunicorn.conf.py does before its workers start (app.prepare_holidays)."""
    from app import create_app, prepare_holidays
    from directory_data.fields import DATA_DIR
    from commands.database import load_directory_files
    from store.db import upgrade
    from store.extension import database

    app = create_app({"ENVIRONMENT": "production", "DATABASE_URL": url, "LOG_LEVEL": "WARNING", **settings_})
    with app.app_context():
        upgrade(database.engine)
        report = load_directory_files(DATA_DIR)
    if not report.created:
        raise SystemExit("the directory load created nothing: is the database really fresh?")
    prepare_holidays(app)
    with app.app_context():
        database.engine.dispose()


class PostgresDatabase:
    """A temporary database next to the one named in --database-url, dropped at the end."""

    def __init__(self, url: str):
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url

        base = make_url(url)
        if base.host not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit("--database-url must point to a server on this machine (127.0.0.1)")
        self.name = f"helpline_bench_{secrets.token_hex(5)}"
        self.url = base.set(database=self.name).render_as_string(hide_password=False)
        self._admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")

    def create(self) -> None:
        from sqlalchemy import text

        with self._admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{self.name}"'))

    def drop(self) -> None:
        from sqlalchemy import text

        with self._admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self._admin.dispose()


def worker_rss_mb(server: Server) -> float:
    """The largest resident set of the server's workers, in MB."""
    found = 0
    for pid in server.worker_pids():
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
        if match:
            found = max(found, int(match.group(1)))
    return found / 1024
