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
    ``--duration`` and by ``--max-requests`` per app. Then, on the same server, ``--pace`` calls a second
    (50) for ``--pace-seconds`` (10), open loop: the p99 at a real pace.

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
import http.client
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

PUBLIC_URL = "https://ivr.example.org"
PATH = "/voice/incoming"
SEED_NUMBERS = ("+3225550300", "+33199000116", "+33199000108", "+33199003977", "+33199009494")
WITHHELD_FROMS = ("anonymous", "+266696687", "restricted")
NEW_SHARE, WITHHELD_SHARE = 0.80, 0.10  # the rest: returning callers
CALLS_PER_RETURNING_CALLER = 4  # well under the seed lines' throttle (8 calls in 30 minutes)
CLK_TCK = os.sysconf("SC_CLK_TCK")


# --- the requests ----------------------------------------------------------------------------------------


def caller_mix(count: int, seed: str) -> list[str]:
    """Who calls, request by request: 80 % callers new to the line (a number never seen before), 10 % withheld,
    10 % returning callers (a pool sized so that each calls about 4 times in the run: the repeat-call throttle,
    8 calls in 30 minutes, admits them all). French and Belgian mobile numbers."""
    import random

    pick = random.Random(seed)
    returning = [f"+3247{n:07d}" for n in range(max(1, int(count * (1 - NEW_SHARE - WITHHELD_SHARE))
                                                      // CALLS_PER_RETURNING_CALLER))]
    base = pick.randrange(10_000_000)
    froms = []
    for i in range(count):
        roll = pick.random()
        if roll < NEW_SHARE:
            froms.append(f"+336{(base + i) % 100_000_000:08d}")
        elif roll < NEW_SHARE + WITHHELD_SHARE:
            froms.append(WITHHELD_FROMS[i % len(WITHHELD_FROMS)])
        else:
            froms.append(pick.choice(returning))
    return froms


def signed_requests(auth_token: str, count: int, prefix: str) -> list[tuple[str, str]]:
    """(signature, body) pairs: valid, unique CallSids (CA + 32 hex digits), callers as caller_mix, To rotating."""
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(auth_token)
    account = "AC" + "1" * 32
    found = []
    for i, caller in enumerate(caller_mix(count, prefix + uuid.uuid4().hex)):
        params = {
            "CallSid": "CA" + uuid.uuid4().hex,
            "AccountSid": account,
            "From": caller,
            "To": SEED_NUMBERS[i % len(SEED_NUMBERS)],
            "CallStatus": "ringing",
            "Direction": "inbound",
            "ApiVersion": "2010-04-01",
        }
        found.append((validator.compute_signature(PUBLIC_URL + PATH, params), urlencode(params)))
    return found


def write_requests(path: Path, pairs: list[tuple[str, str]]) -> None:
    path.write_text("".join(f"{signature}\t{body}\n" for signature, body in pairs))


def fallback_needle() -> str:
    """Words only the webhook's "technical problem" answer says, as they appear in the TwiML."""
    from ivr import prompts

    return escape(prompts.render("technical_problem", "fr"))


# --- servers -----------------------------------------------------------------------------------------------


def busy_cpu_seconds() -> float:
    """CPU time spent by every process on the machine since boot (all cores, idle and iowait excluded)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(fields) - fields[3] - fields[4]) / CLK_TCK


def postgres_backend_cpu(database_url: str | None) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend connected to this run's database (none without one): other
    databases' backends, and the other engineers' on a shared machine, are not this run's."""
    if not database_url:
        return {}
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    engine = create_engine(url.set(database="postgres"))
    try:
        with engine.connect() as connection:
            pids = connection.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = :name"),
                                      {"name": url.database}).scalars().all()
    finally:
        engine.dispose()
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / CLK_TCK
    return found


def backend_cpu_between(before: dict[int, float], after: dict[int, float]) -> float:
    """What the backends spent in between (a backend born meanwhile counts in full; one gone is lost)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    log: Path

    def worker_pids(self) -> list[int]:
        try:
            text = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in text.split()]

    def cpu_seconds(self) -> float:
        total = 0
        for pid in self.worker_pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / CLK_TCK

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def answers(port: int) -> bool:
    """The app is loaded in a worker: an unsigned GET is answered (403 from the real app, 200 from the bare)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", PATH)
        return connection.getresponse().status < 500
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


# The worker class production serves the webhooks with (gunicorn.conf.py): threads that read a whole request
# before a thread takes it, so a slow client holds no thread.
SHIPPED_WORKER = "serving.WholeRequestThreadWorker"


def start_gunicorn(target: str, env: dict[str, str], args, log: Path) -> Server:
    port = free_port()
    # An empty config file: gunicorn would otherwise load the production gunicorn.conf.py from the working
    # directory (its access log and worker recycling would be measured too, and differently per app).
    config = log.parent / "gunicorn-benchmark.conf.py"
    config.write_text("")
    command = [
        sys.executable, "-m", "gunicorn",
        "--config", str(config),
        "--workers", "2",
        "--worker-class", SHIPPED_WORKER if args.worker_class == "shipped" else args.worker_class,
        "--bind", f"127.0.0.1:{port}",
        "--chdir", str(ROOT),
        "--error-logfile", "-",
        "--log-level", "warning",
        "--timeout", "30",
    ]  # fmt: skip
    if args.worker_class in ("gthread", "shipped"):
        command += ["--threads", str(args.threads)]
    command.append(target)
    with log.open("ab") as output:  # gunicorn's and the app's logs (the app logs to stderr)
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT, cwd=ROOT)
    server = Server(process, port, log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited ({process.returncode}) serving {target}:\n{log.read_text()[-3000:]}")
        if len(server.worker_pids()) == 2 and answers(port):
            return server
        time.sleep(0.1)
    server.stop()
    raise SystemExit(f"gunicorn did not start serving {target} within 30 s")


# --- databases ---------------------------------------------------------------------------------------------


def production_settings() -> dict[str, str]:
    """Fresh secrets for every secret the app requires in production (by setting name)."""
    from settings import SETTINGS

    values = {
        "TWILIO_ACCOUNT_SID": "AC" + secrets.token_hex(16),
        "TWILIO_AUTH_TOKEN": secrets.token_hex(16),
        "NUMBER_PEPPER": secrets.token_hex(16),
        "PUBLIC_URL": PUBLIC_URL,
        # The seed pools have no listener, so nothing should dial out; if something did, it would reach a
        # closed port on this machine, never Twilio.
        "TWILIO_API_BASE_URL": "http://127.0.0.1:9",
    }
    if "CALLBACK_KEY" in SETTINGS:  # a Fernet key that encrypts callback numbers
        from store.crypto import new_key

        values["CALLBACK_KEY"] = new_key()
    if "SECRET_KEY" in SETTINGS:  # signs the console's cookies
        values["SECRET_KEY"] = secrets.token_urlsafe(48)
    return values


def prepare_database(url: str, settings_: dict[str, str]) -> None:
    """Migrate and load the shipped directory, as `helpline db upgrade` and `helpline directory load` do."""
    from app import create_app
    from directory_data.fields import DATA_DIR
    from commands.database import load_directory_files
    from store.db import upgrade
    from store.extension import database

    app = create_app({"ENVIRONMENT": "production", "DATABASE_URL": url, "LOG_LEVEL": "WARNING", **settings_})
    with app.app_context():
        upgrade(database.engine)
        report = load_directory_files(DATA_DIR)
        database.engine.dispose()
    if not report.created:
        raise SystemExit("the directory load created nothing: is the database really fresh?")


class PostgresDatabase:
    """A temporary database next to the one named in --database-url, dropped at the end."""

    def __init__(self, url: str):
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url

        base = make_url(url)
        if base.host not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit("--database-url must point to a server on this machine (127.0.0.1)")
        self.name = f"helpline_bench_{secrets.token_hex(5)}"
        self.url = base.set(database=self.name).render_as_string(hide_password=False)
        self._admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")

    def create(self) -> None:
        from sqlalchemy import text

        with self._admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{self.name}"'))

    def drop(self) -> None:
        from sqlalchemy import text

        with self._admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self._admin.dispose()


# --- load generators ---------------------------------------------------------------------------------------


@dataclass
class Result:
    requests: int
    elapsed: float
    non200: int
    not_xml: int
    fallback: int
    socket_errors: int
    p50_ms: float
    p99_ms: float
    client_cpu: float  # seconds

    @property
    def errors(self) -> int:
        return self.non200 + self.not_xml + self.fallback + self.socket_errors

    @property
    def throughput(self) -> float:
        return self.requests / self.elapsed if self.elapsed > 0 else 0.0


def run_wrk(port: int, request_file: Path, duration: float, connections: int, needle: str) -> Result:
    command = [
        "wrk", "-t1", f"-c{connections}", f"-d{duration:g}s", "--timeout", "10s",
        "-s", str(BENCH / "wrk_signed_calls.lua"), f"http://127.0.0.1:{port}",
        "--", str(request_file), "1", needle,
    ]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60, cwd=ROOT)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    match = re.search(r"^RESULT (.*)$", done.stdout, re.M)
    if done.returncode != 0 or match is None:
        raise SystemExit(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    values = {k: float(v) for k, v in (item.split("=") for item in match.group(1).split())}
    return Result(
        requests=int(values["requests"]),
        elapsed=values["elapsed_us"] / 1e6,
        non200=int(values["non200"]),
        not_xml=int(values["not_xml"]),
        fallback=int(values["fallback"]),
        socket_errors=int(values["socket_errors"]),
        p50_ms=values["p50_us"] / 1000,
        p99_ms=values["p99_us"] / 1000,
        client_cpu=(after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
    )


def run_python_client(port: int, pairs: list[tuple[str, str]], duration: float, connections: int,
                      needle: str) -> Result:
    """``connections`` threads, each with its own keep-alive connection (reopened when the server closes it)."""
    lock = threading.Lock()
    position = iter(range(len(pairs)))
    latencies: list[list[int]] = [[] for _ in range(connections)]
    counts = [{"non200": 0, "not_xml": 0, "fallback": 0, "socket": 0} for _ in range(connections)]
    stop_at = time.monotonic() + duration
    needle_bytes = needle.encode()

    def worker(slot: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine, tally = latencies[slot], counts[slot]
        while time.monotonic() < stop_at:
            with lock:
                index = next(position, None)
            if index is None:
                return
            signature, body = pairs[index]
            headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
            started = time.perf_counter_ns()
            try:
                connection.request("POST", PATH, body, headers)
                answer = connection.getresponse()
                data = answer.read()
            except (OSError, http.client.HTTPException):
                tally["socket"] += 1
                connection.close()
                continue
            mine.append(time.perf_counter_ns() - started)
            if answer.status != 200:
                tally["non200"] += 1
            elif not data.startswith(b"<?xml"):
                tally["not_xml"] += 1
            elif needle_bytes in data:
                tally["fallback"] += 1
            if answer.will_close:
                connection.close()
        connection.close()

    cpu_before = time.process_time()
    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(slot,)) for slot in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    merged = sorted(ns for mine in latencies for ns in mine)
    if not merged:
        raise SystemExit("the python client got no answer at all")
    total = {key: sum(tally[key] for tally in counts) for key in counts[0]}
    return Result(
        requests=len(merged),
        elapsed=elapsed,
        non200=total["non200"],
        not_xml=total["not_xml"],
        fallback=total["fallback"],
        socket_errors=total["socket"],
        p50_ms=merged[len(merged) // 2] / 1e6,
        p99_ms=merged[min(len(merged) - 1, int(len(merged) * 0.99))] / 1e6,
        client_cpu=time.process_time() - cpu_before,
    )


def run_paced(port: int, pairs: list[tuple[str, str]], rate: float, needle: str) -> tuple[float, int]:
    """Open loop: request i leaves at start + i/rate (as Twilio sends calls, whatever the answers' pace), each
    on a keep-alive connection of a small pool; latency from its send time. Returns (p99 ms, errors)."""
    from concurrent.futures import ThreadPoolExecutor

    local = threading.local()
    needle_bytes = needle.encode()

    def one(index: int, due: float) -> tuple[float, bool]:
        time.sleep(max(0.0, due - time.monotonic()))
        signature, body = pairs[index]
        connection = getattr(local, "connection", None) or http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        local.connection = connection
        started = time.perf_counter()
        try:
            connection.request("POST", PATH, body, {"Content-Type": "application/x-www-form-urlencoded",
                                                    "X-Twilio-Signature": signature})
            answer = connection.getresponse()
            data = answer.read()
            if answer.will_close:
                connection.close()
                local.connection = None
        except (OSError, http.client.HTTPException):
            connection.close()
            local.connection = None
            return time.perf_counter() - started, False
        return time.perf_counter() - started, answer.status == 200 and needle_bytes not in data

    start = time.monotonic() + 0.2
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda i: one(i, start + i / rate), range(len(pairs))))
    latencies = sorted(seconds for seconds, _ in results)
    return latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000, sum(not ok for _, ok in results)


def worker_rss_mb(server: Server) -> float:
    """The largest resident set of the server's workers, in MB."""
    found = 0
    for pid in server.worker_pids():
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
        if match:
            found = max(found, int(match.group(1)))
    return found / 1024


# --- the run -----------------------------------------------------------------------------------------------


def measure(name: str, target: str, env: dict[str, str], args, work: Path, needle: str,
            warm: list[tuple[str, str]], main: list[tuple[str, str]], paced: list[tuple[str, str]]):
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
        paced_p99, paced_errors = run_paced(server.port, paced, args.pace, needle) if paced else (0.0, 0)
        rss = worker_rss_mb(server)
    except BaseException:
        print(f"--- end of the {name} server's log:\n{log.read_text()[-3000:]}", file=sys.stderr)
        raise
    finally:
        server.stop()
    failures = len(re.findall(r"\b(ERROR|CRITICAL)\b", log.read_text()))
    return result, server_cpu, failures, other_share, db_cpu, paced_p99, paced_errors, rss


def main() -> None:
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
    parser.add_argument("--pace-seconds", type=float, default=10.0, help="length of the paced run (default 10)")
    args = parser.parse_args()
    if not 1 <= args.pace <= 200 or not 0 <= args.pace_seconds <= 60:
        parser.error("keep it bounded: a pace of 1-200 calls a second, for up to 60 s")
    if not 1 <= args.connections <= 64 or not 0 < args.duration <= 120 or not 0 <= args.warmup <= 30:
        parser.error("keep it bounded: 1-64 connections, duration up to 120 s, warm-up up to 30 s")
    if args.client == "auto":
        args.client = "wrk" if shutil.which("wrk") else "python"
    elif args.client == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not installed (apt-get install -y wrk), or use --client python")

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
        from settings import SETTINGS

        # Explicit production settings, passed to gunicorn as the environment variables they are read from.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HELPLINE_", "TWILIO_"))}
        env.update({SETTINGS[name][0]: value for name, value in settings_.items()})
        env.update({"HELPLINE_ENV": "production", "HELPLINE_DATABASE_URL": url, "PYTHONDONTWRITEBYTECODE": "1",
                    # As gunicorn.conf.py's raw_env: the webhooks' workers leave the console to its own pool.
                    "HELPLINE_CONSOLE": "0"})
        needle = fallback_needle()
        warm_count = max(200, int(args.warmup * 8000))
        counts = {"w": warm_count, "m": args.max_requests, "p": int(args.pace * args.pace_seconds)}
        real_target = "app:create_app()" if args.clock == "real" else "benchmarks.clocked_app:create()"

        import gunicorn

        workers = f"2 {args.worker_class} workers" + (f" x {args.threads} threads" if args.worker_class != "sync" else "")
        client = (f"wrk, 1 thread, {args.connections} connections" if args.client == "wrk"
                  else f"python http.client, {args.connections} threads in 1 process")
        print(f"webhook_throughput: gunicorn {gunicorn.__version__}, {workers}, 127.0.0.1; {os.cpu_count()} CPUs")
        print(f"  client: {client}; {args.warmup:g} s warm-up then {args.duration:g} s per app "
              f"(at most {args.max_requests} requests)")
        print(f"  real app: {real_target} on {database_label}, clock {args.clock}; "
              f"POST {PATH}, a new signed CallSid per request")
        print(f"  callers: {NEW_SHARE:.0%} new to the line, {WITHHELD_SHARE:.0%} withheld, "
              f"{1 - NEW_SHARE - WITHHELD_SHARE:.0%} returning (about {CALLS_PER_RETURNING_CALLER} calls each); "
              f"then {args.pace:g} calls/s for {args.pace_seconds:g} s, open loop (the real pace column)")
        print()
        print(f"{'app':<6}{'requests':>10}{'errors':>8}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
              f"{'server CPU ms/req':>19}{'client CPU':>12}{'paced p99':>11}{'RSS/worker':>12}")
        results, paced, rss, cpu = {}, {}, {}, {}
        apps = (("bare", "benchmarks.bare_app:app"), ("floor", "benchmarks.recorded_app:create()"),
                ("real", real_target))
        for name, target in apps:
            if args.only and args.only != name:
                continue
            # Requests of its own for each app: the floor records its CallSids in the same database, and the
            # engine answers a CallSid already recorded for no line as another line's call (the apology).
            warm, main_pairs, paced_pairs = (signed_requests(settings_["TWILIO_AUTH_TOKEN"], count, name + kind)
                                             for kind, count in counts.items())
            result, server_cpu, failures, other, db_cpu, paced_p99, paced_errors, worker_rss = measure(
                name, target, env, args, work, needle, warm, main_pairs, paced_pairs)
            results[name], paced[name], rss[name] = result, paced_p99, worker_rss
            cpu[name] = 1000 * server_cpu / max(result.requests, 1)
            print(f"{name:<6}{result.requests:>10}{result.errors:>8}{result.throughput:>10.0f}"
                  f"{result.p50_ms:>9.2f}{result.p99_ms:>9.2f}"
                  f"{cpu[name]:>19.3f}"
                  f"{100 * result.client_cpu / result.elapsed:>11.0f}%{paced_p99:>9.2f}ms{worker_rss:>9.0f} MB")
            if paced_errors:
                print(f"       paced run: {paced_errors} calls without a good answer")
            if result.errors or failures:  # failures: the app's ERROR log lines (webhook failed, dispatch)
                print(f"       errors: {result.non200} not 200, {result.not_xml} not XML, "
                      f"{result.fallback} technical-problem answers, {result.socket_errors} socket errors; "
                      f"{failures} ERROR lines in the server log")
            if db_cpu:
                print(f"       PostgreSQL server CPU: {1000 * db_cpu / max(result.requests, 1):.3f} ms/req")
            if other > 0.15:
                print(f"       warning: other processes kept {100 * other:.0f}% of a core busy during this run; "
                      "its figures are disturbed")
        if "real" in results and "bare" in results:
            ratio = results["real"].throughput / results["bare"].throughput
            verdict = "meets" if ratio >= 0.6 else "misses"
            print()
            print(f"ratio real/bare throughput: {ratio:.2f} ({verdict} the target >= 0.60)")
        if "floor" in results and "bare" in results:
            print(f"ratio floor/bare throughput: {results['floor'].throughput / results['bare'].throughput:.2f} "
                  "(the most any signed webhook that records the call can reach with this stack)")
        if "real" in results and "floor" in results:
            ratio = results["real"].throughput / results["floor"].throughput
            print(f"ratio real/floor throughput: {ratio:.2f} ({'meets' if ratio >= 0.8 else 'misses'} the target "
                  ">= 0.80; the engine's own routing, prompts and records against that floor)")
        if "real" in results:
            print(f"real: worker CPU per incoming call {cpu['real']:.2f} ms ({'meets' if cpu['real'] <= 1.5 else 'misses'}"
                  f" the target <= 1.5 ms); largest worker {rss['real']:.0f} MB "
                  f"({'meets' if rss['real'] <= 100 else 'misses'} the target <= 100 MB)")
        if "real" in results and "bare" in results and args.pace_seconds:
            ratio = paced["real"] / max(paced["bare"], 0.001)
            print(f"ratio real/bare p99 at {args.pace:g} calls/s: {ratio:.1f} "
                  f"({'meets' if ratio <= 3 else 'misses'} the target <= 3)")
        if "real" in results:
            from benchmarks.webhook_profile import count_incoming

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
