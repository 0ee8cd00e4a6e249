"""A call's first webhook on PostgreSQL, outside any transaction until it has something to write atomically.

Most first webhooks read two things (the call's new id with whether screening has anything to read, and a
pool's state) and write one: the call's row with its outcome and steps, a single statement. In a transaction
that was five round trips (BEGIN, two reads, the write, COMMIT) and SQLAlchemy's execution and session
machinery around each: over half of the webhook's CPU. Here the turn's session is bound to one pooled
connection whose driver runs in autocommit; the few statements above are sent straight to the driver as
prepared statements; and the moment the session itself begins (anything else is read or written: a queue
entry, a locked listener, a flag), the connection leaves autocommit, so that everything from then on is one
transaction as before, the call's row included (it is written with the rest when the session commits).

store/calls.py then writes a turn that never began a transaction in one statement, atomic by itself, sent once the
caller has been answered (ivr/answer_first.py: the session and its connection stay open until then); a turn that
began one commits it before its answer. SQLite keeps its transactions (its new call's id is max + 1 under the write
lock that a transaction holds from its BEGIN): there, the statements below run through the session as before.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Iterator, Sequence

from sqlalchemy import Connection, Engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.elements import ClauseElement

from store.db import scoped

DRIVER = "helpline.direct_driver"  # session.info: the driver connection of a turn outside a transaction
CONNECTION = "helpline.direct_connection"  # session.info: SQLAlchemy's connection the session is bound to
_UNTIL_BEGIN = "helpline.autocommit_until_begin"  # connection.info: leave autocommit when a transaction begins
_CURSOR = "helpline.direct_cursor"  # connection.info: (the driver connection, its cursor kept for the statements)
log = logging.getLogger(__name__)


@dataclass(eq=False)  # a statement is itself: kept and compared by identity (rows_with's cache)
class DirectStatement:
    """A statement built with SQLAlchemy, compiled once for psycopg: its SQL and its constant parameters.

    Parameters are passed to the driver as they are: aware datetimes for timestamptz, plain values otherwise
    (no SQLAlchemy type processing on this path)."""

    clause: ClauseElement
    parameters: tuple[str, ...]
    _compiled: tuple[str, dict[str, Any]] | None = field(default=None, init=False, repr=False)

    def for_driver(self) -> tuple[str, dict[str, Any]]:
        if self._compiled is None:
            from sqlalchemy.dialects.postgresql import psycopg

            state = self.clause.compile(dialect=psycopg.dialect()).construct_expanded_state(
                {name: None for name in self.parameters})
            constants = {k: v for k, v in state.parameters.items() if k not in self.parameters}
            self._compiled = (state.statement, constants)
        return self._compiled


def driver_of(session: Session):
    """The psycopg connection of a first webhook's session on PostgreSQL, else None."""
    return session.info.get(DRIVER)


def has_changes(session: Session) -> bool:
    return bool(session.new or session.dirty or session.deleted)


def rows(session: Session, statement: DirectStatement, values: dict[str, Any]) -> Sequence[tuple]:
    """The statement's rows: straight from the driver on a first webhook's connection (in autocommit until
    the session begins, inside its transaction after), through the session everywhere else. Either way the
    session's pending changes are flushed first, as the session's own autoflush would."""
    if driver_of(session) is None:
        return session.execute(statement.clause, values).all()
    if session.autoflush and has_changes(session):
        session.flush()  # begins the transaction: the statement below then runs inside it
    return execute(session, statement, values).fetchall()


def rows_with(session: Session, main: tuple[DirectStatement, dict[str, Any]],
              also: tuple[DirectStatement, dict[str, Any]]) -> tuple[Sequence[tuple], list[tuple]]:
    """``main``'s rows and ``also``'s, as ``rows`` gives them; on a first webhook's connection in one statement, so that
    the webhook waits for the server once and the driver runs one statement (psycopg's pipeline for the two cost
    about 40 µs more of the worker's CPU). ``main`` must give exactly one row; ``also``'s rows come back beside it
    as JSON, so its columns must be integers, text or booleans, each under its own name (see _joined)."""
    if driver_of(session) is None:
        return session.execute(main[0].clause, main[1]).all(), session.execute(also[0].clause, also[1]).all()
    if session.autoflush and has_changes(session):
        session.flush()
    sql, parameters = _joined(main[0], also[0])
    values = _refuse_naive({**main[1], **also[1]})
    with _as_sqlalchemy_errors(session, sql, values):
        cursor = _kept_cursor(session).execute(sql, {**parameters, **values}, prepare=True)
        (*main_row, also_rows), = cursor.fetchall()
    return [tuple(main_row)], [tuple(row.values()) for row in also_rows or ()]


