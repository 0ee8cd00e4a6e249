"""Where a webhook's time goes, in one process: CPU and database round trips per webhook, and a cProfile.

    python benchmarks/webhook_profile.py [--database-url postgresql+psycopg://root@127.0.0.1:5432/x] [--calls 1500]
        [--follow] [--profile incoming|all] [--top 40]

The real app (production settings, the seed directory, benchmarks/clocked_app.py's rotating clock) answers signed
webhooks through its WSGI callable, with no server in between: ``--calls`` incoming calls with the same callers as
webhook_throughput.py (80 % new, 10 % withheld, 10 % returning, CallSids CA + 32 hex digits), and with ``--follow``
each call's next webhooks as Twilio would send them from the TwiML it got (the menu's or the postal code's
<Gather> answered with a key, a <Dial>'s action with "completed"), then its final status callback. On PostgreSQL
(a temporary database, dropped at the end) the round trips and statements are counted by libpq itself (PQtrace: each
simple Query or extended-protocol Sync the client sends is one wait for the server, BEGIN, COMMIT and pings
included; each Bind or Query other than BEGIN/COMMIT/ROLLBACK one statement, those sent straight to the driver too).

Printed per webhook path: webhooks, CPU ms per webhook (this process: the app and the driver, not the server),
round trips and statements per webhook, and the statements' first words; then the profile's top functions.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from contextlib import closing
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._profile_parts import RoundTrips, floor_app, follow_ups, signed  # noqa: E402
from benchmarks._webhook_load import signed_requests  # noqa: E402
from benchmarks._webhook_servers import (  # noqa: E402
    PATH,
    PUBLIC_URL,
    PostgresDatabase,
    backend_cpu_between,
    postgres_backend_cpu,
    prepare_database,
    production_settings,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="postgresql+psycopg://root@127.0.0.1:5432/<any>: use PostgreSQL")
    parser.add_argument("--calls", type=int, default=1500)
    parser.add_argument("--follow", action="store_true", help="also each call's next webhooks and its status")
    parser.add_argument("--profile", choices=("none", "incoming", "all"), default="none")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--floor", action="store_true",
                        help="then the recorded floor (benchmarks/recorded_app.py) in this process, same calls")
    parser.add_argument("--dump", help="write the profile to this file (pstats format)")
    parser.add_argument("--compare-triggers", action="store_true",
                        help="PostgreSQL: the same calls again with the report triggers (migration 0012) disabled")
    args = parser.parse_args()
    if not 10 <= args.calls <= 20_000:
        parser.error("keep it bounded: 10-20,000 calls")

    from twilio.request_validator import RequestValidator
    from werkzeug.test import EnvironBuilder

    settings_ = production_settings()
    work = Path(tempfile.mkdtemp(prefix="helpline-profile-"))
    postgres = PostgresDatabase(args.database_url) if args.database_url else None
    try:
        if postgres:
            postgres.create()
        url = postgres.url if postgres else f"sqlite:///{work / 'helpline.sqlite3'}"
        prepare_database(url, settings_)
        from app import create_app, warm_up
        from benchmarks.clocked_app import INSTANTS, RotatingClock
        from store.extension import database

        app = create_app({"ENVIRONMENT": "production", "DATABASE_URL": url, "LOG_LEVEL": "WARNING",
                          "CONSOLE": False,  # as the webhooks' pool (gunicorn.conf.py)
                          "CLOCK": RotatingClock(INSTANTS), **settings_})
        warm_up(app)
        with app.app_context():
            trips = RoundTrips(database.engine, work)
            database_engine = database.engine
            database.engine.dispose()  # warm_up's connection was opened before the trace: a traced one replaces it
        validator = RequestValidator(settings_["TWILIO_AUTH_TOKEN"])
        profiler = cProfile.Profile(time.process_time)  # CPU, not the waits on the server
        cpu: dict[str, float] = defaultdict(float)
        counts: Counter[str] = Counter()
        round_trips: Counter[str] = Counter()
        statements: dict[str, Counter[str]] = defaultdict(Counter)

        def post(url: str, body: str, headers: dict, kind: str) -> str:
            split = urlsplit(url)
            environ = EnvironBuilder(path=split.path, query_string=split.query, method="POST", data=body,
                                     content_type="application/x-www-form-urlencoded", headers=headers,
                                     base_url="http://127.0.0.1:8000").get_environ()
            captured = []
            profiling = args.profile == "all" or (args.profile == "incoming" and kind == PATH)
            trips.take()
            began = time.process_time()
            if profiling:
                profiler.enable()
            # Closed as a WSGI server closes it: a first webhook's record is written then (ivr/answer_first.py).
            with closing(app.wsgi_app(environ, lambda status, _headers: captured.append(status))) as sent_back:
                answer = b"".join(sent_back)
            if profiling:
                profiler.disable()
            cpu[kind] += time.process_time() - began
            sent, said = trips.take()
            counts[kind] += 1
            round_trips[kind] += sent
            statements[kind].update(said)
            if not captured or not captured[0].startswith("200"):
                raise SystemExit(f"{kind} answered {captured}")
            return answer.decode()

        def follow(answer: str, params: dict[str, str]) -> None:
            for _ in range(3):
                nexts = follow_ups(answer, params)
                if not nexts:
                    break
                next_url, next_params = nexts[0]
                answer = post(next_url, urlencode(next_params), signed(validator, next_url, next_params),
                              urlsplit(next_url).path)
            status = {**params, "CallStatus": "completed", "CallDuration": "60"}
            post(PUBLIC_URL + "/voice/status", urlencode(status), signed(validator, PUBLIC_URL + "/voice/status",
                                                                         status), "/voice/status")

        floor = floor_app(url, settings_) if args.floor else None
        floor_calls = iter(signed_requests(settings_["TWILIO_AUTH_TOKEN"], args.calls, "floor")) if floor else None

        def play(label: str) -> None:
            """First a tenth of the calls with the database's round trips and statements counted; then the rest,
            uncounted (libpq's trace and the statement listener cost CPU), their CPU measured — interleaved in
            chunks of 50 with the floor's calls when --floor, so that both meet the same machine."""
            cpu.clear(), counts.clear(), round_trips.clear(), statements.clear()
            pairs = signed_requests(settings_["TWILIO_AUTH_TOKEN"], args.calls, "profile" + label)
            counted = max(20, len(pairs) // 10)
            trips.count(True)
            for signature, body in pairs[:counted]:
                answer = post(PUBLIC_URL + PATH, body, {"X-Twilio-Signature": signature}, PATH)
                if args.follow:
                    follow(answer, dict(parse_qsl(body)))
            per_call = {kind: (round_trips[kind] / counts[kind], statements[kind].copy(), counts[kind])
                        for kind in counts}
            trips.count(False)
            cpu.clear(), counts.clear()
            floor_spent, floor_count = 0.0, 0
            server_before = postgres_backend_cpu(url) if postgres else {}
            for start in range(counted, len(pairs), 50):
                for signature, body in pairs[start:start + 50]:
                    answer = post(PUBLIC_URL + PATH, body, {"X-Twilio-Signature": signature}, PATH)
                    if args.follow:
                        follow(answer, dict(parse_qsl(body)))
                if floor is not None:
                    for _ in pairs[start:start + 50]:
                        floor_spent += floor(*next(floor_calls))
                        floor_count += 1
            server = backend_cpu_between(server_before, postgres_backend_cpu(url)) if postgres else 0.0
            print(f"webhook_profile: {'PostgreSQL' if postgres else 'SQLite'}, {args.calls} calls "
                  f"(80 % new callers), clock rotating over benchmarks/clocked_app.py's instants{label}; "
                  f"round trips counted on the first {counted}, CPU on the other {len(pairs) - counted}")
            print(f"{'webhook':<22}{'count':>7}{'CPU ms':>9}{'round trips':>13}{'statements':>12}")
            for kind in counts:
                n = counts[kind]
                trips_per_call, said, said_count = per_call.get(kind, (0.0, Counter(), 1))
                print(f"{kind:<22}{n:>7}{1000 * cpu[kind] / n:>9.3f}{trips_per_call:>13.2f}"
                      f"{sum(said.values()) / said_count:>12.2f}")
                for statement, times in said.most_common(8):
                    print(f"      {times / said_count:5.2f}  {statement}")
            if postgres:
                print(f"PostgreSQL backends' CPU (engine{' and floor' if floor else ''}): "
                      f"{1000 * server / (sum(counts.values()) + floor_count):.3f} ms per webhook")
            if floor is not None and floor_count:
                engine_ms, floor_ms = 1000 * cpu[PATH] / counts[PATH], 1000 * floor_spent / floor_count
                print(f"recorded floor (benchmarks/recorded_app.py), same process, interleaved: {floor_ms:.3f} ms CPU "
                      f"per call; engine / floor: {engine_ms / floor_ms:.2f}")

        play("")
        if args.compare_triggers and postgres:
            from sqlalchemy import text

            with database_engine.begin() as connection:
                for table in ("call", "call_event", "queue_event"):
                    connection.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
            play(", report triggers disabled")
        if args.profile != "none":
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            if args.dump:
                stats.dump_stats(args.dump)
            stats.sort_stats("tottime").print_stats(args.top)
            stats.sort_stats("cumulative").print_stats(args.top)
            print(out.getvalue())
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if postgres:
            from store.extension import database  # noqa: F401 — the app's engine holds connections

            postgres.drop()


if __name__ == "__main__":
    main()
