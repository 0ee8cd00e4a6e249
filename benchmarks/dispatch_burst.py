"""A burst of waiting callers drained by concurrent dispatchers racing one pool: speed, and no double offer.

What is measured
    A temporary database (PostgreSQL: ``helpline_bench_<random>`` created through an AUTOCOMMIT connection to
    the server's ``postgres`` database; SQLite: a temporary file) is migrated with ``store.db.upgrade`` and
    seeded once: ``--listeners`` listeners made with ``store.listeners.create_listener`` and set available,
    all in pool "burst", and ``--callers`` waiting callers (QueuedCaller rows, distinct call_sids, increasing
    enqueued_at). Every run starts from an identical copy of it (PostgreSQL: CREATE DATABASE ... TEMPLATE;
    SQLite: a file copy), so the seeding is not timed and both runs see the same data.

    Then ``--dispatchers`` dispatchers (threads sharing one engine, or with ``--processes`` spawned
    processes each making its own engine with ``store.db.make_engine``) start together and race the pool
    until no caller is waiting or offered. Each one, like ivr/dispatcher.py, calls ``end_wrapups`` and
    ``claim_offers`` (with a callback window, so due callback requests are looked for too; there are none)
    in one transaction and, inside that same transaction, looks for any other live offer
    for the listeners and callers it has just been given (as tests/store/test_dispatch_concurrency.py does). It
    then plays each offer it won the way the webhooks do, one transaction each, the offer row locked first:
    dialled, answered, accepted (``accept_offer``), bridged (``caller_bridged``), a talk of ``--talk-ms``
    (conversations overlap: a dispatcher keeps claiming while its callers talk), then the listener's leg
    ended (``listener_leg_ended``, wrap-up 0 s, so the listener is free again at the next claim).
    ``--play test`` plays dialled..ended in one transaction instead, as the test does. A dispatcher whose
    claim comes back empty pauses ``--idle-ms`` (jittered) before claiming again.

    All instants come from one strictly increasing clock shared by every dispatcher. After the race the
    database is checked: every caller done with exactly one offer, every offer ended, and per listener no
    two offers whose [claimed, ended] intervals overlap in commit order (offers in id order; the claim and
    the end are stamped from the shared clock while the listener's row lock is held, see
    benchmarks/_dispatch_clock.py), and each listener's status changes form the chain
    available -> ringing -> on_call -> wrap_up -> available with one "ringing" per offer.

    The same data is also drained by a single dispatcher first (the baseline), and the speed-up of the
    ``--dispatchers`` run over it is printed. Every run is bounded by ``--timeout`` seconds (default 300);
    a run not drained by then stops with a clear message. Only loopback servers are accepted.

Printed for each run
    callers, listeners, dispatchers, mode (threads/processes), time to drain (s), offers per second, claims
    (transactions) per second (all claims, empty ones included, and how many were empty), all transactions
    per second, claim transaction p50/p99, CPU use during the race (the machine's, this script's and, on
    PostgreSQL, the run database's backends', read from /proc: on a shared machine "everything else" shows
    how much the figures were disturbed) and per offer, offers won and finishing time per dispatcher, how
    late the last caller was offered and how many callers were overtaken by later ones (stragglers), double
    offers (seen inside claiming transactions + callers offered twice + overlapping offers per listener:
    must be 0), the other checks, and errors (must be 0). PostgreSQL's own deadlock and rollback counters
    for the run database are printed too (read-only idle checks end in a rollback).

Exit status: 0 all good; 1 a double offer, an error or a failed check; 2 not drained (or bad arguments);
130 interrupted. The temporary databases are dropped in every case.

Run from the repository root:
    python benchmarks/dispatch_burst.py [--database-url postgresql+psycopg://root@127.0.0.1:5432/postgres]
        [--callers 500] [--listeners 100] [--dispatchers 4] [--processes] [--talk-ms 0] [--repeat 1]
    python benchmarks/dispatch_burst.py --database-url sqlite://          (a temporary file)
    python benchmarks/dispatch_burst.py --database-url sqlite:////tmp/burst.sqlite3  (that new file, removed after)
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
for entry in (str(ROOT), str(BENCH)):
    if entry not in sys.path:
        sys.path.insert(0, entry)

from _burst_report import healthy, print_run  # noqa: E402
from _burst_run import one_run  # noqa: E402
from _burst_targets import DEFAULT_URL, BenchError, code_version, make_target  # noqa: E402


# --- main ---------------------------------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL,
                        help="PostgreSQL server (a temporary database is made on it) or sqlite:// / sqlite:///PATH")
    parser.add_argument("--callers", type=int, default=500)
    parser.add_argument("--listeners", type=int, default=100)
    parser.add_argument("--dispatchers", type=int, default=4)
    parser.add_argument("--processes", action="store_true", help="dispatchers in spawned processes, not threads")
    parser.add_argument("--talk-ms", type=float, default=0.0, help="talk between bridge and hang-up (ms)")
    parser.add_argument("--idle-ms", type=float, default=1.0, help="pause after an empty claim (ms)")
    parser.add_argument("--play", choices=("webhooks", "test"), default="webhooks",
                        help="one transaction per webhook step (default) or the test's single transaction")
    parser.add_argument("--strategy", choices=("longest_idle", "round_robin"), default="longest_idle")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each size; the median is compared")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds a run may take to drain")
    args = parser.parse_args(argv)
    for name in ("callers", "listeners", "dispatchers", "repeat"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.listeners > 999_999:
        parser.error("--listeners: at most 999999")
    if args.timeout <= 0 or args.talk_ms < 0 or args.idle_ms < 0:
        parser.error("--timeout must be positive, --talk-ms and --idle-ms not negative")
    return args


def _stop_on_term(*_):
    raise KeyboardInterrupt


def main(argv=None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_term)
    import _dispatch_support as support

    config = support.RaceConfig(timeout=args.timeout, talk_ms=args.talk_ms, idle_ms=args.idle_ms,
                                play=args.play, strategy=args.strategy)
    try:
        target = make_target(args.database_url)
    except BenchError as error:
        print(f"dispatch_burst: {error}", file=sys.stderr)
        return 2
    runs: list[dict] = []
    try:
        _print_setup(target, args)
        _seed_template(target, args)
        status = _race_each_size(target, args, config, runs)
        status = status or (0 if all(healthy(r) for r in runs) else 1)
        _print_summary(runs, args, status)
    except KeyboardInterrupt:
        print("\ndispatch_burst: interrupted; removing the temporary databases", file=sys.stderr)
        status = 130
    except BenchError as error:
        print(f"dispatch_burst: {error}", file=sys.stderr)
        status = 2
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not skip the clean-up
        left = target.cleanup()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if left:
            print(f"dispatch_burst: could not drop {', '.join(left)}", file=sys.stderr)
    return status


def _print_setup(target, args) -> None:
    print(f"dispatch burst: {target.describe()}")
    print(f"code: {code_version()}")
    print(f"pool \"burst\", strategy {args.strategy}, wrap-up 0 s, talk {args.talk_ms:g} ms, idle pause "
          f"{args.idle_ms:g} ms, play: " + ("one transaction per webhook step (dial, answer, accept, bridge, "
                                            "hang-up)" if args.play == "webhooks" else
                                            "the test's single transaction")
          + f"; {os.cpu_count()} CPUs; timeout {args.timeout:g} s per run")


def _seed_template(target, args) -> None:
    """The database every run copies: migrated, with the listeners and the waiting callers (not timed)."""
    import _dispatch_support as support
    from store.db import make_engine, make_session_factory, upgrade

    began = time.perf_counter()
    url = target.create_template()
    engine = make_engine(url)
    try:
        upgrade(engine)
        support.seed(make_session_factory(engine), args.listeners, args.callers)
        target.after_seed(engine)
    finally:
        engine.dispose()
    print(f"seeded {args.listeners} listeners and {args.callers} waiting callers in "
          f"{time.perf_counter() - began:.1f} s (not timed)\n")
    sys.stdout.flush()


def _race_each_size(target, args, config, runs: list[dict]) -> int:
    """The baseline then the --dispatchers run, --repeat times, each run printed and added to ``runs``;
    2 (and no more runs) as soon as one could not drain the queue, else 0."""
    plan = []
    for _ in range(args.repeat):
        plan.append(1)
        if args.dispatchers != 1:
            plan.append(args.dispatchers)
    for number, dispatchers in enumerate(plan, start=1):
        run = one_run(target, number, dispatchers, args.processes, config, args.callers)
        runs.append(run)
        print_run(run, args, _run_title(run, number, dispatchers, args))
        print()
        if run["drain"] is None:
            reasons = "; ".join(sorted(set(a.split(": ", 1)[-1] for a in run["aborted"])))
            print(f"dispatch_burst: the queue was not drained with {dispatchers} dispatcher(s) "
                  f"({reasons or 'no dispatcher finished'}); stopping.", file=sys.stderr)
            return 2
    return 0


def _run_title(run: dict, number: int, dispatchers: int, args) -> str:
    return (f"{dispatchers} dispatcher{'s' if dispatchers > 1 else ''}"
            + (" (baseline)" if dispatchers == 1 else "") + f", {run['mode']}"
            + (f", run {(number + 1) // 2 if args.dispatchers != 1 else number} of {args.repeat}"
               if args.repeat > 1 else ""))


def _print_summary(runs: list[dict], args, status: int) -> None:
    base = [r["drain"] for r in runs if r["dispatchers"] == 1 and r["drain"]]
    many = [r["drain"] for r in runs if r["dispatchers"] == args.dispatchers and r["drain"]]
    doubles = sum(r["checks"]["double_offers"] for r in runs)
    errors = sum(len(r_.get("errors", ())) for r in runs for r_ in r["results"])
    print("== summary ==")
    if base and many and args.dispatchers != 1:
        b, m = statistics.median(base), statistics.median(many)
        print(f"time to drain          1 dispatcher {b:.3f} s, {args.dispatchers} dispatchers {m:.3f} s "
              f"({runs[0]['mode']}{', median of ' + str(args.repeat) if args.repeat > 1 else ''})")
        print(f"offers per second      1 dispatcher {args.callers / b:,.1f}, {args.dispatchers} dispatchers "
              f"{args.callers / m:,.1f}")
        print(f"speed-up               {b / m:.2f}x ({args.dispatchers} dispatchers vs 1)")
    print(f"double offers          {doubles} (must be 0)")
    print(f"errors                 {errors} (must be 0)")
    print(f"verdict                {'OK' if status == 0 else 'FAILED'}")


if __name__ == "__main__":
    sys.exit(main())