@lru_cache(maxsize=8)
def _joined(main: DirectStatement, also: DirectStatement) -> tuple[str, dict[str, Any]]:
    """One statement for the driver: ``main``'s row, then ``also``'s rows aggregated as a JSON array of objects (a
    row's columns in their order, as PostgreSQL's json keeps them: its first SELECT's names). JSON keeps integers,
    text and booleans as they were, not exact decimals, times or bytes; and two columns of one name would be one key:
    such a statement is refused. Their parameters share one namespace: a name in both would be ambiguous, and is
    refused too."""
    main_sql, main_constants = main.for_driver()
    also_sql, also_constants = also.for_driver()
    shared = (set(main.parameters) | set(main_constants)) & (set(also.parameters) | set(also_constants))
    if shared:
        raise ValueError(f"statements joined with the same parameter names: {sorted(shared)}")
    names = [column.name for column in also.clause.selected_columns]  # as the SQL names them (keys are made unique)
    if len(set(names)) != len(names):
        raise ValueError(f"a statement joined as JSON needs distinct column names, not {names}")
    sql = (f"WITH also_rows AS ({also_sql}) SELECT main_row.*, (SELECT json_agg(also_rows) FROM also_rows) "
           f"FROM ({main_sql}) AS main_row")
    return sql, {**main_constants, **also_constants}


def execute(session: Session, statement: DirectStatement, values: dict[str, Any]):
    """Run ``statement`` on the first webhook's driver, in the cursor kept with its connection: read its rows before
    the next statement."""
    sql, parameters = _for_driver(statement, values)
    with _as_sqlalchemy_errors(session, sql, parameters):
        return _kept_cursor(session).execute(sql, parameters, prepare=True)


def _kept_cursor(session: Session):
    """The driver connection's own cursor, kept in its pool entry's info for as long as that connection lives: a new
    cursor for every statement cost about 15 µs of psycopg's set-up, two or three times a call."""
    driver, connection = session.info[DRIVER], session.info[CONNECTION]
    if connection.invalidated:  # reading its info would check out another connection: fail as before, on this one
        return driver.cursor()
    info = connection.info
    kept = info.get(_CURSOR)
    if kept is None or kept[0] is not driver:  # a new connection (after a reconnect): a new cursor
        kept = info[_CURSOR] = (driver, driver.cursor())
    return kept[1]


def _for_driver(statement: DirectStatement, values: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    sql, constants = statement.for_driver()
    _refuse_naive(values)
    return sql, ({**constants, **values} if constants else values)


def _refuse_naive(values: dict[str, Any]) -> dict[str, Any]:
    for value in values.values():  # what UTCDateTime refuses on every other path
        if isinstance(value, datetime) and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
    return values


@contextmanager
def _as_sqlalchemy_errors(session: Session, sql: str, parameters: dict[str, Any]) -> Iterator[None]:
    """The driver's errors as SQLAlchemy's, as on any other path, and a connection the server dropped handled as
    SQLAlchemy handles one: invalidated, and the pool's other connections with it (opened before the same restart
    or failover, they would each fail one more caller)."""
    import psycopg

    try:
        yield
    except psycopg.Error as error:
        driver = session.info[DRIVER]
        connection: Connection = session.info[CONNECTION]
        if driver.broken or driver.closed or connection.dialect.is_disconnect(error, driver, None):
            connection.invalidate(error)
            connection.engine.dispose(close=False)
        raise DBAPIError.instance(sql, parameters, error, psycopg.Error) from error


def outside_transaction(session: Session) -> bool:
    """Whether a first webhook's session has run nothing in a transaction and has nothing of its own to flush:
    its call and steps can then be written in one statement, outside any transaction."""
    driver = driver_of(session)
    return driver is not None and driver.autocommit and not has_changes(session)


def _direct(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg"  # psycopg 3's API below


def install(engine: Engine) -> None:
    """On PostgreSQL, a connection lent to a first webhook leaves autocommit when its session begins."""
    if _direct(engine):
        event.listen(engine, "begin", _leave_autocommit)


def _leave_autocommit(connection) -> None:
    if connection.info.pop(_UNTIL_BEGIN, False):
        connection.connection.driver_connection.autocommit = False


@contextmanager
def first_turn_session(engine: Engine, factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for a call's first webhook: on PostgreSQL bound to a connection in autocommit (see above).

    Nothing but the session and this module may use that connection: a statement run on it directly would begin
    a transaction the session joins without owning, and its commit would then write nothing. The block may end after
    the request (ivr/answer_first.py hands it to the answer's close hook): the connection goes back the same way."""
    if not _direct(engine):
        with scoped(factory()) as session:
            yield session
        return
    with engine.connect() as connection:
        driver = connection.connection.driver_connection
        info = connection.info  # read now: once the connection is invalidated, reading it would reconnect
        driver.autocommit = True
        info[_UNTIL_BEGIN] = True
        session = factory(bind=connection)
        session.info.update({DRIVER: driver, CONNECTION: connection})
        try:
            with scoped(session):
                yield session
        finally:
            info.pop(_UNTIL_BEGIN, None)
            _give_back_as_lent(connection, driver)


def _give_back_as_lent(connection: Connection, driver) -> None:
    """The connection goes back to the pool as every other one: out of autocommit, in no transaction."""
    if connection.invalidated or driver.closed:
        return
    if connection.in_transaction():  # begun outside the session (see first_turn_session): nothing of it is kept
        log.error("a first webhook's connection was left in a transaction; rolled back")
        connection.rollback()
    if driver.autocommit:
        driver.autocommit = False
