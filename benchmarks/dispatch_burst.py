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
    benchmarks/_dispatch_support.py), and each listener's status changes form the chain
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
import ipaddress
import multiprocessing
import os
import queue
import shutil
import signal
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
for entry in (str(ROOT), str(BENCH)):
    if entry not in sys.path:
        sys.path.insert(0, entry)

DEFAULT_URL = "postgresql+psycopg://root@127.0.0.1:5432/postgres"
MEASURED_CODE = ("store/dispatch.py", "store/listeners.py", "store/callbacks.py", "store/models", "store/db.py",
                 "store/migrations", "routing/queueing.py")
LOOPBACK_NAMES = {"localhost", "ip6-localhost", "ip6-loopback"}


class BenchError(RuntimeError):
    """A clear reason to stop, printed without a traceback."""


# --- databases --------------------------------------------------------------------------------------------------


def _is_loopback(host: str | None) -> bool:
    if not host or host.startswith("/"):
        return True  # a Unix socket on this machine
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class PostgresTarget:
    """A template database seeded once, and one copy of it per run; all dropped at the end."""

    def __init__(self, url: str):
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url

        self.base = make_url(url)
        hosts = [self.base.host, *([self.base.query["host"]] if isinstance(self.base.query.get("host"), str)
                                   else self.base.query.get("host", ()))]
        if not all(_is_loopback(h) for h in hosts):
            raise BenchError(f"refusing {self.base.render_as_string()}: only a loopback server may be used")
        admin_url = self.base.set(database=self.base.database or "postgres")
        self.admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
        self.name = f"helpline_bench_{uuid.uuid4().hex[:10]}"
        self.created: list[str] = []
        self.kind = "PostgreSQL"

    def _execute(self, sql: str, *, retry_in_use: bool = False):
        from sqlalchemy import text
        from sqlalchemy.exc import OperationalError

        for attempt in range(40):
            try:
                with self.admin.connect() as connection:
                    result = connection.execute(text(sql))
                    return result.all() if result.returns_rows else None
            except OperationalError as error:
                in_use = "being accessed by other users" in str(error)
                if not (retry_in_use and in_use) or attempt == 39:
                    raise
                time.sleep(0.25)  # autovacuum or a closing backend still on the template

    def describe(self) -> str:
        version = self._execute("SELECT current_setting('server_version')")[0][0]
        where = f"{self.base.host or 'socket'}:{self.base.port or 5432}"
        return f"PostgreSQL {version} at {where}, temporary databases {self.name}[_N]"

    def url_of(self, name: str) -> str:
        return self.base.set(database=name).render_as_string(hide_password=False)

    def create_template(self) -> str:
        try:
            self._execute(f'CREATE DATABASE "{self.name}"')
        except Exception as error:  # noqa: BLE001
            raise BenchError(f"cannot create a database on {self.base.render_as_string()}: "
                             f"{type(error).__name__}: {str(error).strip().splitlines()[0]}") from error
        self.created.append(self.name)
        return self.url_of(self.name)

    def after_seed(self, engine) -> None:
        from sqlalchemy import text

        with engine.connect() as connection:  # a live database has planner statistics
            connection.execute(text("ANALYZE"))
            connection.commit()

    def copy(self, number: int) -> str:
        name = f"{self.name}_{number}"
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.name}"', retry_in_use=True)
        self.created.append(name)
        return self.url_of(name)

    def counters(self, url: str) -> dict | None:
        from sqlalchemy.engine import make_url

        name = make_url(url).database
        time.sleep(0.3)  # the backends that just closed flush their statistics on exit
        rows = self._execute("SELECT xact_commit, xact_rollback, deadlocks FROM pg_stat_database "
                             f"WHERE datname = '{name}'")
        return dict(zip(("commits", "rollbacks", "deadlocks"), rows[0])) if rows else None

    def drop(self, url: str) -> None:
        from sqlalchemy.engine import make_url

        name = make_url(url).database
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self.created:
            self.created.remove(name)

    def cleanup(self) -> list[str]:
        left = []
        for name in reversed(list(self.created)):
            try:
                self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                self.created.remove(name)
            except Exception as error:  # noqa: BLE001
                left.append(f"{name} ({type(error).__name__})")
        self.admin.dispose()
        return left


