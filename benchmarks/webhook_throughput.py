"""Throughput and latency of the incoming-call webhook under gunicorn, against a bare Flask floor.

What is measured
    The same gunicorn set-up (2 workers, sync by default; ``--worker-class gthread --threads N`` to compare,
    ``--worker-class shipped --threads N`` for gunicorn.conf.py's serving.WholeRequestThreadWorker)
    on 127.0.0.1 serves, one after the other:

    * ``bare``: benchmarks/bare_app.py, one endpoint answering a constant TwiML string;
    * ``floor``: benchmarks/recorded_app.py, the least a signed webhook that records its call can do with
      this stack: twilio's signature check, then the call's row and one event written with SQLAlchemy Core
      in one transaction on the same database; constant TwiML;
    * ``real``: the helpline app (``app.create_app()``, HELPLINE_ENV=production, secrets given explicitly
      in the environment) on a fresh SQLite file, migrated and with the shipped directory loaded
      (``--database-url postgresql+psycopg://root@127.0.0.1:5432/x`` uses a temporary PostgreSQL database
      ``helpline_bench_<random>`` instead, dropped at the end). By default its clock cycles over fixed
      instants (benchmarks/clocked_app.py: open, evening, night, weekend, public holiday) so the figures
      do not depend on when the script runs; ``--clock real`` serves ``app:create_app()`` as is.

    Both are driven by the same closed-loop load generator for the same duration, after a warm-up:
    ``wrk`` (one thread, ``--connections`` connections; apt-get install -y wrk) replaying requests signed
    beforehand, or ``--client python`` (threads with http.client) where wrk is missing. Every request is
    a distinct call: POST /voice/incoming with a valid, unique CallSid (CA + 32 hex digits), a valid
    X-Twilio-Signature, To rotating over the seed lines' numbers, and From as ``caller_mix``: 80 % callers new
    to the line, 10 % withheld ("anonymous", "+266696687", "restricted"), 10 % returning callers (about 4
    calls each in the run, under the seed lines' repeat-call throttle). Requests are bounded by
    ``--duration`` and by ``--max-requests`` per app. Each server keeps serving; then ``--pace`` calls a
    second (50) for ``--pace-seconds`` (30) per app, open loop, in ``--pace-rounds`` (3) rounds where the apps
    take turns, so that each meets the same machine: the p99 at a real pace, over all of an app's 1,500 calls.

    Printed for each app: requests, errors (status not 200, body not XML, or the webhook's "technical
    problem" answer; plus socket errors), throughput, p50 and p99 latency, the server's CPU per request
    (both workers, from /proc), the client's CPU as a share of one core, the paced p99, and the largest
    worker's resident memory; then the ratios and issue 17's targets. A line follows an app's figures when
    its server logged ERROR lines, with the CPU of the PostgreSQL backends connected to this run's temporary
    database (only those: not other databases', not other people's), or when other processes kept more than
    15% of a core busy during its run (its figures are then disturbed: rerun on an idle machine).

    Files: bare_app.py (the constant floor), recorded_app.py (the recorded floor), clocked_app.py (the real app with a fixed clock cycle),
    wrk_signed_calls.lua (replays the signed requests, checks answers, times from first send to last
    answer). Servers, temporary files and the temporary database are removed at the end.

Targets (issue 17), all from one run
    real/floor throughput >= 0.8, worker CPU per incoming call <= 1.5 ms, paced p99 real/bare <= 3, RSS per
    worker <= 100 MB, no errors (the older real/bare >= 0.6 is printed too).

Run from the repository root:  python benchmarks/webhook_throughput.py [--duration 10] [--connections 4]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._webhook_load import (  # noqa: E402
    fallback_needle,
    p99,
    run_paced,
    run_python_client,
    run_wrk,
    signed_requests,
    write_requests,
)
from benchmarks._webhook_report import print_app, print_ratios, print_setup  # noqa: E402
from benchmarks._webhook_servers import (  # noqa: E402
    SHIPPED_WORKER,
    PostgresDatabase,
    backend_cpu_between,
    busy_cpu_seconds,
    postgres_backend_cpu,
    prepare_database,
    production_settings,
    start_gunicorn,
    worker_rss_mb,
)


# --- the run -----------------------------------------------------------------------------------------------


@dataclass
class AppRun:
    """What one app's server did under the measured load and the paced rounds."""
    result: object  # the load generator's figures: requests, errors, throughput, latencies, client CPU
    server_cpu: float  # seconds, both workers
    other_share: float  # of one core, kept busy by other processes during the run
    db_cpu: float  # seconds of this run's PostgreSQL backends
    server: object = None  # kept serving until the paced rounds are over
    paced: list = field(default_factory=list)  # ms, every paced call of every round
    paced_errors: int = 0
    failures: int = 0  # ERROR and CRITICAL lines in the server's log
    rss: float = 0.0  # MB, the largest worker

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * self.server_cpu / max(self.result.requests, 1)

    @property
    def paced_p99(self) -> float:
        return p99(self.paced)


