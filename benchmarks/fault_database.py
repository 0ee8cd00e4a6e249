"""Fault: PostgreSQL stopped in the middle of a call storm, then started again. Prints what was lost.

The script starts a PostgreSQL cluster of its own (initdb in a temporary folder, owned by the postgres user,
trust authentication on 127.0.0.1, port ``--port``, 25432 by default — below the ephemeral ports, which the
storm's own connections use — or a free one), never the shared server.
A storm as in load_storm.py runs against gunicorn on that cluster; ``--stop-at`` seconds in, the cluster is
stopped ("immediate": every connection cut, as in a crash); ``--down`` seconds later it is started again.
Nothing is restarted on the engine's side.

What must hold, and is printed:
  * every webhook got valid TwiML, before, during and after the outage (HTTP errors, answers that are not
    TwiML and requests with no answer: must be 0); during the outage the answers are the fallback ones
    (a caller hears an apology and is put through to the emergency number);
  * the engine recovers by itself: the time from the restart to the first normal answer, and the fallback
    answers given more than ``--recovery-grace`` seconds after the restart (must be 0);
  * with the sweep every 15 s during the storm, as the scheduler runs it, and after it (every 15 s for
    13 minutes, then once 4 hours on), nothing is
    left ringing, on a call or waiting; what each pass repaired and what was still left is printed.

    python benchmarks/fault_database.py [--concurrency 40] [--stop-at 10] [--down 10]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._storm import TwilioEmulator  # noqa: E402
from benchmarks._storm_calls import Stats, fallback_needles, free_port, run_storm  # noqa: E402
from benchmarks._storm_servers import SWEEPS, PeriodicSweep, leftovers, run_sweeps, serve_storm  # noqa: E402

POSTGRES_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"))


class OwnCluster:
    """A throwaway PostgreSQL cluster run as the postgres user, on 127.0.0.1 only, removed at the end."""

    def __init__(self, port: int):
        if not POSTGRES_BIN:
            raise SystemExit("no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)")
        self.bin = POSTGRES_BIN[-1]
        self.port = port
        self.root = Path(tempfile.mkdtemp(prefix="helpline-pg-fault-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        shutil.chown(self.root, "postgres", "postgres")
        self._as_postgres(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                          "--no-sync", "-E", "UTF8")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(f"\nlisten_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{self.root}'\n"
                       "max_connections = 200\n")

    def _as_postgres(self, *command: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *command], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.STDOUT, cwd=self.root)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/helpline"

    def start(self) -> None:
        for attempt in range(3):  # after an immediate stop the old postmaster may still be finishing its exit
            try:
                self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "start")
                return
            except subprocess.CalledProcessError:
                if attempt == 2:
                    tail = self.log.read_text()[-2000:] if self.log.exists() else "(no log)"
                    raise SystemExit(f"the throwaway PostgreSQL cluster did not start:\n{tail}")
                time.sleep(2)

    def stop(self) -> None:
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def create_database(self) -> None:
        self._as_postgres(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "helpline")

    def remove(self) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", str(self.bin / "pg_ctl"), "-D", str(self.data),
                        "-m", "immediate", "stop"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        shutil.rmtree(self.root, ignore_errors=True)


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--concurrency", type=int, default=40)
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=90)
    parser.add_argument("--stop-at", type=float, default=10, help="seconds into the storm")
    parser.add_argument("--down", type=float, default=10, help="seconds the database stays down")
    parser.add_argument("--recovery-grace", type=float, default=5)
    parser.add_argument("--listeners", type=int, default=5)
    parser.add_argument("--workers", type=int, default=3)
    # Below the kernel's ephemeral range (32768-60999 here): while the cluster is down, the storm's own
    # connections may take a port in that range as their local port, and the restart could not bind it.
    parser.add_argument("--port", type=int, default=25432)
    return parser.parse_args(argv)


class Outage:
    """Called by the storm with the seconds elapsed: stops the cluster ``stop_at`` seconds in and starts it again
    ``down`` seconds later, noting the moments ("stopped", "started") on the monotonic clock."""

    def __init__(self, cluster: OwnCluster, stop_at: float, down: float):
        self.cluster, self.stop_at, self.down = cluster, stop_at, down
        self.moments: dict[str, float] = {}

    def __call__(self, elapsed: float) -> None:
        if "stopped" not in self.moments and elapsed >= self.stop_at:
            self.cluster.stop()
            self.moments["stopped"] = time.monotonic()
        elif "started" not in self.moments and elapsed >= self.stop_at + self.down:
            self.cluster.start()
            self.moments["started"] = time.monotonic()


@dataclass
class Aftermath:
    """The storm's length, the sweep that ran during it, and what was left behind before and after the sweeps."""
    elapsed: float
    sweeper: PeriodicSweep
    before: dict[str, int]
    sweeps: list[tuple[str, str, dict[str, int]]]
    after: dict[str, int]


