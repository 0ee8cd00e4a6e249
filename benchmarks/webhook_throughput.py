"""Throughput and latency of the incoming-call webhook under gunicorn, against a bare Flask floor.

What is measured
    The same gunicorn set-up (2 workers, sync by default; ``--worker-class gthread --threads N`` to compare,
    ``--worker-class shipped --threads N`` for gunicorn.conf.py's serving.WholeRequestThreadWorker)
    on 127.0.0.1 serves three apps, each its own server on its own port:

    * ``bare``: benchmarks/bare_app.py, one endpoint answering a constant TwiML string;
    * ``floor``: benchmarks/recorded_app.py, the least a signed webhook that records its call can do with
      this stack: twilio's signature check, then the call's row and one event written with SQLAlchemy Core
      in one transaction on the same database; constant TwiML. Its commit waits for the disk, where the engine's
      record of a call answered without a queue does not (PostgreSQL: written after the answer, synchronous_commit
      off): ``--floor-commit async`` gives the floor the same (HELPLINE_FLOOR_COMMIT=async);
    * ``real``: the helpline app (``app.create_app()``, HELPLINE_ENV=production, secrets given explicitly
      in the environment) on a fresh SQLite file, migrated and with the shipped directory loaded
      (``--database-url postgresql+psycopg://root@127.0.0.1:5432/x`` uses a temporary PostgreSQL database
      ``helpline_bench_<random>`` instead, dropped at the end). By default its clock cycles over fixed
      instants (benchmarks/clocked_app.py: open, evening, night, weekend, public holiday) so the figures
      do not depend on when the script runs; ``--clock real`` serves ``app:create_app()`` as is.

    All three are started and warmed up one after the other, then driven by the same closed-loop load generator
    for the same duration, in ``--rounds`` (3) interleaved rounds: in each round every app in turn (bare, floor,
    real) gets ``--duration / --rounds`` seconds of load, so that a slow minute of a shared machine falls on
    every app rather than on the one measured then. The generator is ``wrk`` (one thread, ``--connections``
    connections; apt-get install -y wrk) replaying requests signed beforehand, or ``--client python`` (threads
    with http.client) where wrk is missing. Every request is a distinct call: POST /voice/incoming with a valid,
    unique CallSid (CA + 32 hex digits), a valid X-Twilio-Signature, To rotating over the seed lines' numbers,
    and From as ``caller_mix``: 80 % callers new to the line, 10 % withheld ("anonymous", "+266696687",
    "restricted"), 10 % returning callers (about 4 calls each in the run, under the seed lines' repeat-call
    throttle). Requests are bounded by ``--duration`` (10 s) and by ``--max-requests`` per app, each round
    taking its share of both. Each server keeps serving; then ``--pace`` calls a second (50) for
    ``--pace-seconds`` (30) per app, open loop, in ``--pace-rounds`` (3) rounds where the apps take turns, so
    that each meets the same machine: the p99 at a real pace, over all of an app's 1,500 calls.

    Printed for each app, over all of its closed-loop rounds: requests, errors (status not 200, body not XML, or
    the webhook's "technical problem" answer; plus socket errors), throughput (every request over the rounds'
    time, from each round's first request sent to its last answer), p50 and p99 latency over every request (the
    rounds' latency histograms added up: wrk's, with its own correction for coordinated omission as its
    percentiles have, or the Python client's every latency), the server's CPU per request (both workers, from
    /proc), the client's CPU as a share of one core, the paced p99, and the largest worker's resident memory;
    then the ratios and issue 17's targets. A line follows an app's figures when its server logged ERROR lines,
    with the CPU of the PostgreSQL backends connected to this run's temporary database (only those: not other
    databases', not other people's), always with what the host did during the app's turns (steal time in
    /proc/stat, CPU pressure in /proc/pressure/cpu, as shares of those turns' wall-clock time: a run that met a
    busy host shows it; the run's own processes, more than 2 on 2 cores, make some pressure too), and when other
    processes kept more than 15% of a core busy during its turns (its figures are then disturbed: rerun on an
    idle machine).

    Files: bare_app.py (the constant floor), recorded_app.py (the recorded floor), clocked_app.py (the real app
    with a fixed clock cycle), wrk_signed_calls.lua (replays the signed requests, checks answers, times from
    first send to last answer, ends a turn on time, writes wrk's latency histogram); the rounds and what each app
    cost in _webhook_rounds.py. Servers, temporary files and the temporary database are removed at the end.

Targets (issue 17), all from one run
    real/floor throughput >= 0.8, worker CPU per incoming call <= 1.5 ms, paced p99 real/bare <= 3, RSS per
    worker <= 100 MB, no errors (the older real/bare >= 0.6 is printed too).

Run from the repository root:  python benchmarks/webhook_throughput.py [--duration 10] [--rounds 3] [--connections 4]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._webhook_load import (  # noqa: E402
    fallback_needle,
    run_python_client,
    run_wrk,
    signed_requests,
    write_requests,
)
from benchmarks._webhook_report import print_app, print_ratios, print_setup  # noqa: E402
from benchmarks._webhook_rounds import AppRun, closed_loop_rounds, paced_rounds, split_into_rounds  # noqa: E402
from benchmarks._webhook_servers import (  # noqa: E402
    SHIPPED_WORKER,
    PostgresDatabase,
    prepare_database,
    production_settings,
    start_gunicorn,
    worker_rss_mb,
)


# --- the run -----------------------------------------------------------------------------------------------


def start_and_warm(name: str, target: str, env: dict[str, str], args, work: Path, needle: str,
                   warm: list[tuple[str, str]], main: list[tuple[str, str]]) -> AppRun:
    """The app's server, started and warmed up, with its measured requests split into the closed-loop rounds'
    shares; it is left serving for the rounds (finish stops it)."""
    log = work / f"{name}-gunicorn.log"
    server = start_gunicorn(target, env, args, log)
    shares = split_into_rounds(main, args.rounds)
    try:
        if args.client == "wrk":
            write_requests(work / f"{name}-warm.txt", warm)
            run_wrk(server.port, work / f"{name}-warm.txt", args.warmup, args.connections, needle)
            files = [work / f"{name}-main-{index}.txt" for index in range(args.rounds)]
            for file, share in zip(files, shares):
                write_requests(file, share)
            shares = files
        else:
            run_python_client(server.port, warm, args.warmup, args.connections, needle)
    except BaseException:
        print(f"--- end of the {name} server's log:\n{log.read_text()[-3000:]}", file=sys.stderr)
        server.stop()
        raise
    return AppRun(server, shares)


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
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds the closed-loop load is split into, the apps taking turns in each (default 3)")
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
    parser.add_argument("--floor-commit", choices=("durable", "async"), default="durable",
                        help="async: the floor's commits do not wait for the disk either (PostgreSQL)")
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
    if not 1 <= args.rounds <= 20 or args.duration / args.rounds < 0.5:
        parser.error("keep it bounded: 1-20 closed-loop rounds, each at least 0.5 s long")
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
        env["HELPLINE_FLOOR_COMMIT"] = args.floor_commit  # read by the floor only (benchmarks/recorded_app.py)
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
                runs[name] = start_and_warm(name, target, env, args, work, needle, warm, main_pairs)
            closed_loop_rounds(runs, args, needle)
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