def measure(name: str, target: str, env: dict[str, str], args, work: Path, needle: str,
            warm: list[tuple[str, str]], main: list[tuple[str, str]]) -> AppRun:
    """The app's closed-loop run; its server is left serving for the paced rounds (finish stops it)."""
    log = work / f"{name}-gunicorn.log"
    server = start_gunicorn(target, env, args, log)
    try:
        if args.client == "wrk":
            write_requests(work / f"{name}-warm.txt", warm)
            write_requests(work / f"{name}-main.txt", main)
            run_wrk(server.port, work / f"{name}-warm.txt", args.warmup, args.connections, needle)
            cpu_before, busy_before, wall_before = server.cpu_seconds(), busy_cpu_seconds(), time.monotonic()
            db_before = postgres_backend_cpu(args.run_database_url)
            result = run_wrk(server.port, work / f"{name}-main.txt", args.duration, args.connections, needle)
        else:
            run_python_client(server.port, warm, args.warmup, args.connections, needle)
            cpu_before, busy_before, wall_before = server.cpu_seconds(), busy_cpu_seconds(), time.monotonic()
            db_before = postgres_backend_cpu(args.run_database_url)
            result = run_python_client(server.port, main, args.duration, args.connections, needle)
        server_cpu = server.cpu_seconds() - cpu_before
        db_cpu = backend_cpu_between(db_before, postgres_backend_cpu(args.run_database_url))
        other = busy_cpu_seconds() - busy_before - server_cpu - result.client_cpu - db_cpu
        other_share = max(0.0, other / (time.monotonic() - wall_before))
    except BaseException:
        print(f"--- end of the {name} server's log:\n{log.read_text()[-3000:]}", file=sys.stderr)
        server.stop()
        raise
    return AppRun(result, server_cpu, other_share, db_cpu, server)


def paced_rounds(runs: dict[str, AppRun], paced: dict[str, list[tuple[str, str]]], args, needle: str) -> None:
    """--pace calls a second, open loop, in --pace-rounds rounds; in each round every app in turn gets its share of
    its calls, so that the apps meet the same machine (a busy minute, PostgreSQL's autovacuum after the closed-loop
    runs' inserts) rather than one app meeting it alone. The p99 is then over all of an app's paced calls."""
    rounds = max(1, args.pace_rounds)
    for index in range(rounds):
        for name, run in runs.items():
            share = paced[name][index::rounds]
            latencies, errors = run_paced(run.server.port, share, args.pace, needle)
            run.paced.extend(latencies)
            run.paced_errors += errors


