"""Fault: ten yearly reports asked for at once while Twilio's webhooks arrive; the webhooks must not wait.

    python benchmarks/fault_reports.py --database-url postgresql+psycopg://root@127.0.0.1:5432/x --existing NAME

Both pools run as in production, with the shipped files as they are (only the ports differ): the webhooks'
(gunicorn.conf.py) and the console's (gunicorn_console.conf.py), on one PostgreSQL database holding a year of
history — ``--existing NAME``, a database kept by ``report_timing.py --keep`` (1 M calls), or else a temporary
one loaded with ``--calls`` calls (benchmarks/history.py) and dropped at the end. On 127.0.0.1, bounded:

  1. baseline: signed incoming calls (new callers, valid unique CallSids, ``--rate`` a second, each on a new
     connection, as the proxy opens them) to the webhooks' pool for ``--seconds``;
  2. the same, while an admin asks the console's pool for ten yearly reports of France Victimes at once (ten
     target levels: ten different reports, none cached), until every report has answered.

Printed: the calls' p50/p99/max in both phases and their ratio, each report's status and time, and the load
average at the start and end of each phase (the machine may be shared: a p99 means little without it). The
target: webhooks' p99 under 100 ms while the reports run.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import secrets
import shutil
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._serving import (  # noqa: E402
    PostgresDatabase,
    Prober,
    prepare_database,
    production_settings,
    serve,
    server_env,
)

REPORTS = 10
LINE = "france-victimes"


class Console:
    """An admin's browser, reduced to a cookie and http.client (the session cookie is Secure: kept by hand)."""

    def __init__(self, port: int):
        self.port, self.cookie = port, ""

    def request(self, method: str, path: str, body: dict | None = None, timeout: float = 60):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, urlencode(body) if body is not None else None, headers)
        answer = connection.getresponse()
        data = answer.read()
        connection.close()
        for name, value in answer.getheaders():
            if name.lower() == "set-cookie":
                self.cookie = value.split(";", 1)[0]
        return answer.status, data

    def sign_in(self, email: str, password: str) -> None:
        _, page = self.request("GET", "/console/login")
        token = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
        status, _ = self.request("POST", "/console/login", {"email": email, "password": password,
                                                            "csrf_token": token})
        if status not in (302, 303):
            raise SystemExit(f"the admin could not sign in (HTTP {status})")


def load() -> str:
    """The 1-minute load average, and the cores it is shared by."""
    return f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def make_admin(url: str, settings_: dict[str, str]) -> tuple[str, str]:
    from app import create_app
    from console.accounts.records import create_account
    from store.extension import database

    email, password = f"fault-admin-{secrets.token_hex(4)}@example.org", "a long fault password " + secrets.token_hex(8)
    app = create_app({"ENVIRONMENT": "production", "DATABASE_URL": url, "LOG_LEVEL": "WARNING", **settings_})
    with app.app_context():
        with database.session() as session:
            create_account(session, email=email, name="Fault Admin", password=password, role="admin", lines=(),
                           centres=(), language="fr", now=datetime.now(timezone.utc))
            session.commit()
        database.engine.dispose()
    return email, password


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="postgresql+psycopg://root@127.0.0.1:5432/<any>")
    parser.add_argument("--existing", help="a database with a year of history (report_timing.py --keep)")
    parser.add_argument("--calls", type=int, default=200_000, help="history to load without --existing")
    parser.add_argument("--rate", type=float, default=20.0, help="incoming calls a second (default 20)")
    parser.add_argument("--seconds", type=float, default=15.0, help="baseline length (default 15)")
    args = parser.parse_args()
    if not 1 <= args.rate <= 100 or not 1 <= args.seconds <= 60 or not 1_000 <= args.calls <= 1_000_000:
        parser.error("keep it bounded: 1-100 calls/s, 1-60 s, 1,000-1,000,000 calls")
    settings_ = production_settings()
    settings_["SECRET_KEY"] = secrets.token_urlsafe(48)
    postgres = PostgresDatabase(args.database_url)
    if args.existing:
        postgres.name, postgres.url = args.existing, postgres.url.rsplit("/", 1)[0] + "/" + args.existing
    work = Path(tempfile.mkdtemp(prefix="helpline-reports-fault-"))
    servers = []
    try:
        if not args.existing:
            from sqlalchemy import create_engine

            from benchmarks.history import History

            postgres.create()
            prepare_database(postgres.url, settings_)
            engine = create_engine(postgres.url)
            History(engine, 2025, args.calls, seed=17).load()
            engine.dispose()
        email, password = make_admin(postgres.url, settings_)
        env = server_env(settings_, postgres.url)
        webhooks = serve("gunicorn.conf.py", env, work / "webhooks.log")
        console = serve("gunicorn_console.conf.py", env, work / "console.log")
        servers += [webhooks, console]
        print(f"fault_reports: webhooks' pool {len(webhooks.worker_pids())} workers (gunicorn.conf.py), console's "
              f"pool {len(console.worker_pids())} workers (gunicorn_console.conf.py), PostgreSQL {postgres.name}; "
              f"calls {args.rate:g}/s")
        admin = Console(console.port)
        admin.sign_in(email, password)
        run = secrets.token_hex(4)
        baseline = Prober(webhooks.port, settings_["TWILIO_AUTH_TOKEN"], rate=args.rate)
        loads = [load()]
        baseline.run_for(args.seconds, run + "0")
        loads.append(load())
        print(f"  baseline:              {baseline.summary()} ({loads[0]} before, {loads[1]} after)")

        answers: list[tuple[int, int, float]] = []

        def ask(target: int) -> None:
            began = time.perf_counter()
            status, _ = Console.request(admin, "GET", f"/console/reports/lines/{LINE}?from=2025-01-01&to=2025-12-31"
                                                      f"&target={target}", timeout=120)
            answers.append((target, status, time.perf_counter() - began))

        askers = [threading.Thread(target=ask, args=(80 + n,)) for n in range(REPORTS)]
        during = Prober(webhooks.port, settings_["TWILIO_AUTH_TOKEN"], rate=args.rate)
        started = time.monotonic()
        for thread in askers:
            thread.start()
        probing = threading.Thread(target=lambda: [during.run_for(1.0, f"{run}{n:03x}") for n in range(1000)
                                                   if any(t.is_alive() for t in askers)], daemon=True)
        probing.start()
        for thread in askers:
            thread.join()
        reports_done = time.monotonic() - started
        probing.join(timeout=5)
        print(f"  with {REPORTS} reports running: {during.summary()} ({load()} at the end)")
        for target, status, seconds in sorted(answers):
            print(f"    yearly report (target {target} %): HTTP {status} in {seconds:.1f} s")
        ratio = during.p99_ms() / max(baseline.p99_ms(), 0.001)
        print(f"all {REPORTS} reports answered within {reports_done:.1f} s; ratio p99 with/without reports: "
              f"{ratio:.1f}; webhooks p99 {during.p99_ms():.0f} ms "
              f"({'meets' if during.p99_ms() < 100 and during.failures == 0 else 'misses'} the target < 100 ms)")
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
        if not args.existing:
            postgres.drop()


if __name__ == "__main__":
    main()
