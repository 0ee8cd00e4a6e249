"""The database and directory-cache extensions, created bare and attached to an app with init_app."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from store import direct
from store.db import READ_ONLY, make_engine, make_session_factory, scoped
from store.snapshot import DirectoryCache, Snapshot


class Database:
    def __init__(self) -> None:
        self._app: Flask | None = None

    def init_app(self, app: Flask) -> None:
        engine = make_engine(app.config["DATABASE_URL"])
        direct.install(engine)
        app.extensions["database"] = (engine, make_session_factory(engine))
        # Same pool and connections; on SQLite its transactions begin without taking the write lock.
        app.extensions["database_read_only"] = make_session_factory(engine.execution_options(**{READ_ONLY: True}))
        self._app = app

    @staticmethod
    def _current() -> tuple[Engine, sessionmaker[Session]]:
        from flask import current_app

        return current_app.extensions["database"]

    @property
    def engine(self) -> Engine:
        return self._current()[0]

    @contextmanager
    def session(self, read_only: bool = False) -> Iterator[Session]:
        """A session; ``read_only`` for one that never writes (on SQLite it then leaves writers free)."""
        from flask import current_app

        with scoped(current_app.extensions["database_read_only"]() if read_only else self._current()[1]()) as session:
            yield session

    def first_turn_session(self):
        """A session for a call's first webhook: outside any transaction until it needs one (store/direct.py)."""
        engine, factory = self._current()
        return direct.first_turn_session(engine, factory)


class Directory:
    """Each app (and so each worker) keeps its own cache of routing objects."""

    def init_app(self, app: Flask) -> None:
        app.extensions["directory"] = DirectoryCache(float(app.config["DIRECTORY_CHECK_SECONDS"]))

    @staticmethod
    def cache() -> DirectoryCache:
        from flask import current_app

        return current_app.extensions["directory"]

    def get(self, session: Session, now) -> Snapshot:
        return self.cache().get(session, now)

    def peek(self) -> Snapshot | None:
        return self.cache().peek()

    def invalidate(self) -> None:
        self.cache().invalidate()


database = Database()
directory = Directory()