class SqliteTarget:
    """A template file seeded once, and one copy per run, all removed at the end."""

    def __init__(self, url: str):
        from sqlalchemy.engine import make_url

        path = make_url(url).database if url not in ("sqlite", "sqlite:") else None
        if path in (":memory:",):
            raise BenchError("an in-memory SQLite database cannot be shared by dispatchers: give a file path "
                             "or sqlite:// for a temporary file")
        self.directory = None
        if path:
            self.path = Path(path).resolve()
            if self.path.exists():
                raise BenchError(f"{self.path} exists: the benchmark makes and removes its own file, give a new path")
            if not self.path.parent.is_dir():
                raise BenchError(f"no directory {self.path.parent} for the SQLite file (sqlite:///relative/path, "
                                 f"sqlite:////absolute/path)")
        else:
            self.directory = Path(tempfile.mkdtemp(prefix="helpline_bench_"))
            self.path = self.directory / "burst.sqlite3"
        self.files: list[Path] = []
        self.kind = "SQLite"

    def describe(self) -> str:
        return f"SQLite {sqlite3.sqlite_version}, temporary file {self.path}[.N]"

    def create_template(self) -> str:
        self.files.append(self.path)
        return f"sqlite:///{self.path}"

    def after_seed(self, engine) -> None:
        engine.dispose()
        connection = sqlite3.connect(self.path)
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the copy must hold everything
        connection.close()

    def copy(self, number: int) -> str:
        target = self.path.with_name(f"{self.path.name}.{number}")
        shutil.copyfile(self.path, target)
        self.files.append(target)
        return f"sqlite:///{target}"

    def counters(self, url: str) -> dict | None:
        return None

    def _remove(self, path: Path) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)

    def drop(self, url: str) -> None:
        from sqlalchemy.engine import make_url

        path = Path(make_url(url).database)
        self._remove(path)
        if path in self.files:
            self.files.remove(path)

    def cleanup(self) -> list[str]:
        for path in list(self.files):
            self._remove(path)
        self.files.clear()
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
        return []


def code_version() -> str:
    """The commit measured, and whether the engine's own files had uncommitted changes."""
    import subprocess

    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", *MEASURED_CODE],
                               capture_output=True, text=True, timeout=10).stdout.split("\n")
    except (OSError, subprocess.SubprocessError):
        return "unknown (no git)"
    if not head:
        return f"unknown ({ROOT} is not a git checkout)"
    changed = sorted(line[3:] for line in dirty if line.strip())
    return head + (f" + uncommitted changes in {', '.join(changed)}" if changed else "")


def make_target(url: str):
    from sqlalchemy.engine import make_url

    if url in ("sqlite", "sqlite:"):
        return SqliteTarget(url)
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        return SqliteTarget(url)
    if backend == "postgresql":
        return PostgresTarget(url)
    raise BenchError(f"unsupported database {backend!r}: PostgreSQL or SQLite")


# --- one run ------------------------------------------------------------------------------------------------------


