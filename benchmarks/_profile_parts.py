"""webhook_profile.py's parts: the database round trips counter, the floor in this process, the follow-up webhooks.

Also used by webhook_throughput.py (count_incoming: the round trips per incoming call of a run).
"""

from __future__ import annotations

import os
import re
import time
from contextlib import closing
from pathlib import Path

from benchmarks._webhook_load import signed_requests
from benchmarks._webhook_servers import PATH, PUBLIC_URL

ACTION = re.compile(r'<(Gather|Dial|Redirect)\b[^>]*?\baction="([^"]+)"|<Redirect[^>]*>([^<]+)</Redirect>')


class RoundTrips:
    """Counts what the app asks the database: statements and round trips (on PostgreSQL both from libpq's trace; on
    SQLite the statements from SQLAlchemy's cursor events, no round trips)."""

    def __init__(self, engine, work: Path):
        from sqlalchemy import event

        self.statements: list[str] = []
        self.trace = work / "libpq.trace"
        self._files = []
        self._offset = 0
        self._traced_connections = []
        self._prepared: dict[str, str] = {}  # a prepared statement's name: its first words (from its Parse)
        self.counting = True
        event.listen(engine, "before_cursor_execute", self._statement)
        if engine.dialect.name == "postgresql":
            event.listen(engine.pool, "connect", self._traced)

    def _statement(self, conn, _cursor, statement, *_args) -> None:
        if self.counting and conn.dialect.name != "postgresql":  # PostgreSQL's are read from libpq's trace
            self.statements.append(" ".join(statement.split()[:4])[:60])

    def _traced(self, dbapi_connection, _record) -> None:
        handle = open(self.trace, "ab")  # noqa: SIM115 — libpq writes to it for the connection's life
        self._files.append(handle)
        self._traced_connections.append((dbapi_connection, handle))
        if self.counting:
            dbapi_connection.pgconn.trace(handle.fileno())

    def count(self, on: bool) -> None:
        """Counting on or off: off, nothing of the counting runs inside the calls whose CPU is measured."""
        self.counting = on
        for connection, handle in self._traced_connections:
            if not connection.closed:
                connection.pgconn.trace(handle.fileno()) if on else connection.pgconn.untrace()

    def take(self) -> tuple[int, list[str]]:
        """(round trips, statements) since the last call. On PostgreSQL both are read from libpq's trace (the
        statements the app sends straight to the driver included): a Query or Sync sent is one round trip, a
        simple Query other than BEGIN/COMMIT/ROLLBACK or an extended Bind one statement."""
        statements, self.statements = self.statements, []
        if not self.trace.exists():
            return 0, statements
        for handle in self._files:
            handle.flush()
        with self.trace.open("rb") as handle:
            handle.seek(self._offset)
            text = handle.read().decode("latin-1")
            self._offset = handle.tell()
        sent, statements = 0, []
        for line in re.split(r"\n(?=\d{4}-\d\d-\d\d )", text):  # a record per message (a statement's text may span lines)
            message = re.search(r'\tF\t\d+\t(Query|Sync|Parse|Bind)\b\s*(.*)', line, re.S)
            if message is None:
                continue
            kind, rest = message.groups()
            sent += kind in ("Query", "Sync")
            # libpq quotes a message's strings without escaping: the SQL runs to Parse's last quote before its
            # parameter count, or to a Query's last quote.
            if kind == "Parse" and (parse := re.match(r'\s*"([^"]*)" "(.*)" \d+', rest, re.S)):
                self._prepared[parse.group(1)] = _first_words(parse.group(2))
            elif kind == "Bind" and (bind := re.match(r'\s*"[^"]*" "([^"]*)"', rest)):
                statements.append(self._prepared.get(bind.group(1), "?"))
            elif kind == "Query" and (query := re.match(r'\s*"(.*)"\s*$', rest, re.S)) and \
                    query.group(1).split()[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK"):
                statements.append(_first_words(query.group(1)))
        return sent, statements


def _first_words(sql: str) -> str:
    return " ".join(sql.split()[:4])[:60]


def signed(validator, url: str, params: dict[str, str]) -> dict:
    return {"X-Twilio-Signature": validator.compute_signature(url, params)}


def follow_ups(twiml: str, params: dict[str, str]) -> list[tuple[str, dict[str, str]]]:
    """The webhook Twilio would send next from this TwiML: the first action found, answered plainly."""
    for match in ACTION.finditer(twiml):
        kind, url = match.group(1), (match.group(2) or match.group(3) or "").replace("&amp;", "&")
        if not url.startswith(PUBLIC_URL):
            continue
        extra = {"Digits": "1"} if kind == "Gather" else {"DialCallStatus": "completed"} if kind == "Dial" else {}
        return [(url, {**params, **extra, "CallStatus": "in-progress"})]
    return []


def floor_app(url: str, settings_: dict[str, str]):
    """The recorded floor (benchmarks/recorded_app.py) in this process, on the same database: a function that
    answers one signed incoming call and returns the CPU seconds it took."""
    from werkzeug.test import EnvironBuilder

    from benchmarks import recorded_app

    os.environ.update({"HELPLINE_DATABASE_URL": url, "TWILIO_AUTH_TOKEN": settings_["TWILIO_AUTH_TOKEN"],
                       "HELPLINE_PUBLIC_URL": PUBLIC_URL, "HELPLINE_NUMBER_PEPPER": settings_["NUMBER_PEPPER"]})
    app = recorded_app.create()

    def answer(signature: str, body: str) -> float:
        environ = EnvironBuilder(path=PATH, method="POST", data=body, content_type="application/x-www-form-urlencoded",
                                 headers={"X-Twilio-Signature": signature}).get_environ()
        began = time.process_time()
        with closing(app.wsgi_app(environ, lambda *_: None)) as sent_back:  # closed: the record is written then
            b"".join(sent_back)
        return time.process_time() - began

    return answer


def count_incoming(url: str, settings_: dict[str, str], calls: int, work: Path) -> tuple[float, float]:
    """(round trips, statements) per incoming call of the real app on an already prepared database, in this
    process (webhook_throughput.py prints them; libpq counts round trips on PostgreSQL, none on SQLite)."""
    from werkzeug.test import EnvironBuilder

    from app import create_app
    from benchmarks.clocked_app import INSTANTS, RotatingClock
    from store.extension import database

    app = create_app({"ENVIRONMENT": "production", "DATABASE_URL": url, "LOG_LEVEL": "WARNING", "CONSOLE": False,
                      "CLOCK": RotatingClock(INSTANTS), **settings_})
    with app.app_context():
        trips = RoundTrips(database.engine, work)
    sent = said = 0
    for signature, body in signed_requests(settings_["TWILIO_AUTH_TOKEN"], calls, "count"):
        environ = EnvironBuilder(path=PATH, method="POST", data=body, content_type="application/x-www-form-urlencoded",
                                 headers={"X-Twilio-Signature": signature}).get_environ()
        with closing(app.wsgi_app(environ, lambda *_: None)) as sent_back:  # closed: the record is written then
            b"".join(sent_back)
        round_trips, statements = trips.take()
        sent, said = sent + round_trips, said + len(statements)
    with app.app_context():
        database.engine.dispose()
    return sent / calls, said / calls
