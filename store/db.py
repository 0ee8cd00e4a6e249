"""Engine and session set-up, SQLite tuning, and Alembic upgrades run from code."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import deque
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

MIGRATIONS = Path(__file__).parent / "migrations"
# Twilio gives a webhook 15 s: a database that does not answer within a few seconds must let the
# webhook fall back to its safe TwiML while there is still time to dial someone.
WEBHOOK_DB_WAIT_SECONDS = 4
# A pooled connection that sat idle this long is pinged before use (a restarted server, a dropped idle TCP
# connection); a busy one is not: a ping on every checkout was one more round trip on every webhook, and a
# database that died under load gives the webhook an error its fallback answers anyway.
PING_AFTER_IDLE_SECONDS = 10.0


def make_engine(url: str, wait_seconds: float = WEBHOOK_DB_WAIT_SECONDS) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        in_memory = parsed.database in (None, "", ":memory:")
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": wait_seconds},
            poolclass=StaticPool if in_memory else None,
        )
        event.listen(engine, "connect", lambda connection, _record: _tune_sqlite(connection, wait_seconds))
        writers = WriterQueue()
        event.listen(engine, "begin", lambda connection: _begin_immediate(connection, writers, wait_seconds))
        event.listen(engine, "commit", lambda connection: _end(connection, writers))
        event.listen(engine, "rollback", lambda connection: _end(connection, writers))
        return engine
    connect_args = {}
    if parsed.get_backend_name() == "postgresql":
        connect_args = {
            "connect_timeout": WEBHOOK_DB_WAIT_SECONDS,
            "options": f"-c statement_timeout={WEBHOOK_DB_WAIT_SECONDS * 1000}",
        }
    engine = create_engine(url, pool_size=5, max_overflow=10, pool_timeout=WEBHOOK_DB_WAIT_SECONDS,
                           connect_args=connect_args)
    event.listen(engine, "connect", _note_checkin)  # a new connection needs no ping
    event.listen(engine, "checkin", _note_checkin)
    event.listen(engine, "checkout", _ping_if_idle)
    return engine


def _note_checkin(_dbapi_connection, record) -> None:
    record.info["checked_in_at"] = time.monotonic()


def _ping_if_idle(dbapi_connection, record, _proxy) -> None:
    """Ping a connection back from a long rest; a dead one is replaced (the pool retries with a new one)."""
    if time.monotonic() - record.info.get("checked_in_at", 0.0) < PING_AFTER_IDLE_SECONDS:
        return
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
        dbapi_connection.rollback()  # the ping's own transaction (psycopg opens one), not the caller's
    except Exception as error:  # noqa: BLE001 — whatever the driver raises for a broken connection
        raise exc.DisconnectionError() from error


def _tune_sqlite(dbapi_connection, wait_seconds: float) -> None:
    # WAL lets webhooks read while another worker writes; foreign keys are off by default in SQLite.
    # The driver's own transaction handling is turned off: _begin_immediate opens every transaction.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(wait_seconds * 1000)}")
    cursor.close()


READ_ONLY = "helpline_read_only"  # an execution option: this connection's transactions only read


class WriterQueue:
    """The threads of one process take SQLite's write lock in turn, first come first served.

    SQLite's own busy handler is no queue: a waiting connection sleeps and polls (up to 100 ms between tries)
    while the thread that just committed takes the lock straight back for its next transaction. Four
    dispatchers looping on one queue starved one of them past the busy timeout ("database is locked") on a
    loaded machine. Queued here, a writer is woken the moment the one before it ends; only writers of other
    processes still meet the busy handler."""

    def __init__(self) -> None:
        self._turns = threading.Condition()
        self._waiting: deque[object] = deque()
        self._held = False

    def acquire(self, timeout: float) -> bool:
        me = object()
        with self._turns:
            self._waiting.append(me)
            if self._turns.wait_for(lambda: not self._held and self._waiting[0] is me, timeout):
                self._waiting.popleft()
                self._held = True
                return True
            self._waiting.remove(me)
            self._turns.notify_all()  # the one behind may be first now
            return False

    def release(self) -> None:
        with self._turns:
            self._held = False
            self._turns.notify_all()


HOLDS_WRITE_TURN = "helpline_write_turn"


def _begin_immediate(connection, writers: WriterQueue, wait_seconds: float) -> None:
    """Every SQLite transaction takes the write lock up front: transactions are serialised, so claiming a
    listener is atomic, and a read-then-write never fails on a lock upgrade (busy_timeout waits instead).

    Except a read-only one (a console page, a report): in WAL mode a reader never blocks a writer, so a
    coordinator reading a year of calls does not keep callers' webhooks waiting for the lock."""
    if connection.get_execution_options().get(READ_ONLY):
        connection.exec_driver_sql("BEGIN")
        return
    if not writers.acquire(wait_seconds):
        raise sqlite3.OperationalError("database is locked (waited for this process's other writers)")
    connection.info[HOLDS_WRITE_TURN] = True
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        _end(connection, writers)
        raise


def _end(connection, writers: WriterQueue) -> None:
    if connection.info.pop(HOLDS_WRITE_TURN, False):
        writers.release()


@contextmanager
def scoped(session: Session) -> Iterator[Session]:
    """``session`` for a block: rolled back if the block fails, closed in any case."""
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def alembic_config(url: str):
    # Alembic (with Mako and Pygments, 10 MB a process) is loaded only to migrate, never by a web worker.
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` using the engine's own connection (works for in-memory SQLite)."""
    from alembic import command

    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
