"""Fault: slow clients (one header line every 2 s) held open against gunicorn while Twilio's webhooks arrive.

gunicorn serves the app with the shipped ``gunicorn.conf.py`` as is (only the port differs; ``--workers``
overrides its 2-per-core-plus-one), with no proxy in front: the configuration must hold on its own. On
127.0.0.1 only, for a bounded time:

  1. baseline: signed incoming calls (a new caller and a valid, unique CallSid each, 5 a second, each on a
     new connection) for ``--seconds``;
  2. the same calls while ``--slow`` sockets each send a request line, then one header line every 2 s,
     never finishing; a socket the server drops is opened again at once, so the pressure stays.

Printed: the calls' p50/p99/max latency and failures in both phases, their ratio, how many slow sockets
the server dropped, and whether every call was answered under 1 s with the slow clients open (the target).
``--worker-class sync`` runs the same against sync workers, the shipped setting before, for comparison.

    python benchmarks/fault_slow_clients.py [--slow 50] [--seconds 20] [--database-url postgresql+psycopg://root@127.0.0.1:5432/x]
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._serving import (  # noqa: E402
    PostgresDatabase,
    Prober,
    prepare_database,
    production_settings,
    serve,
    server_env,
)

LINE_EVERY = 2.0


class SlowClients:
    """``count`` sockets trickling an endless request; reopened when the server closes them."""

    def __init__(self, port: int, count: int):
        self.port, self.count = port, count
        self.dropped = 0
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._one, args=(n,), daemon=True) for n in range(count)]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=LINE_EVERY + 3)

    def _one(self, number: int) -> None:
        while not self._stop.is_set():
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
                    sock.sendall(b"POST /voice/incoming HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                    line = 0
                    while not self._stop.wait(LINE_EVERY):
                        line += 1
                        sock.sendall(f"X-Slow-{number}-{line}: a\r\n".encode())
            except OSError:  # the server closed it (reset or broken pipe): the slow client comes back
                if not self._stop.is_set():
                    self.dropped += 1
                    self._stop.wait(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slow", type=int, default=50, help="slow sockets held open (default 50)")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each phase (default 20)")
    parser.add_argument("--workers", type=int, help="override the config's worker count")
    parser.add_argument("--worker-class", help="override the config's worker class (e.g. sync, for comparison)")
    parser.add_argument("--database-url", help="postgresql+psycopg://root@127.0.0.1:5432/<any>: use PostgreSQL")
    args = parser.parse_args()
    if not 1 <= args.slow <= 200 or not 1 <= args.seconds <= 120:
        parser.error("keep it bounded: 1-200 slow sockets, 1-120 s a phase")

    settings_ = production_settings()
    work = Path(tempfile.mkdtemp(prefix="helpline-slow-"))
    postgres = PostgresDatabase(args.database_url) if args.database_url else None
    server = None
    try:
        if postgres:
            postgres.create()
        url = postgres.url if postgres else f"sqlite:///{work / 'helpline.sqlite3'}"
        prepare_database(url, settings_)
        extra = (["-w", str(args.workers)] if args.workers else []) + (
            ["-k", args.worker_class] if args.worker_class else [])
        if args.worker_class == "sync":
            extra += ["--threads", "1"]  # with threads > 1 gunicorn quietly serves gthread instead
        server = serve("gunicorn.conf.py", server_env(settings_, url), work / "gunicorn.log", *extra)
        workers = len(server.worker_pids())
        print(f"fault_slow_clients: gunicorn.conf.py{' ' + ' '.join(extra) if extra else ''}, {workers} workers, "
              f"{'PostgreSQL' if postgres else 'SQLite'}; {args.slow} slow sockets, one header line every "
              f"{LINE_EVERY:g} s; calls 5/s, {args.seconds:g} s a phase")
        run = secrets.token_hex(4)
        baseline = Prober(server.port, settings_["TWILIO_AUTH_TOKEN"])
        baseline.run_for(args.seconds, run + "0")
        print(f"  baseline:          {baseline.summary()}")
        slow = SlowClients(server.port, args.slow)
        slow.start()
        time.sleep(LINE_EVERY)  # every slow socket connected and trickling
        under = Prober(server.port, settings_["TWILIO_AUTH_TOKEN"])
        under.run_for(args.seconds, run + "1")
        slow.stop()
        print(f"  with slow clients: {under.summary()}")
        print(f"  slow sockets dropped by the server and reopened: {slow.dropped}")
        ratio = under.p99_ms() / max(baseline.p99_ms(), 0.001)
        held = under.failures == 0 and max(under.latencies) < 1.0
        print(f"ratio p99 with/without slow clients: {ratio:.1f}; every call answered under 1 s with them open: "
              f"{'yes (meets the target)' if held else 'NO (misses the target)'}")
    finally:
        if server:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
        if postgres:
            postgres.drop()


if __name__ == "__main__":
    main()
