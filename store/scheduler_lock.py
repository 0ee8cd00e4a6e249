"""The lock that makes one scheduler active per database: a PostgreSQL advisory lock, or a lock file for SQLite."""

from __future__ import annotations

import fcntl
import hashlib
import os
from pathlib import Path

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

# A fixed 64-bit key, the same for every scheduler of every version: derived from a name, not typed by hand.
LOCK_KEY = int.from_bytes(hashlib.sha256(b"helpline-engine scheduler").digest()[:8], "big", signed=True)
HELD_ELSEWHERE = "another scheduler holds it"


class SchedulerLock:
    """try_acquire() without waiting; still_held() to check it was not lost; release().

    After try_acquire() says no, ``refusal`` says why: another scheduler holds the lock, or the database
    could not be asked."""

    description = "the scheduler lock"
    refusal = HELD_ELSEWHERE

    def try_acquire(self) -> bool:
        raise NotImplementedError

    def still_held(self) -> bool:
        raise NotImplementedError

    def release(self) -> None:
        raise NotImplementedError


class AdvisoryLock(SchedulerLock):
    """pg_try_advisory_lock on a connection of its own, kept for the scheduler's life.

    PostgreSQL frees the lock when that connection ends — the process killed, the host gone, the network cut
    for longer than the TCP keepalive — and a standby polling with pg_try_advisory_lock then gets it.
    """

    def __init__(self, url: str):
        self.description = f"PostgreSQL advisory lock {LOCK_KEY}"
        # Keepalives: a scheduler whose host vanished must not hold the lock for the kernel's two hours.
        self._engine = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT", connect_args={
            "connect_timeout": 4, "keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5,
            "keepalives_count": 3, "application_name": "helpline scheduler"})
        self._connection: Connection | None = None

    def try_acquire(self) -> bool:
        try:
            if self._connection is None:
                self._connection = self._engine.connect()
            if self._connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}).scalar():
                return True
        except Exception as error:  # noqa: BLE001 — the database is down: no lock, try again later
            self.refusal = f"the database did not answer ({type(error).__name__})"
            self._drop_connection()
            return False
        self.refusal = HELD_ELSEWHERE
        return False

    def still_held(self) -> bool:
        if self._connection is None:
            return False
        try:
            # A session-level lock lasts as long as its session: the connection alive means the lock held.
            self._connection.execute(text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 — the connection died, and the lock with it
            self._drop_connection()
            return False

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
            except Exception:  # noqa: BLE001 — closing the connection frees it anyway
                pass
        self._drop_connection()
        self._engine.dispose()

    def _drop_connection(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            except Exception:  # noqa: BLE001
                pass
            self._connection = None


class FileLock(SchedulerLock):
    """flock on a file beside the SQLite database: the kernel frees it when the process dies.

    SQLite means one host, so this is enough there; it cannot see a scheduler on another machine.
    """

    def __init__(self, path: Path):
        self.path = path
        self.description = f"lock file {path}"
        self._descriptor: int | None = None

    def try_acquire(self) -> bool:
        if self._descriptor is not None:
            return True
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            return False
        os.ftruncate(descriptor, 0)
        os.write(descriptor, f"{os.getpid()}\n".encode())
        self._descriptor = descriptor
        return True

    def still_held(self) -> bool:
        return self._descriptor is not None

    def release(self) -> None:
        if self._descriptor is not None:
            fcntl.flock(self._descriptor, fcntl.LOCK_UN)
            os.close(self._descriptor)
            self._descriptor = None


class NoLock(SchedulerLock):
    """An in-memory SQLite database lives in one process: there is nobody to exclude."""

    description = "no lock (in-memory database)"

    def try_acquire(self) -> bool:
        return True

    def still_held(self) -> bool:
        return True

    def release(self) -> None:
        pass


def scheduler_lock_for(database_url: str) -> SchedulerLock:
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "postgresql":
        return AdvisoryLock(url.render_as_string(hide_password=False))
    if backend == "sqlite":
        if url.database in (None, "", ":memory:"):
            return NoLock()
        return FileLock(Path(f"{url.database}.scheduler-lock"))
    raise ValueError(f"no scheduler lock for {backend} databases: use PostgreSQL or SQLite")
