"""What the serving fault scripts share: a prepared database, gunicorn with a shipped config, signed probes."""

from __future__ import annotations

import http.client
import os
import secrets
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._webhook_load import fallback_needle  # noqa: E402
from benchmarks._webhook_servers import (  # noqa: E402
    PATH,
    PUBLIC_URL,
    PostgresDatabase,
    Server,
    free_port,
    prepare_database,
    production_settings,
)

__all__ = ["PostgresDatabase", "Prober", "prepare_database", "production_settings", "serve", "server_env"]


def server_env(settings_: dict[str, str], url: str) -> dict[str, str]:
    from settings import SETTINGS

    env = {k: v for k, v in os.environ.items() if not k.startswith(("HELPLINE_", "TWILIO_"))}
    env.update({SETTINGS[name][0]: value for name, value in settings_.items()})
    env.update({"HELPLINE_ENV": "production", "HELPLINE_DATABASE_URL": url, "PYTHONDONTWRITEBYTECODE": "1"})
    return env


def serve(config: str, env: dict[str, str], log: Path, *extra: str, port: int | None = None) -> Server:
    """gunicorn with one of the shipped config files, as in production but for the port (and ``extra``)."""
    port = port or free_port()
    command = [sys.executable, "-m", "gunicorn", "-c", config, "-b", f"127.0.0.1:{port}", *extra, "app:create_app()"]
    with log.open("ab") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT, cwd=ROOT)
    server = Server(process, port, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited ({process.returncode}) with {config}:\n{log.read_text()[-3000:]}")
        if log.exists() and log.read_text().count("worker warmed up") >= len(server.worker_pids()) > 0:
            return server
        time.sleep(0.2)
    server.stop()
    raise SystemExit(f"gunicorn with {config} did not warm up within 60 s:\n{log.read_text()[-3000:]}")


def _call_sid(run: str, index: int) -> str:
    """A valid CallSid: CA and 32 hex digits, unique in the run."""
    return f"CA{run}{index:0{32 - len(run)}x}"


@dataclass
class Prober:
    """Signed incoming calls at a steady pace on fresh connections (as the proxy or Twilio would open them),
    each from a new caller, timed from connect to the last byte of the answer."""

    port: int
    auth_token: str
    rate: float = 5.0
    latencies: list[float] = field(default_factory=list)
    failures: int = 0  # no answer within 10 s, not 200, not TwiML, or the technical-problem answer
    sent: int = 0
    base: int = field(default_factory=lambda: secrets.randbelow(10**8))  # new callers' numbers start here

    def run_for(self, seconds: float, run: str) -> None:
        from twilio.request_validator import RequestValidator

        validator = RequestValidator(self.auth_token)
        needle = fallback_needle().encode()
        count = int(seconds * self.rate)
        start = time.monotonic()
        for index in range(count):
            time.sleep(max(0.0, start + index / self.rate - time.monotonic()))
            params = {"CallSid": _call_sid(run, index), "AccountSid": "AC" + "1" * 32,
                      "From": f"+336{(self.base + self.sent) % 10**8:08d}", "To": "+33199000116", "CallStatus": "ringing",
                      "Direction": "inbound", "ApiVersion": "2010-04-01"}
            self.sent += 1
            signature = validator.compute_signature(PUBLIC_URL + PATH, params)
            began = time.perf_counter()
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                connection.request("POST", PATH, urlencode(params), {
                    "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature})
                answer = connection.getresponse()
                body = answer.read()
                connection.close()
            except (OSError, http.client.HTTPException):
                self.failures += 1
                self.latencies.append(10.0)
                continue
            self.latencies.append(time.perf_counter() - began)
            if answer.status != 200 or not body.startswith(b"<?xml") or needle in body:
                self.failures += 1

    def in_thread(self, seconds: float, run: str) -> threading.Thread:
        thread = threading.Thread(target=self.run_for, args=(seconds, run), daemon=True)
        thread.start()
        return thread

    def summary(self) -> str:
        ordered = sorted(self.latencies) or [0.0]
        p50 = ordered[len(ordered) // 2] * 1000
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
        return (f"{len(self.latencies)} calls, {self.failures} failed, p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
                f"max {ordered[-1] * 1000:.1f} ms, over 1 s: {sum(x > 1 for x in self.latencies)}")

    def p99_ms(self) -> float:
        ordered = sorted(self.latencies) or [0.0]
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