def race(url: str, dispatchers: int, processes: bool, config, on_started=lambda: None,
         on_finished=lambda: None) -> list[dict]:
    """Start the dispatchers together and wait until they are all done (or the time is up).

    ``on_started`` runs as the dispatchers are released (this thread is the barrier's last party);
    ``on_finished`` once every dispatcher has returned, while their processes and connections still exist."""
    def start_line(barrier) -> None:
        try:
            barrier.wait(timeout=config.barrier_timeout)
        except threading.BrokenBarrierError:
            pass  # a dispatcher could not start: it says so in its result
        on_started()

    import _dispatch_support as support
    from store.db import make_engine, make_session_factory

    grace = 15.0
    limit = config.barrier_timeout + config.timeout + grace
    if not processes:
        engine = make_engine(url)
        factory = make_session_factory(engine)
        counter = support.ThreadCounter()
        barrier = threading.Barrier(dispatchers + 1)
        stop = threading.Event()
        results: list[dict | None] = [None] * dispatchers

        def run(number: int) -> None:
            results[number] = support.Dispatcher(number, factory, support.Ticker(counter), barrier, stop,
                                                 config).run()

        threads = [threading.Thread(target=run, args=(n,), name=f"dispatcher-{n}", daemon=True)
                   for n in range(dispatchers)]
        try:
            for thread in threads:
                thread.start()
            start_line(barrier)
            until = time.monotonic() + limit
            for thread in threads:
                thread.join(max(0.0, until - time.monotonic()))
            if any(t.is_alive() for t in threads):
                stop.set()
                for thread in threads:
                    thread.join(grace)
            on_finished()
        finally:
            stop.set()
            if not any(t.is_alive() for t in threads):
                engine.dispose()
        return [r if r is not None else {"number": n, "errors": ["dispatcher thread never returned"],
                                         "aborted": "stuck"} for n, r in enumerate(results)]

    context = multiprocessing.get_context("spawn")
    counter = context.Value("q", 0)
    barrier = context.Barrier(dispatchers + 1)
    stop = context.Event()
    outbox = context.Queue()
    children = [context.Process(target=support.process_main, name=f"dispatcher-{n}",
                                args=(n, url, counter, barrier, stop, config, outbox), daemon=True)
                for n in range(dispatchers)]
    results = []
    try:
        for child in children:
            child.start()
        start_line(barrier)
        until = time.monotonic() + limit
        while len(results) < dispatchers:
            remaining = until - time.monotonic()
            if remaining <= 0:
                if stop.is_set():
                    break
                stop.set()
                until = time.monotonic() + grace
                continue
            try:
                results.append(outbox.get(timeout=min(remaining, 1.0)))
            except queue.Empty:
                if not any(c.is_alive() for c in children) and outbox.empty():
                    break  # a child died without a word
        on_finished()
        stop.set()  # the children were waiting for it to close their connections
        for child in children:
            child.join(grace)
    finally:
        stop.set()
        for child in children:
            if child.is_alive():
                child.terminate()
                child.join(5)
    got = {r["number"] for r in results}
    results += [{"number": n, "errors": [f"dispatcher process ended without a result (exit code "
                                         f"{children[n].exitcode})"], "aborted": "stuck"}
                for n in range(dispatchers) if n not in got]
    return sorted(results, key=lambda r: r["number"])


def _cpu_sample(database: str | None) -> dict:
    """CPU seconds so far: the machine's (busy, total over all CPUs), this script's (itself and its live child
    processes) and the PostgreSQL backends connected to ``database`` (named in their process titles)."""
    sample = {"busy": 0.0, "total": 0.0, "script": {}, "backends": {}}
    tick = os.sysconf("SC_CLK_TCK")
    try:
        with open("/proc/stat") as stat:
            fields = [float(v) for v in stat.readline().split()[1:]]
        sample["total"] = sum(fields[:8]) / tick  # user nice system idle iowait irq softirq steal
        sample["busy"] = sample["total"] - (fields[3] + fields[4]) / tick
    except (OSError, ValueError, IndexError):
        return sample
    me = os.getpid()
    needle = f" {database} ".encode() if database else None
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                after_name = stat.read().rsplit(b")", 1)[1].split()
            ppid, cpu = int(after_name[1]), (int(after_name[11]) + int(after_name[12])) / tick
            pid = int(entry.name)
            if pid == me or ppid == me:
                sample["script"][pid] = cpu
            elif needle is not None:
                with open(f"/proc/{entry.name}/cmdline", "rb") as cmdline:
                    if needle in cmdline.read().replace(b"\0", b" ") + b" ":
                        sample["backends"][pid] = cpu
        except (OSError, ValueError, IndexError):
            continue
    return sample


def _cpu_shares(before: dict, after: dict) -> dict | None:
    """Shares of the machine's whole capacity over the race: busy, this script, its PostgreSQL backends."""
    total = after["total"] - before["total"]
    if total <= 0:
        return None
    used = lambda kind: sum(cpu - before[kind].get(pid, 0.0) for pid, cpu in after[kind].items())  # noqa: E731
    return {"busy": (after["busy"] - before["busy"]) / total, "script": used("script") / total,
            "backends": used("backends") / total, "script_seconds": used("script"),
            "backend_seconds": used("backends")}


