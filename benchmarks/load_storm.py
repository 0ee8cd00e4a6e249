"""A call storm through the whole flow against gunicorn and PostgreSQL: webhook latency, errors, throughput.

What is played
    ``--concurrency`` callers at once (100 by default) call the four seed lines in turn, each calling again
    when a call ends, until ``--calls`` calls were placed or ``--seconds`` have passed. Every call goes through
    the real webhooks over HTTP, signed as Twilio signs: incoming, the line's menus (a key, a postal code),
    the route, the queue's wait documents (looped as Twilio loops them, each pause cut to 1 s), and the
    bridge: the engine dials a listener through the REST API, which here is tests/support's Twilio server
    with its routes replaced (benchmarks/_storm.py) so that the listener's leg is played — whisper, press 1,
    <Dial><Queue> with the caller waiting in that queue, the <Queue url> hook on the caller's leg, a talk of
    0.5–2 s, the Dial action, the status callbacks on both legs. ``--listeners`` available listeners per pool
    (10), their wrap-up cut to 1 s. The app is gunicorn with gunicorn.conf.py (``--workers`` to override) on
    a temporary PostgreSQL database next to ``--database-url``, its clock moved to a Tuesday at 10:30 in
    Paris and running in real time (benchmarks/storm_app.py).

What is printed
    The baseline first, in the same run: benchmarks/bare_app.py (a constant TwiML answer, no database)
    under the same gunicorn settings and the same number of concurrent clients. Then the storm: calls placed,
    finished and bridged; webhooks answered; errors (HTTP status other than 200, not TwiML, socket errors)
    and "technical problem" fallback answers, which count as errors here; p50, p99 and max latency of every
    webhook; webhooks and calls per second; what the storm left behind (listeners ringing or on call,
    callers waiting, live offers) once drained; and the share of the machine other processes used.

Target: 0 errors and p99 under 200 ms at 100 concurrent calls on a 2-core machine.

    python benchmarks/load_storm.py [--concurrency 100] [--calls 1500] [--seconds 60]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._storm import Stats, TwilioEmulator, Webhooks, fallback_needles, free_port, percentile, run_storm  # noqa: E402
from benchmarks._storm_servers import (busy_cpu_seconds, leftovers, prepare_database,  # noqa: E402
                                       process_tree_cpu_seconds, production_environment, start_gunicorn,
                                       storm_directory)
from benchmarks.webhook_throughput import PostgresDatabase  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--concurrency", type=int, default=100, help="callers at once")
    parser.add_argument("--calls", type=int, default=1500, help="calls placed at most")
    parser.add_argument("--seconds", type=float, default=60, help="time the storm may last at most")
    parser.add_argument("--listeners", type=int, default=10, help="available listeners per pool")
    parser.add_argument("--workers", type=int, default=5, help="gunicorn workers (gunicorn.conf.py: 2 x cores + 1)")
    parser.add_argument("--baseline-seconds", type=float, default=8)
    parser.add_argument("--database-url", default="postgresql+psycopg://root@127.0.0.1:5432/postgres",
                        help="a PostgreSQL server on this machine; a temporary database is made beside it")
    return parser.parse_args(argv)


def baseline(args, work: Path, environment: dict[str, str]) -> dict:
    """The same clients against a constant answer: what gunicorn and the client cost on their own."""
    stats = Stats(fallback_needles())
    server = start_gunicorn("benchmarks.bare_app:app", environment, free_port(), args.workers, work / "bare.log")
    try:
        hooks = Webhooks(server.base_url, environment["TWILIO_AUTH_TOKEN"], stats)
        deadline = time.monotonic() + args.baseline_seconds

        def client() -> None:
            while time.monotonic() < deadline:
                hooks.post("/voice/incoming", {"CallSid": "CA" + "0" * 32, "From": "+33612345678",
                                               "To": "+33199009494"})

        started = time.monotonic()
        threads = [threading.Thread(target=client, daemon=True) for _ in range(args.concurrency)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    finally:
        server.stop()
    return {"requests": len(stats.latencies), "errors": len(stats.errors), "elapsed": elapsed,
            "p50": percentile(stats.latencies, 0.5), "p99": percentile(stats.latencies, 0.99)}


def print_figures(title: str, stats: Stats, elapsed: float) -> None:
    webhooks = len(stats.latencies)
    print(f"{title}")
    print(f"  calls          placed {stats.calls_started}, finished {stats.calls_finished}, "
          f"bridged to a listener {stats.calls_bridged}, stuck {stats.stuck}")
    print(f"  webhooks       {webhooks} in {elapsed:.1f} s: {webhooks / elapsed:.0f} per second, "
          f"{stats.calls_finished / elapsed:.1f} calls per second")
    print(f"  latency        p50 {percentile(stats.latencies, 0.5):.1f} ms, p99 {percentile(stats.latencies, 0.99):.1f} "
          f"ms, max {max(stats.latencies, default=float('nan')):.1f} ms")
    kinds: dict[str, int] = {}
    for _path, what in stats.errors:
        kinds[what] = kinds.get(what, 0) + 1
    print(f"  errors         {len(stats.errors)} {kinds or ''}; fallback answers {len(stats.fallbacks)}")
    print("  by webhook     requests, p50 / p99 ms")
    for path, values in sorted(stats.by_path.items(), key=lambda item: -len(item[1])):
        print(f"    {path:<32} {len(values):>6}  {percentile(values, 0.5):7.1f} / {percentile(values, 0.99):7.1f}")


def main(argv=None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="helpline-storm-") as temporary:
        work = Path(temporary)
        database = PostgresDatabase(args.database_url)
        database.create()
        stats = Stats(fallback_needles())
        emulator = TwilioEmulator("storm-auth-token-" + "0" * 16, stats)
        server = None
        try:
            port = free_port()
            emulator.rest.start()
            emulator_port = emulator.rest.base_url
            environment = production_environment(database.url, f"http://127.0.0.1:{port}", emulator_port,
                                                 emulator.auth_token)
            prepare_database(environment, storm_directory(work / "directory"), args.listeners)
            floor = baseline(args, work, environment)
            print(f"Baseline (benchmarks/bare_app.py, same gunicorn settings, {args.concurrency} clients): "
                  f"{floor['requests']} requests in {floor['elapsed']:.1f} s, {floor['requests'] / floor['elapsed']:.0f} "
                  f"per second, p50 {floor['p50']:.1f} ms, p99 {floor['p99']:.1f} ms, errors {floor['errors']}")

            server = start_gunicorn("benchmarks.storm_app:create()", environment, port, args.workers,
                                    work / "storm.log")
            emulator.webhooks = Webhooks(server.base_url, emulator.auth_token, stats)
            busy_before, ours_before = busy_cpu_seconds(), process_tree_cpu_seconds(server.worker_pids())
            client_before = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
            elapsed = run_storm(emulator, args.concurrency, args.calls, args.seconds)
            busy = busy_cpu_seconds() - busy_before
            ours = process_tree_cpu_seconds(server.worker_pids()) - ours_before
            client = sum(resource.getrusage(resource.RUSAGE_SELF)[:2]) - client_before
            print_figures(f"Storm ({args.concurrency} concurrent calls, {args.listeners} listeners per pool, "
                          f"{args.workers} gunicorn workers, PostgreSQL)", stats, elapsed)
            time.sleep(3)  # the last wrap-ups end, the last status callbacks land
            print(f"  left behind    {leftovers(database.url)}")
            print(f"  machine        {busy / elapsed:.2f} of 2 cores busy during the storm: the gunicorn workers "
                  f"{ours / elapsed:.2f}, this script (the callers and Twilio's side) {client / elapsed:.2f}, "
                  f"the rest PostgreSQL and other processes ({max(0.0, (busy - ours - client) / elapsed):.2f})")
            errors = [line for line in (work / "storm.log").read_text().splitlines() if '"level": "ERROR"' in line]
            if errors:
                print(f"  server logged  {len(errors)} ERROR lines, e.g. {errors[0][:300]}")
        finally:
            emulator.stop()
            if server is not None:
                server.stop()
            database.drop()
    failed = stats.errors or stats.fallbacks or stats.stuck
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
