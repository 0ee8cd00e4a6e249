"""The SQL an app sends to its database, as the database receives it.

On PostgreSQL it is read from libpq's own trace of every connection the pool opens meanwhile, so the statements a
call's first webhook sends straight to the driver (store/direct.py) are seen as well as SQLAlchemy's, and so are
BEGIN and COMMIT; on SQLite from SQLAlchemy's cursor events (BEGIN IMMEDIATE included, COMMIT not: the driver's)."""

from __future__ import annotations

import re
import tempfile
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event

from store.extension import database

_RECORD = re.compile(r"\n(?=\d{4}-\d\d-\d\d )")  # libpq starts each message's record with its time
_WAIT = re.compile(r"\tF\t\d+\t(?:Query|Sync)\b")
_MESSAGE = re.compile(r"\tF\t\d+\t(Query|Parse|Bind)\b\s*(.*)", re.S)
# libpq writes a message's strings between double quotes without escaping any inside: a name never has one, the
# SQL runs to the last quote before Parse's parameter count (or to the end of a Query).
_PARSE = re.compile(r'\s*"([^"]*)" "(.*)" \d+', re.S)
_BIND = re.compile(r'\s*"[^"]*" "([^"]*)"')
_QUERY = re.compile(r'\s*"(.*)"\s*$', re.S)


class Sent(list):
    """The statements, in order; on PostgreSQL also ``round_trips``: the times the client waited for the server (each
    simple Query and each extended-protocol Sync: statements sent together in a pipeline share one)."""

    round_trips: int | None = None


@contextmanager
def statements_sent(app):
    """The statements sent meanwhile, in order, each with its whitespace collapsed."""
    with app.app_context():
        engine = database.engine
    sent = Sent()
    if engine.dialect.name != "postgresql":
        def keep(_conn, _cursor, statement, *_args) -> None:
            sent.append(" ".join(statement.split()))

        event.listen(engine, "before_cursor_execute", keep)
        try:
            yield sent
        finally:
            event.remove(engine, "before_cursor_execute", keep)
        return
    with tempfile.TemporaryDirectory() as folder:
        trace, traced = Path(folder) / "libpq.trace", []

        def watch(dbapi_connection, _record) -> None:
            handle = open(trace, "ab")  # noqa: SIM115 — libpq writes to it for as long as the connection is traced
            dbapi_connection.pgconn.trace(handle.fileno())
            traced.append((dbapi_connection, handle))

        engine.dispose()  # every connection from now on is a new one, traced from its start
        event.listen(engine, "connect", watch)  # the pool's event, kept by the pool dispose makes
        try:
            yield sent
        finally:
            event.remove(engine, "connect", watch)
            for connection, handle in traced:
                if not connection.closed:
                    connection.pgconn.untrace()
                handle.close()
            text = trace.read_bytes().decode("utf-8", "replace") if trace.exists() else ""
            sent.extend(_statements(text))
            sent.round_trips = len(_WAIT.findall(text))
            engine.dispose()


def _statements(text: str) -> list[str]:
    prepared: dict[str, str] = {}
    found: list[str] = []
    for record in _RECORD.split(text):
        message = _MESSAGE.search(record)
        if message is None:
            continue
        kind, rest = message.groups()
        if kind == "Parse" and (parse := _PARSE.match(rest)):
            prepared[parse.group(1)] = " ".join(parse.group(2).split())
        elif kind == "Bind" and (bind := _BIND.match(rest)):
            found.append(prepared.get(bind.group(1), "?"))
        elif kind == "Query" and (query := _QUERY.match(rest)):
            found.append(" ".join(query.group(1).split()))
    return found