def one_run(target, number: int, dispatchers: int, processes: bool, config, callers: int) -> dict:
    import _dispatch_support as support
    from store.db import make_engine, make_session_factory

    url = target.copy(number)
    from sqlalchemy.engine import make_url

    database = make_url(url).database if target.kind == "PostgreSQL" else None
    try:
        marks = {}
        results = race(url, dispatchers, processes, config,
                       on_started=lambda: marks.update(before=_cpu_sample(database)),
                       on_finished=lambda: marks.update(after=_cpu_sample(database)))
        engine = make_engine(url)
        try:
            checks = support.check_database(make_session_factory(engine), results, callers)
        finally:
            engine.dispose()
        counters = target.counters(url)
    finally:
        target.drop(url)
    starts = [r["started"] for r in results if r.get("started")]
    ends = [r["finished"] for r in results if r.get("finished")]
    elapsed = (max(ends) - min(starts)) if starts and ends else None
    aborted = [f"dispatcher {r['number']}: {r['aborted']}" for r in results if r.get("aborted")]
    if not aborted and checks["callers_not_done"]:
        aborted.append(f"{checks['callers_not_done']} callers not done although every dispatcher stopped")
    drain = elapsed if elapsed is not None and not aborted and len(ends) == dispatchers else None
    return {"dispatchers": dispatchers, "mode": "processes" if processes else "threads", "results": results,
            "checks": checks, "counters": counters, "drain": drain, "elapsed": elapsed, "aborted": aborted,
            "t0": min(starts or [0]),
            "cpu": _cpu_shares(marks["before"], marks["after"]) if len(marks) == 2 else None}


# --- printing -------------------------------------------------------------------------------------------------


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def print_run(run: dict, args, title: str) -> None:
    results, checks = run["results"], run["checks"]
    drain = run["drain"]
    elapsed = drain or run["elapsed"]
    claims = sum(r.get("claims", 0) for r in results)
    empty = sum(r.get("empty_claims", 0) for r in results)
    offers = sum(r.get("offers", 0) for r in results)
    plays = sum(r.get("play_transactions", 0) for r in results)
    idle = sum(r.get("idle_checks", 0) for r in results)
    errors = [e for r in results for e in r.get("errors", ())]
    overlaps = [o for r in results for o in r.get("overlaps", ())]
    claim_ms = [s * 1000 for r in results for s in r.get("claim_seconds", ())]
    per = lambda n: f"{n / elapsed:,.1f}" if elapsed else "n/a"  # noqa: E731
    print(f"== {title} ==")
    print(f"callers                {args.callers}")
    print(f"listeners              {args.listeners}")
    print(f"dispatchers            {run['dispatchers']}")
    print(f"mode                   {run['mode']}")
    if drain is None:
        reasons = sorted(set(a.split(": ", 1)[-1] for a in run["aborted"])) or ["no dispatcher finished"]
        print(f"time to drain          NOT DRAINED after {elapsed or float('nan'):.3f} s: " + "; ".join(reasons))
    else:
        print(f"time to drain          {drain:.3f} s")
    print(f"offers per second      {per(offers)}   ({offers} offers)")
    print(f"claims per second      {per(claims)}   ({claims} claim transactions, {empty} empty, "
          f"{offers / max(1, claims - empty):.1f} offers per productive claim)")
    print(f"transactions per sec.  {per(claims + plays + idle)}   ({plays} offer-playing, {idle} idle checks)")
    print(f"claim transaction      p50 {_percentile(claim_ms, 0.5):.2f} ms, p99 {_percentile(claim_ms, 0.99):.2f} ms, "
          f"max {max(claim_ms, default=float('nan')):.2f} ms")
    cpu = run["cpu"]
    if cpu is not None:
        backends = f", its PostgreSQL backends {100 * cpu['backends']:.0f}%" if run["counters"] is not None else ""
        rest = max(0.0, cpu["busy"] - cpu["script"] - cpu["backends"])
        print(f"CPU during the race    {100 * cpu['busy']:.0f}% of the machine's {os.cpu_count()} CPUs busy: "
              f"this script {100 * cpu['script']:.0f}%{backends}, everything else (other processes, kernel) "
              f"{100 * rest:.0f}%")
        if offers:
            backend_ms = (f", its PostgreSQL backends {1000 * cpu['backend_seconds'] / offers:.1f} ms"
                          if run["counters"] is not None else "")
            print(f"CPU per offer          this script {1000 * cpu['script_seconds'] / offers:.1f} ms{backend_ms}")
    t0 = run["t0"]
    spread = ", ".join(f"#{r['number']} {r.get('offers', 0)} offers done at "
                       f"{(r['finished'] - t0) if r.get('finished') else float('nan'):.2f} s" for r in results)
    print(f"per dispatcher         {spread}")
    if "offer_wait_max" in checks:
        print(f"stragglers             last caller offered at {checks['offer_wait_max']:.3f} s (median "
              f"{checks['offer_wait_p50']:.3f} s); {checks['callers_overtaken']} callers offered after a later "
              f"caller, at most overtaken by {checks['most_overtaken_by']}")
    print(f"double offers          {checks['double_offers']}   (inside claims {len(overlaps)}, callers offered "
          f"twice {checks['callers_offered_twice']}, overlapping offers per listener in commit order "
          f"{checks['listener_overlaps']})")
    print(f"final check            callers not done {checks['callers_not_done']}, without offer "
          f"{checks['callers_without_offer']}, offers not ended {checks['offers_not_ended']}, unaccounted "
          f"{checks['offers_unaccounted']}, status chain breaks {checks['status_chain_breaks']}, "
          f"ringing rows != offers {checks['ringing_rows_not_offers']}, listeners left ringing/on call "
          f"{checks['listeners_still_busy']}")
    print(f"informational          offer created_at before the previous offer's ended_at for the same listener "
          f"{checks['clock_inversions']} (instants read before the row locks: not commit order); claim stamps "
          f"out of id order {checks['claim_order_differs_from_id_order']}")
    if run["counters"] is not None:
        c = run["counters"]
        print(f"postgresql counters    {c['commits']} commits, {c['rollbacks']} rollbacks, {c['deadlocks']} deadlocks")
    print(f"errors                 {len(errors)}")
    for line in (errors[:8] + overlaps[:5] + checks["examples"]):
        print(f"    {line}")
    sys.stdout.flush()


