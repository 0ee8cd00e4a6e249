"""The engine served over real HTTP on 127.0.0.1, at a chosen local time, set up only through its public surface.

Public surface used: ``app.create_app(config)`` with documented settings plus ``CLOCK`` (the hook the README's
``helpline call --at`` and ``benchmarks/clocked_app.py`` use: a callable returning an aware datetime), and the
``helpline`` commands (``db upgrade``, ``directory load``, ``listeners add`` / ``status``) run in process.
"""

from __future__ import annotations

import secrets
import tempfile
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

from click.testing import CliRunner
from cryptography.fernet import Fernet
from werkzeug.serving import WSGIRequestHandler, make_server

ACCOUNT_SID = "AC" + "e" * 32
CLOSED_PORT = 9  # discard: nothing listens, so a REST call fails at once and never leaves the machine (SMTP)


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:  # one line per webhook would drown the report
        pass


class VirtualClock:
    """The engine's clock: set to the instant a call starts, moved forward as the caller hears the call."""

    def __init__(self) -> None:
        self._now = datetime(2026, 1, 1, tzinfo=timezone.utc)
        self._lock = threading.Lock()

    def set(self, instant: datetime) -> None:
        with self._lock:
            self._now = instant.astimezone(timezone.utc)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += timedelta(seconds=seconds)

    def __call__(self) -> datetime:
        with self._lock:
            return self._now


class ServedApp:
    """``with ServedApp() as served:`` gives ``served.base_url``, ``served.clock``, ``served.cli(...)``."""

    def __init__(self, database_url: str | None = None, rest_url: str | None = None,
                 directory: Path | None = None) -> None:
        self.directory = directory  # a folder of line files for `helpline directory load --from` (default: shipped)
        self.rest_url = rest_url or f"http://127.0.0.1:{CLOSED_PORT}"
        self._tmp = tempfile.TemporaryDirectory(prefix="independent-emulator-")
        self.database_url = database_url or f"sqlite:///{Path(self._tmp.name) / 'engine.sqlite3'}"
        self.auth_token = secrets.token_hex(16)
        self.clock = VirtualClock()
        self.app = None
        self._server = None
        self._thread = None

    def __enter__(self) -> "ServedApp":
        from app import create_app

        holder: dict = {}
        # The port is known only once bound, and the app needs its public URL: bind first, then build the app.
        self._server = make_server("127.0.0.1", 0, lambda environ, start: holder["app"](environ, start),
                                   request_handler=_QuietHandler)
        self.base_url = f"http://127.0.0.1:{self._server.server_port}"
        self.app = create_app({
            "ENVIRONMENT": "production",
            "DATABASE_URL": self.database_url,
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": self.auth_token,
            "PUBLIC_URL": self.base_url,
            "TWILIO_API_BASE_URL": self.rest_url,
            "NUMBER_PEPPER": secrets.token_hex(16),
            "CALLBACK_KEY": Fernet.generate_key().decode(),
            "SECRET_KEY": secrets.token_hex(32),
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": CLOSED_PORT,
            "LOG_LEVEL": "ERROR",
            "CLOCK": self.clock,
            "DISPATCH_MODE": "inline",  # no background thread racing the virtual clock
        })
        holder["app"] = self.app
        self.cli("db", "upgrade")
        self.cli("directory", "load", *(["--from", str(self.directory)] if self.directory else []))
        self._thread = threading.Thread(target=self._server.serve_forever, name="engine-under-test", daemon=True)
        self._thread.start()
        return self

    def cli(self, *args: str, input: str | None = None) -> str:  # noqa: A002 — click's own name for it
        from flask.cli import ScriptInfo

        from app import cli

        result = CliRunner().invoke(cli, list(args), obj=ScriptInfo(create_app=lambda: self.app), input=input)
        if result.exit_code != 0:
            raise RuntimeError(f"helpline {' '.join(args)} failed ({result.exit_code}): {result.output}"
                               f"{result.exception!r}")
        return result.output

    def __exit__(self, *exc) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        self._tmp.cleanup()
