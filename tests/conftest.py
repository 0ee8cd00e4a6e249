"""Test fixtures: a fresh database per test (SQLite or PostgreSQL), a signed Twilio client, a settable clock."""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from twilio.request_validator import RequestValidator

from app import create_app
from directory_data.loader import read_directory
from ivr.simulator import CallSimulator, SimulatedClock
from store.db import make_engine, upgrade
from store.directory import load_documents
from store.models import Base

TEST_DATABASE_URL = os.environ.get("HELPLINE_TEST_DATABASE_URL", "sqlite")
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
PEPPER = "test-pepper-that-is-long-enough"
PUBLIC_URL = "https://ivr.example.org"
CALLBACK_KEY = "pCzMHsIlNbrJsIH1zjU3V8JIVvh0AQZC9JVbf5EeTKM="
PARIS = ZoneInfo("Europe/Paris")
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "ip6-localhost"}


# --- no test reaches the outside world (Twilio, a mail server) by accident --------------------------------


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    real_getaddrinfo = socket.getaddrinfo

    def guarded(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name not in LOOPBACK_NAMES and not name.startswith("127."):
            raise AssertionError(f"a test tried to reach {name!r}; only loopback servers are allowed")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)


# --- databases ---------------------------------------------------------------------------------------------


def _postgres_admin_url() -> str:
    return make_url(TEST_DATABASE_URL).set(database="postgres").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_template(tmp_path_factory):
    """A migrated, empty database made once per session: a SQLite file to copy, or a PostgreSQL database."""
    if TEST_DATABASE_URL == "sqlite":
        path = tmp_path_factory.mktemp("db") / "template.sqlite3"
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        engine.dispose()
        yield ("sqlite", path)
        return
    name = f"helpline_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(_postgres_admin_url(), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # noqa: BLE001
        message = f"PostgreSQL at {make_url(TEST_DATABASE_URL).host} is unreachable: {type(error).__name__}: {error}"
        if os.environ.get("CI") == "true":
            pytest.exit(f"CI requires PostgreSQL. {message}", returncode=3)
        pytest.skip(message)
    url = make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield ("postgresql", url)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def database_url(database_template, tmp_path) -> str:
    """A fresh, migrated, empty database for this test."""
    kind, where = database_template
    if kind == "sqlite":
        path = tmp_path / "helpline.sqlite3"
        shutil.copy(where, path)
        return f"sqlite:///{path}"
    engine = create_engine(where)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return where


@pytest.fixture(scope="session")
def shipped_directory():
    return read_directory()


# --- the application -------------------------------------------------------------------------------------


@pytest.fixture
def clock() -> SimulatedClock:
    """Tests set ``clock.now``; the default is a Tuesday morning, when every demo line is open."""
    return SimulatedClock(datetime(2026, 11, 24, 10, 0, tzinfo=PARIS))


def app_config(database_url: str, clock, **overrides) -> dict:
    config = {
        "ENVIRONMENT": "production",
        "DATABASE_URL": database_url,
        "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "NUMBER_PEPPER": PEPPER,
        "CALLBACK_KEY": CALLBACK_KEY,
        "SECRET_KEY": "test-secret-key-0123456789abcdef0123456789",
        "PUBLIC_URL": PUBLIC_URL,
        "TWILIO_API_BASE_URL": "http://127.0.0.1:9",
        "EMERGENCY_FALLBACK": "+33199000999",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": 9,  # closed: a test that sends mail must start its own SMTP server
        "CLOCK": clock,
        "TESTING": True,
        # One iteration instead of scrypt: hashing made most of the console tests' time. test_password_scheme.py
        # checks that an app built without this setting hashes with scrypt.
        "PASSWORD_HASH": "pbkdf2:sha256:1",
    }
    config.update(overrides)
    return config


def make_test_app(database_url: str, clock, **overrides):
    app = create_app(app_config(database_url, clock, **overrides))
    app.test_client_class = ClosingClient
    return app


class ClosingClient(FlaskClient):
    """Flask's test client, reading each answer whole and closing it as a WSGI server does once it has sent it (Flask's
    own leaves it open unless told ``buffered=True``): a call's first webhook may write its record on that close."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


@pytest.fixture
def empty_app(database_url, clock):
    """The app on a migrated database with no lines loaded."""
    app = make_test_app(database_url, clock)
    yield app
    from store.extension import database

    with app.app_context():
        database.engine.dispose()


@pytest.fixture
def app(empty_app, shipped_directory):
    """The app with the shipped directory (the five seed lines and the demo centres) loaded."""
    from store.extension import database

    with empty_app.app_context():
        with database.session() as session:
            load_documents(session, shipped_directory)
            session.commit()
    return empty_app


@pytest.fixture
def rest():
    """A Twilio-compatible REST server on 127.0.0.1 that records every call the engine places."""
    from tests.support.twilio_server import TwilioTestServer

    server = TwilioTestServer("AC" + "1" * 32, AUTH_TOKEN).start()
    yield server
    server.stop()


@pytest.fixture
def live_app(database_url, clock, shipped_directory, rest):
    """The app with the shipped directory, dialling listeners at once through the ``rest`` server."""
    from store.extension import database

    app = make_test_app(database_url, clock, DISPATCH_MODE="inline", TWILIO_API_BASE_URL=rest.base_url)
    with app.app_context(), database.session() as session:
        load_documents(session, shipped_directory)
        session.commit()
    yield app
    with app.app_context():
        database.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


class SignedTwilio:
    """Posts to the webhooks as Twilio does: form-encoded, signed with the auth token over the public URL; each answer
    read whole, then closed, as the WSGI server closes it once sent (a first webhook may write after answering)."""

    def __init__(self, client, token: str = AUTH_TOKEN, public_url: str = PUBLIC_URL):
        self.client = client
        self.validator = RequestValidator(token)
        self.public_url = public_url

    def signature(self, path: str, params: dict[str, str]) -> str:
        return self.validator.compute_signature(self.public_url + path, params)

    def post(self, path: str, params: dict[str, str] | None = None, query: dict | None = None, **kwargs):
        params = dict(params or {})
        if query:
            path = f"{path}?{urlencode(query)}"
        headers = {"X-Twilio-Signature": self.signature(path, params)}
        headers.update(kwargs.pop("headers", {}))
        kwargs.setdefault("buffered", True)
        return self.client.post(path, data=params, headers=headers, base_url=self.public_url, **kwargs)


@pytest.fixture
def twilio(client) -> SignedTwilio:
    return SignedTwilio(client)


@pytest.fixture
def call(app, clock):
    """``call("+3225550300", at=..., caller=..., presses=[...], outcomes={...})`` → the caller's transcript."""

    def place(to: str, at: datetime | None = None, caller: str = "+33612345678", presses=(), outcomes=None,
              default_outcome: str = "completed", queue_result: str = "hangup"):
        if at is not None:
            clock.now = at
        simulator = CallSimulator(app, to=to, caller=caller, presses=list(presses), outcomes=outcomes,
                                  default_outcome=default_outcome, queue_result=queue_result, clock=clock)
        with app.app_context():
            return simulator.run()

    return place


def at_paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def at_brussels(*args) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo("Europe/Brussels"))


@pytest.fixture
def artifacts_dir() -> Path:
    path = Path(__file__).resolve().parent.parent / "artifacts"
    path.mkdir(exist_ok=True)
    return path