def healthy(run: dict) -> bool:
    checks = run["checks"]
    bad = (checks["double_offers"], checks["callers_not_done"], checks["callers_without_offer"],
           checks["offers_not_ended"], checks["offers_unaccounted"], checks["status_chain_breaks"],
           checks["ringing_rows_not_offers"], checks["listeners_still_busy"],
           sum(len(r.get("errors", ())) for r in run["results"]))
    return run["drain"] is not None and not run["aborted"] and not any(bad)


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
    from store.db import make_engine, make_session_factory, upgrade

    config = support.RaceConfig(timeout=args.timeout, talk_ms=args.talk_ms, idle_ms=args.idle_ms,
                                play=args.play, strategy=args.strategy)
    try:
        target = make_target(args.database_url)
    except BenchError as error:
        print(f"dispatch_burst: {error}", file=sys.stderr)
        return 2
    runs: list[dict] = []
    status = 0
    try:
        print(f"dispatch burst: {target.describe()}")
        print(f"code: {code_version()}")
        print(f"pool \"burst\", strategy {args.strategy}, wrap-up 0 s, talk {args.talk_ms:g} ms, idle pause "
              f"{args.idle_ms:g} ms, play: " + ("one transaction per webhook step (dial, answer, accept, bridge, "
                                                "hang-up)" if args.play == "webhooks" else
                                                "the test's single transaction")
              + f"; {os.cpu_count()} CPUs; timeout {args.timeout:g} s per run")
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
        plan = []
        for _ in range(args.repeat):
            plan.append(1)
            if args.dispatchers != 1:
                plan.append(args.dispatchers)
        for number, dispatchers in enumerate(plan, start=1):
            run = one_run(target, number, dispatchers, args.processes, config, args.callers)
            runs.append(run)
            title = f"{dispatchers} dispatcher{'s' if dispatchers > 1 else ''}" + \
                    (" (baseline)" if dispatchers == 1 else "") + f", {run['mode']}" + \
                    (f", run {(number + 1) // 2 if args.dispatchers != 1 else number} of {args.repeat}"
                     if args.repeat > 1 else "")
            print_run(run, args, title)
            print()
            if run["drain"] is None:
                reasons = "; ".join(sorted(set(a.split(": ", 1)[-1] for a in run["aborted"])))
                print(f"dispatch_burst: the queue was not drained with {dispatchers} dispatcher(s) "
                      f"({reasons or 'no dispatcher finished'}); stopping.", file=sys.stderr)
                status = 2
                break
        status = status or (0 if all(healthy(r) for r in runs) else 1)
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


if __name__ == "__main__":
    sys.exit(main())
