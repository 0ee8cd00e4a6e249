"""The connection pool pings a connection only after it sat idle, and replaces one that died meanwhile."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import OperationalError

from store import db
from store.db import make_engine

@pytest.fixture
def engine(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("a server connection to cut: PostgreSQL")
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def statements(engine) -> list[str]:
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


def test_a_busy_connection_is_used_without_a_ping(engine):
    with engine.connect() as connection:
        connection.execute(text("SELECT 2"))
    seen = statements(engine)
    with engine.connect() as connection:  # back from the pool at once
        connection.execute(text("SELECT 3"))
    assert seen == ["SELECT 3"]


def test_a_connection_that_died_while_idle_is_replaced_before_use(engine, monkeypatch):
    with engine.connect() as connection:
        first_pid = connection.execute(text("SELECT pg_backend_pid()")).scalar()
    admin = create_engine(engine.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as admin_connection:  # the pooled connection's server process ends, as in a restart
        admin_connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first_pid})
    admin.dispose()
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)  # it has been idle "long enough"
    with engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1
        assert connection.execute(text("SELECT pg_backend_pid()")).scalar() != first_pid


def test_without_the_ping_the_dead_connection_would_have_failed(engine, monkeypatch):
    """What the ping is for: the same cut connection, used without one, fails the statement."""
    with engine.connect() as connection:
        first_pid = connection.execute(text("SELECT pg_backend_pid()")).scalar()
    admin = create_engine(engine.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as admin_connection:
        admin_connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first_pid})
    admin.dispose()
    with pytest.raises(OperationalError), engine.connect() as connection:  # used again at once: no ping
        connection.execute(text("SELECT 1"))
