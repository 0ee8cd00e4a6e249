"""Where benchmarks/dispatch_burst.py races: a temporary PostgreSQL database (on a loopback server only) or a
SQLite file, seeded once and copied for every run, and the version of the code being measured."""

from __future__ import annotations

import ipaddress
import shutil
import sqlite3
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql+psycopg://root@127.0.0.1:5432/postgres"
MEASURED_CODE = ("store/dispatch.py", "store/bridging.py", "store/listeners.py", "store/callbacks.py", "store/models",
                 "store/db.py", "store/migrations", "routing/queueing.py")
LOOPBACK_NAMES = {"localhost", "ip6-localhost", "ip6-loopback"}


class BenchError(RuntimeError):
    """A clear reason to stop, printed without a traceback."""


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
