"""The rounds of benchmarks/webhook_throughput.py where the apps take turns, closed-loop then paced, so that a slow
minute of a shared machine falls on every app rather than on one; and what each app's server, its database
backends, the client and the rest of the machine spent during the app's turns."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks._webhook_load import Result, combined, p99, run_paced, run_python_client, run_wrk
from benchmarks._webhook_servers import CLK_TCK, backend_cpu_between, postgres_backend_cpu


@dataclass
class Machine:
    """The whole machine's counters since boot, in seconds (summed over its cores)."""
    busy: float  # every process's CPU time (idle and iowait excluded; steal included, as before)
    steal: float  # time the hypervisor ran someone else while this machine's virtual CPUs wanted to run
    pressure: float | None  # time some runnable task waited for a CPU (/proc/pressure/cpu); None without it

    def __sub__(self, earlier: Machine) -> Machine:
        pressure = None if self.pressure is None or earlier.pressure is None else self.pressure - earlier.pressure
        return Machine(self.busy - earlier.busy, self.steal - earlier.steal, pressure)

    def __add__(self, other: Machine) -> Machine:
        pressure = None if self.pressure is None or other.pressure is None else self.pressure + other.pressure
        return Machine(self.busy + other.busy, self.steal + other.steal, pressure)


def machine_now() -> Machine:
    """/proc/stat's first line (user nice system idle iowait irq softirq steal, in ticks) and the "some" line's
    total of /proc/pressure/cpu (microseconds)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    try:
        some = Path("/proc/pressure/cpu").read_text().split("\n", 1)[0]
        pressure = int(some.rsplit("total=", 1)[1]) / 1e6
    except (OSError, IndexError, ValueError):
        pressure = None
    return Machine((sum(fields) - fields[3] - fields[4]) / CLK_TCK, fields[7] / CLK_TCK, pressure)


@dataclass
class AppRun:
    """What one app's server did during its turns of the closed-loop rounds and of the paced rounds."""
    server: object  # serving from its warm-up until finish stops it
    shares: list = field(default_factory=list)  # its measured requests, one share per round (a file for wrk)
    results: list = field(default_factory=list)  # the load generator's figures, one per round
    server_cpu: float = 0.0  # seconds, both workers
    db_cpu: float = 0.0  # seconds of this run's PostgreSQL backends
    window: float = 0.0  # seconds of wall clock its closed-loop turns took, the load generator's start included
    machine: Machine = field(default_factory=lambda: Machine(0.0, 0.0, 0.0))  # during those turns
    paced: list = field(default_factory=list)  # ms, every paced call of every round
    paced_errors: int = 0
    failures: int = 0  # ERROR and CRITICAL lines in the server's log
    rss: float = 0.0  # MB, the largest worker

    @property
    def result(self) -> Result:
        """Its rounds as one run: every request, every error, all of their time; p50 and p99 over every request."""
        return combined(self.results)

    @property
    def other_share(self) -> float:
        """Of one core, kept busy by other processes during its turns (all but its server, its backends, the
        client)."""
        other = self.machine.busy - self.server_cpu - self.db_cpu - sum(result.client_cpu for result in self.results)
        return max(0.0, other / self.window) if self.window > 0 else 0.0

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * self.server_cpu / max(self.result.requests, 1)

    @property
    def paced_p99(self) -> float:
        return p99(self.paced)


def split_into_rounds(pairs: list, rounds: int) -> list[list]:
    """``pairs`` in ``rounds`` consecutive shares, as even as can be: the cap on an app's requests stays one cap."""
    return [pairs[index * len(pairs) // rounds:(index + 1) * len(pairs) // rounds] for index in range(rounds)]


def closed_loop_rounds(runs: dict[str, AppRun], args, needle: str) -> None:
    """--rounds rounds; in each every app in turn gets --duration / rounds seconds of closed-loop load (or its share
    of --max-requests, whichever ends first), so that a busy minute of the machine falls on every app."""
    for index in range(args.rounds):
        for name, run in runs.items():
            try:
                closed_loop_turn(run, run.shares[index], args, needle)
            except BaseException:
                print(f"--- end of the {name} server's log:\n{run.server.log.read_text()[-3000:]}", file=sys.stderr)
                raise


def closed_loop_turn(run: AppRun, share, args, needle: str) -> None:
    """One app's turn of one round, and what its server, its backends and the machine spent meanwhile. The
    database's backends are asked first and last, so that asking costs nothing inside the window."""
    seconds = args.duration / args.rounds
    db_before = postgres_backend_cpu(args.run_database_url)
    cpu_before, machine_before, wall_before = run.server.cpu_seconds(), machine_now(), time.monotonic()
    if args.client == "wrk":
        result = run_wrk(run.server.port, share, seconds, args.connections, needle)
    else:
        result = run_python_client(run.server.port, share, seconds, args.connections, needle)
    run.window += time.monotonic() - wall_before
    run.machine += machine_now() - machine_before
    run.server_cpu += run.server.cpu_seconds() - cpu_before
    run.db_cpu += backend_cpu_between(db_before, postgres_backend_cpu(args.run_database_url))
    run.results.append(result)


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
