"""A call storm through the whole flow against gunicorn and PostgreSQL: webhook latency, errors, throughput.

What is played
    ``--concurrency`` calls at once (100 by default; several levels, e.g. ``100,200,400``, run one after the
    other, each on a fresh database and server) to the four seed lines in turn: each caller calls again when
    a call ends, until ``--calls`` calls were placed or ``--seconds`` have passed, when whoever is still on the
    phone hangs up. Every call goes through the real webhooks over HTTP, signed as Twilio signs: incoming, the
    line's menus (a key, a postal code), the route, the queue's wait documents (looped as Twilio loops them),
    and the bridge: the engine dials a listener through the REST API, which here is tests/support's Twilio
    server with its routes replaced (benchmarks/_storm.py) so that the listener's leg is played — the phone
    rings, whisper, press 1, <Dial><Conference> while the engine moves the caller out of their queue into the same
    conference (a REST redirect), the talk until the caller hangs up, the Dial action, the status callbacks on
    both legs. ``--listeners`` available
    listeners per pool (10), their wrap-up cut to 1 s. The app is gunicorn with gunicorn.conf.py (``--workers``
    to override) on a temporary PostgreSQL database next to ``--database-url``, its clock moved to a Tuesday
    at 10:30 in Paris and running in real time (benchmarks/storm_app.py).

    ``--pace real`` (the default) plays each call as the people on it would (benchmarks/_storm_calls.py, Pacing):
    prompts spoken at 15 characters a second, pauses in full, keys pressed after the prompt, phones ringing
    3-10 s, 30-120 s conversations, callers hanging up after 1-7 minutes in a queue, the first calls spread
    over 30 s. ``--pace compressed`` plays calls as fast as the engine answers (no speech time, waits cut to
    1 s, 0.5-2 s conversations): a saturation test, where N callers are N clients that never pause.

What is printed, for each level
    The storm: calls placed, finished and bridged; webhooks sent during the storm (the hang-ups of its end,
    all in the same few seconds, are counted apart); errors (HTTP status other than 200, not TwiML, socket
    errors) and "technical problem" fallback answers, which count as errors here, over every webhook; p50,
    p99 and max latency; webhooks and calls per second; latency per webhook path; what the storm left behind
    (listeners ringing or on call, callers waiting, live offers) once drained; the share of the machine each
    part used. Then the baseline of the same run, benchmarks/bare_app.py (a constant TwiML answer, no
    database) under the same gunicorn settings: at real pace, the storm's webhooks replayed to it at the same
    instants (the same offered load); compressed, the same number of clients that never pause. Last, a table
    of every level.

Target: 0 errors and p99 under 200 ms at 100 concurrent calls on a 2-core machine.

    python benchmarks/load_storm.py [--concurrency 100[,200,...]] [--pace real|compressed] [--seconds 150]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._storm import TwilioEmulator  # noqa: E402
from benchmarks._storm_calls import (Pacing, Stats, Webhooks, fallback_needles, free_port,  # noqa: E402
                                     percentile, run_storm)
from benchmarks._storm_servers import (busy_cpu_seconds, leftovers, process_tree_cpu_seconds,  # noqa: E402
                                       serve_storm, start_gunicorn)
from benchmarks._webhook_servers import PostgresDatabase  # noqa: E402

BASELINE_REQUEST = ("/voice/incoming", {"CallSid": "CA" + "0" * 32, "From": "+33612345678", "To": "+33199009494"})


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--concurrency", default="100",
                        help="calls at once; several levels separated by commas run one after the other")
    parser.add_argument("--pace", choices=("real", "compressed"), default="real")
    parser.add_argument("--calls", type=int, default=5000, help="calls placed at most, per level")
    parser.add_argument("--seconds", type=float, help="time a level's storm lasts at most "
                                                      "(default 150 at real pace, 60 compressed)")
    parser.add_argument("--listeners", type=int, default=10, help="available listeners per pool")
    parser.add_argument("--workers", type=int, default=5, help="gunicorn workers (gunicorn.conf.py: 2 x cores + 1)")
    parser.add_argument("--baseline-seconds", type=float, default=8, help="the compressed baseline's length")
    parser.add_argument("--database-url", default="postgresql+psycopg://root@127.0.0.1:5432/postgres",
                        help="a PostgreSQL server on this machine; a temporary database is made beside it")
    args = parser.parse_args(argv)
    args.levels = [int(level) for level in args.concurrency.split(",")]
    if args.seconds is None:
        args.seconds = 150.0 if args.pace == "real" else 60.0
    return args


@dataclass
class Level:
    concurrency: int
    webhooks: int
    seconds: float
    p50: float
    p99: float
    errors: int
    baseline_p50: float
    baseline_p99: float


def bare_server(args, work: Path, environment: dict[str, str]):
    return start_gunicorn("benchmarks.bare_app:app", environment, free_port(), args.workers, work / "bare.log")


def closed_loop_baseline(args, concurrency: int, work: Path, environment: dict[str, str]) -> Stats:
    """The same number of clients, never pausing, against a constant answer: gunicorn and the client alone."""
    stats = Stats(fallback_needles())
    server = bare_server(args, work, environment)
    try:
        hooks = Webhooks(server.base_url, environment["TWILIO_AUTH_TOKEN"], stats)
        deadline = time.monotonic() + args.baseline_seconds

        def client() -> None:
            while time.monotonic() < deadline:
                hooks.post(*BASELINE_REQUEST)

        threads = [threading.Thread(target=client, daemon=True) for _ in range(concurrency)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.stop()
    return stats


def replayed_baseline(args, schedule: list[float], work: Path, environment: dict[str, str]) -> Stats:
    """One request to a constant answer at each instant of ``schedule`` (seconds from its start): the storm's
    offered load without the engine. Sent from a pool large enough that no request waits for a thread."""
    stats = Stats(fallback_needles())
    server = bare_server(args, work, environment)
    try:
        hooks = Webhooks(server.base_url, environment["TWILIO_AUTH_TOKEN"], stats)
        started = time.monotonic() + 0.5
        with ThreadPoolExecutor(max_workers=256) as pool:
            for offset in schedule:
                time.sleep(max(0.0, started + offset - time.monotonic()))
                pool.submit(hooks.post, *BASELINE_REQUEST)
    finally:
        server.stop()
    return stats


def storm_window(stats: Stats, started: float, ended: float) -> tuple[list[float], list[tuple[str, float]]]:
    """Latencies and (path, latency) of the webhooks sent between ``started`` and ``ended``."""
    with stats.lock:
        rows = list(zip(stats.sent, stats.timeline, stats.latencies))
    inside = [(path, ms) for sent, (_at, path, _ok), ms in rows if started <= sent < ended]
    return [ms for _path, ms in inside], inside


def print_storm(title: str, stats: Stats, started: float, ended: float) -> tuple[list[float], float]:
    seconds = ended - started
    latencies, inside = storm_window(stats, started, ended)
    after = len(stats.latencies) - len(latencies)
    print(title)
    print(f"  calls          placed {stats.calls_started}, finished {stats.calls_finished}, "
          f"bridged to a listener {stats.calls_bridged}, stuck {stats.stuck}")
    print(f"  webhooks       {len(latencies)} in {seconds:.1f} s: {len(latencies) / seconds:.1f} per second, "
          f"{stats.calls_finished / seconds:.2f} calls per second; then {after} as the last callers hung up")
    print(f"  latency        p50 {percentile(latencies, 0.5):.1f} ms, p99 {percentile(latencies, 0.99):.1f} ms, "
          f"max {max(latencies, default=float('nan')):.1f} ms (all {len(stats.latencies)} webhooks: p99 "
          f"{percentile(stats.latencies, 0.99):.1f} ms)")
    kinds: dict[str, int] = {}
    for _path, what in stats.errors:
        kinds[what] = kinds.get(what, 0) + 1
    print(f"  errors         {len(stats.errors)} {kinds or ''}; fallback answers {len(stats.fallbacks)}")
    print("  by webhook     requests, p50 / p99 ms")
    by_path: dict[str, list[float]] = {}
    for path, ms in inside:
        by_path.setdefault(path, []).append(ms)
    for path, values in sorted(by_path.items(), key=lambda item: -len(item[1])):
        print(f"    {path:<32} {len(values):>6}  {percentile(values, 0.5):7.1f} / {percentile(values, 0.99):7.1f}")
    return latencies, seconds


def run_level(args, concurrency: int, work: Path) -> Level:
    database = PostgresDatabase(args.database_url)
    database.create()
    stats = Stats(fallback_needles())
    pacing = Pacing.real() if args.pace == "real" else Pacing.compressed()
    emulator = TwilioEmulator("storm-auth-token-" + "0" * 16, stats, pacing)
    server = None
    try:
        environment, server = serve_storm(emulator, database.url, work, args.listeners, args.workers)
        busy_before, ours_before = busy_cpu_seconds(), process_tree_cpu_seconds(server.worker_pids())
        client_before = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
        started = time.monotonic()
        run_storm(emulator, concurrency, args.calls, args.seconds)
        ended = started + args.seconds
        elapsed = time.monotonic() - started
        busy = busy_cpu_seconds() - busy_before
        ours = process_tree_cpu_seconds(server.worker_pids()) - ours_before
        client = sum(resource.getrusage(resource.RUSAGE_SELF)[:2]) - client_before
        emulator.settle(60)  # the listeners' phones still ringing stop, their status callbacks land
        time.sleep(3)  # the last wrap-ups end
        latencies, seconds = print_storm(
            f"Storm: {concurrency} concurrent calls, {args.pace} pace, {args.listeners} listeners per pool, "
            f"{args.workers} gunicorn workers, PostgreSQL", stats, started, min(ended, started + elapsed))
        print(f"  left behind    {leftovers(database.url)}")
        print(f"  machine        {busy / elapsed:.2f} of 2 cores busy: the gunicorn workers {ours / elapsed:.2f}, "
              f"this script (the callers and Twilio's side) {client / elapsed:.2f}, PostgreSQL and other "
              f"processes {max(0.0, (busy - ours - client) / elapsed):.2f}")
        errors = [line for line in (work / "gunicorn.log").read_text().splitlines() if '"level": "ERROR"' in line]
        if errors:
            print(f"  server logged  {len(errors)} ERROR lines, e.g. {errors[0][:300]}")
        server.stop()
        server = None
        if args.pace == "compressed":
            baseline = closed_loop_baseline(args, concurrency, work, environment)
            how = f"{concurrency} clients that never pause, {args.baseline_seconds:.0f} s"
        else:
            with stats.lock:
                schedule = sorted(sent - started for sent in stats.sent if started <= sent < ended)
            baseline = replayed_baseline(args, schedule, work, environment)
            how = f"the storm's {len(schedule)} webhooks replayed at the same instants"
        print(f"  baseline       benchmarks/bare_app.py, same gunicorn settings, {how}: {len(baseline.latencies)} "
              f"requests, p50 {percentile(baseline.latencies, 0.5):.1f} ms, p99 "
              f"{percentile(baseline.latencies, 0.99):.1f} ms, errors {len(baseline.errors)}")
        failed = len(stats.errors) + len(stats.fallbacks) + stats.stuck
        return Level(concurrency, len(latencies), seconds, percentile(latencies, 0.5), percentile(latencies, 0.99),
                     failed, percentile(baseline.latencies, 0.5), percentile(baseline.latencies, 0.99))
    finally:
        emulator.stop()
        if server is not None:
            server.stop()
        database.drop()


def main(argv=None) -> int:
    args = parse_args(argv)
    levels = []
    with tempfile.TemporaryDirectory(prefix="helpline-storm-") as temporary:
        for concurrency in args.levels:
            work = Path(temporary) / f"level-{concurrency}"
            work.mkdir()
            levels.append(run_level(args, concurrency, work))
            print()
    print(f"Summary ({args.pace} pace, {args.workers} workers): calls at once | webhooks per second | p50 | p99 | "
          f"errors | bare app p50 / p99 | p99 / bare p99")
    for level in levels:
        print(f"  {level.concurrency:>5} | {level.webhooks / level.seconds:6.1f} | {level.p50:6.1f} ms | "
              f"{level.p99:7.1f} ms | {level.errors} | {level.baseline_p50:.1f} / {level.baseline_p99:.1f} ms | "
              f"{level.p99 / level.baseline_p99:.1f}")
    return 1 if any(level.errors for level in levels) else 0


if __name__ == "__main__":
    sys.exit(main())