@dataclass
class Recovery:
    """The webhooks of the storm's timeline, read around the outage."""
    during: list[bool]  # each webhook's answer during the outage: normal (True) or the fallback TwiML
    incoming_after: list[bool]
    normal_after: list[float]  # when incoming calls were answered normally after the restart
    bridges_after: list[float]
    late_fallbacks: list[str]  # fallback answers more than --recovery-grace seconds after the restart
    unanswered: list[str]

    @classmethod
    def of(cls, stats: Stats, moments: dict[str, float], grace: float) -> Recovery:
        stopped, started = moments.get("stopped", float("inf")), moments.get("started", float("inf"))
        timeline = stats.timeline
        return cls(
            during=[ok for at, _path, ok in timeline if stopped <= at < started],
            incoming_after=[ok for at, path, ok in timeline if at >= started and path == "/voice/incoming"],
            normal_after=[at for at, path, ok in timeline if at >= started and ok and path == "/voice/incoming"],
            bridges_after=[at for at, path, ok in timeline
                           if at >= started and ok and path == "/voice/queue/bridging"],
            late_fallbacks=[path for at, path, ok in timeline if at >= started + grace and not ok],
            unanswered=[what for _path, what in stats.errors])


def main(argv=None) -> int:
    args = parse_args(argv)
    if os.geteuid() != 0:
        raise SystemExit("run as root: the throwaway cluster is run as the postgres user with runuser")
    port = args.port if port_is_free(args.port) else free_port()
    cluster = OwnCluster(port)
    stats = Stats(fallback_needles())
    emulator = TwilioEmulator("db-fault-auth-token-" + "0" * 12, stats)
    outage = Outage(cluster, args.stop_at, args.down)
    server = None
    try:
        cluster.start()
        cluster.create_database()
        with tempfile.TemporaryDirectory(prefix="helpline-db-fault-") as temporary:
            environment, server = serve_storm(emulator, cluster.url, Path(temporary), args.listeners, args.workers)
            aftermath = storm_then_sweep(args, environment, emulator, outage, cluster.url)
    finally:
        emulator.stop()
        if server is not None:
            server.stop()
        cluster.remove()
    recovery = Recovery.of(stats, outage.moments, args.recovery_grace)
    print_report(args, port, stats, aftermath, recovery, outage.moments.get("started", float("inf")))
    # Bridges after the restart are printed, not judged: callers who hung up during the outage are still
    # "waiting" until the sweep checks them with Twilio (every 2 minutes of their wait) and come first.
    lost_anything = (bool(recovery.unanswered) or bool(recovery.late_fallbacks) or not recovery.normal_after
                     or any(aftermath.after.values()))
    print("LOST: nothing" if not lost_anything else "LOST: see above")
    return 1 if lost_anything or not recovery.during else 0


def storm_then_sweep(args, environment: dict[str, str], emulator: TwilioEmulator, outage: Outage,
                     url: str) -> Aftermath:
    """The storm with the outage in it and the scheduler's sweep every 15 s, then the later sweeps (SWEEPS)."""
    sweeper = PeriodicSweep(environment).start()  # the scheduler's sweep, every 15 s
    elapsed = run_storm(emulator, args.concurrency, args.calls, args.seconds, during=outage)
    sweeper.stop()
    emulator.settle()
    time.sleep(3)
    before = leftovers(url)
    sweeps = []
    for label, offsets in SWEEPS:
        report = run_sweeps(environment, offsets)
        emulator.settle()
        sweeps.append((label, report, leftovers(url)))
    return Aftermath(elapsed, sweeper, before, sweeps, leftovers(url))


def print_report(args, port: int, stats: Stats, aftermath: Aftermath, recovery: Recovery, started: float) -> None:
    print(f"PostgreSQL (own cluster on 127.0.0.1:{port}) stopped {args.stop_at:.0f} s into a storm of "
          f"{args.concurrency} concurrent calls, started again {args.down:.0f} s later; "
          f"{aftermath.elapsed:.0f} s in all")
    print(f"  calls                 placed {stats.calls_started}, finished {stats.calls_finished}, bridged "
          f"{stats.calls_bridged}, stuck {stats.stuck}")
    print(f"  webhooks              {len(stats.latencies)}; without valid TwiML (HTTP error, not TwiML, no answer): "
          f"{len(recovery.unanswered)} {sorted(set(recovery.unanswered))}")
    print(f"  during the outage     {len(recovery.during)} webhooks, {recovery.during.count(False)} answered with "
          "the fallback TwiML")
    recovered = f"{recovery.normal_after[0] - started:.1f} s" if recovery.normal_after else "never"
    print(f"  recovery              first normal answer to an incoming call {recovered} after the restart; "
          f"fallback answers more than {args.recovery_grace:.0f} s after it: {len(recovery.late_fallbacks)}; calls "
          f"arriving after the restart {len(recovery.incoming_after)}, answered normally "
          f"{recovery.incoming_after.count(True)}; callers bridged to a listener after the restart "
          f"{len(recovery.bridges_after)}")
    print(f"  left behind           after the storm {aftermath.before}")
    print(f"  sweep during storm    {aftermath.sweeper.passes} passes every 15 s, {aftermath.sweeper.failures} failed "
          "(database down)")
    for label, report, left in aftermath.sweeps:
        print(f"  sweep {label:<16}{report}")
        print(f"        {'':<16}left behind then: {left}")
    print(f"  left behind           after the sweep {aftermath.after}")


if __name__ == "__main__":
    sys.exit(main())