def finish(runs: dict[str, AppRun]) -> None:
    """Each app's largest worker's memory, then its server stopped and its log searched for errors."""
    for run in runs.values():
        if run.server is None:
            continue
        run.rss = worker_rss_mb(run.server)
        run.server.stop()
        run.failures = len(re.findall(r"\b(ERROR|CRITICAL)\b", run.server.log.read_text()))
        run.server = None


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per app (default 10)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up load per app (default 2)")
    parser.add_argument("--max-requests", type=int, default=60000, help="cap on measured requests per app")
    parser.add_argument("--connections", type=int, default=4, help="concurrent client connections (default 4)")
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--worker-class", choices=("sync", "gthread", "shipped"), default="sync",
                        help=f"shipped: gunicorn.conf.py's {SHIPPED_WORKER} (threads: --threads)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker (default 4)")
    parser.add_argument("--clock", choices=("mixed", "real"), default="mixed")
    parser.add_argument("--database-url", help="postgresql+psycopg://root@127.0.0.1:5432/<any>: use PostgreSQL")
    parser.add_argument("--only", choices=("bare", "floor", "real"), help="measure one app only")
    parser.add_argument("--pace", type=float, default=50.0, help="calls a second of the paced run (default 50)")
    parser.add_argument("--pace-seconds", type=float, default=30.0,
                        help="paced calls per app, in seconds at --pace (default 30: 1,500 calls, the p99 their 15th "
                             "slowest)")
    parser.add_argument("--pace-rounds", type=int, default=3,
                        help="rounds the paced calls are split into, the apps taking turns in each (default 3)")
    args = parser.parse_args()
    if not 1 <= args.pace <= 200 or not 0 <= args.pace_seconds <= 120 or not 1 <= args.pace_rounds <= 20:
        parser.error("keep it bounded: a pace of 1-200 calls a second, for up to 120 s per app, in 1-20 rounds")
    if not 1 <= args.connections <= 64 or not 0 < args.duration <= 120 or not 0 <= args.warmup <= 30:
        parser.error("keep it bounded: 1-64 connections, duration up to 120 s, warm-up up to 30 s")
    if args.client == "auto":
        args.client = "wrk" if shutil.which("wrk") else "python"
    elif args.client == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not installed (apt-get install -y wrk), or use --client python")
    return args


def gunicorn_environment(settings_: dict[str, str], url: str) -> dict[str, str]:
    """Explicit production settings, passed to gunicorn as the environment variables they are read from."""
    from settings import SETTINGS

    env = {k: v for k, v in os.environ.items() if not k.startswith(("HELPLINE_", "TWILIO_"))}
    env.update({SETTINGS[name][0]: value for name, value in settings_.items()})
    env.update({"HELPLINE_ENV": "production", "HELPLINE_DATABASE_URL": url, "PYTHONDONTWRITEBYTECODE": "1",
                # As gunicorn.conf.py's raw_env: the webhooks' workers leave the console to its own pool.
                "HELPLINE_CONSOLE": "0"})
    return env


def main() -> None:
    args = parse_args()
    settings_ = production_settings()
    work = Path(tempfile.mkdtemp(prefix="helpline-bench-"))
    postgres = PostgresDatabase(args.database_url) if args.database_url else None
    args.run_database_url = postgres.url if postgres else None
    try:
        if postgres:
            postgres.create()
            url, database_label = postgres.url, f"PostgreSQL (temporary database {postgres.name})"
        else:
            url, database_label = f"sqlite:///{work / 'helpline.sqlite3'}", "SQLite (fresh temporary file)"
        prepare_database(url, settings_)
        env = gunicorn_environment(settings_, url)
        needle = fallback_needle()
        warm_count = max(200, int(args.warmup * 8000))
        counts = {"w": warm_count, "m": args.max_requests, "p": int(args.pace * args.pace_seconds)}
        real_target = "app:create_app()" if args.clock == "real" else "benchmarks.clocked_app:create()"
        print_setup(args, real_target, database_label)
        runs, paced = {}, {}
        apps = (("bare", "benchmarks.bare_app:app"), ("floor", "benchmarks.recorded_app:create()"),
                ("real", real_target))
        try:
            for name, target in apps:
                if args.only and args.only != name:
                    continue
                # Requests of its own for each app: the floor records its CallSids in the same database, and the
                # engine answers a CallSid already recorded for no line as another line's call (the apology).
                warm, main_pairs, paced[name] = (signed_requests(settings_["TWILIO_AUTH_TOKEN"], count, name + kind)
                                                 for kind, count in counts.items())
                runs[name] = measure(name, target, env, args, work, needle, warm, main_pairs)
            if args.pace_seconds:
                paced_rounds(runs, paced, args, needle)
        finally:
            finish(runs)
        for name, run in runs.items():
            print_app(name, run)
        print_ratios(runs, args)
        if "real" in runs:
            from benchmarks._profile_parts import count_incoming

            trips, statements = count_incoming(url, settings_, 200, work)
            print(f"real: per incoming call {statements:.2f} SQL statements"
                  + (f", {trips:.2f} round trips to PostgreSQL (BEGIN and COMMIT included; 200 more calls, in this "
                     "process, counted by libpq)" if postgres else ""))
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if postgres:
            postgres.drop()


if __name__ == "__main__":
    main()
