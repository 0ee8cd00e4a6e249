"""Fault: web workers killed with SIGKILL in the middle of a call storm. Prints what was lost (must be nothing).

A storm as in load_storm.py (``--concurrency`` callers, one in ``--callback-every`` leaving the queue with its
key to ask for a callback: consent, this number, as soon as possible, no message), against gunicorn and a
temporary PostgreSQL database. Every ``--kill-every`` seconds one gunicorn worker, chosen at random, gets
SIGKILL; gunicorn starts another. A webhook cut by a kill gets no answer, so the caller's leg fetches the
number's fallback URL, as Twilio does.

What must hold, and is printed:
  * every caller who heard "a listener will call you back" has their request in the database (a request is
    saved in the transaction that answers the webhook: no acknowledgement without a row);
  * with the sweep every 15 s during the storm, as the scheduler runs it, and after it (every 15 s for 13
    minutes, by when each open conversation has reached the 10 minutes at which it is checked with Twilio,
    then once 4 hours on), no listener is left ringing or on a call, no caller waiting and no offer live.

    python benchmarks/fault_worker_kill.py [--concurrency 40] [--seconds 40] [--kill-every 6]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._storm import TwilioEmulator  # noqa: E402
from benchmarks._storm_calls import Stats, fallback_needles, run_storm  # noqa: E402
from benchmarks._storm_servers import (SWEEPS, PeriodicSweep, leftovers, run_sweeps, saved_callbacks,  # noqa: E402
                                       serve_storm)
from benchmarks._webhook_servers import PostgresDatabase  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--concurrency", type=int, default=40)
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--kill-every", type=float, default=6, help="seconds between two SIGKILLs")
    parser.add_argument("--kills", type=int, default=5, help="workers killed in all")
    parser.add_argument("--callback-every", type=int, default=3, help="one caller in N asks for a callback")
    parser.add_argument("--listeners", type=int, default=5, help="available listeners per pool")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--database-url", default="postgresql+psycopg://root@127.0.0.1:5432/postgres")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    killed: list[int] = []
    with tempfile.TemporaryDirectory(prefix="helpline-kill-") as temporary:
        work = Path(temporary)
        database = PostgresDatabase(args.database_url)
        database.create()
        stats = Stats(fallback_needles())
        emulator = TwilioEmulator("kill-auth-token-" + "0" * 16, stats)
        server = None
        try:
            environment, server = serve_storm(emulator, database.url, work, args.listeners, args.workers)

            def kill_now_and_then(elapsed: float) -> None:
                if len(killed) < args.kills and elapsed >= args.kill_every * (len(killed) + 1):
                    workers = server.worker_pids()
                    if workers:
                        victim = random.choice(workers)
                        os.kill(victim, signal.SIGKILL)
                        killed.append(victim)

            sweeper = PeriodicSweep(environment).start()  # the scheduler's sweep, every 15 s
            elapsed = run_storm(emulator, args.concurrency, args.calls, args.seconds, during=kill_now_and_then,
                                callback_every=args.callback_every)
            sweeper.stop()
            emulator.settle()
            time.sleep(3)  # the last wrap-ups end, the last status callbacks land
            before = leftovers(database.url)
            sweeps = []
            for label, offsets in SWEEPS:
                report = run_sweeps(environment, offsets)
                emulator.settle()
                sweeps.append((label, report, leftovers(database.url)))
            after = leftovers(database.url)
            acknowledged = set(stats.acknowledged)
            lost = acknowledged - saved_callbacks(database.url)
        finally:
            emulator.stop()
            if server is not None:
                server.stop()
            database.drop()

    cut = [what for _path, what in stats.errors]
    print(f"Workers killed with SIGKILL: {len(killed)} in {elapsed:.0f} s of storm ({args.concurrency} concurrent "
          f"calls, {args.workers} gunicorn workers, PostgreSQL)")
    print(f"  calls                 placed {stats.calls_started}, finished {stats.calls_finished}, bridged "
          f"{stats.calls_bridged}, stuck {stats.stuck}")
    print(f"  webhooks              {len(stats.latencies)}, cut by a kill (no answer): {len(cut)} {sorted(set(cut))}; "
          f"caller legs sent to the fallback URL: {stats.fallback_urls}")
    print(f"  callback requests     acknowledged to the caller {len(acknowledged)}, lost {len(lost)} {sorted(lost)}")
    print(f"  left behind           after the storm {before}")
    print(f"  sweep during storm    {sweeper.passes} passes every 15 s, {sweeper.failures} failed (database down)")
    for label, report, left in sweeps:
        print(f"  sweep {label:<16}{report}")
        print(f"        {'':<16}left behind then: {left}")
    print(f"  left behind           after the sweep {after}")
    lost_anything = bool(lost) or any(after.values())
    print("LOST: nothing" if not lost_anything else "LOST: see above")
    return 1 if lost_anything or len(killed) < args.kills or not acknowledged else 0


if __name__ == "__main__":
    sys.exit(main())
