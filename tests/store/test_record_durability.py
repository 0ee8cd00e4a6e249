"""How long each of a call's writes waits for the disk on PostgreSQL: the record of a call answered without a queue
(its first webhook's one statement, store/direct.py) commits without waiting; a caller's place in a queue and a
callback request, which a person relies on, wait for the disk as every other transaction does.

What PostgreSQL itself applied at each commit is read by a deferred constraint trigger, which runs inside the
commit: ``current_setting('synchronous_commit')`` there is the setting the commit obeys."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from store.extension import database
from tests.conftest import SignedTwilio
from tests.support.callbacks import LINE_3977, MOBILE, SATURDAY_EVENING, requests_held
from tests.support.calls import Caller, add_listener, qapp, tw  # noqa: F401 — qapp and tw are fixtures

NOTED_TABLES = ("call", "queued_caller", "callback_request")


@pytest.fixture
def note_commits(request):
    """note_commits(app): from now on, each commit that inserts into NOTED_TABLES notes the setting it obeys.
    The table, function and triggers are dropped afterwards (the PostgreSQL test database is shared, truncated)."""
    noted = []

    def start(app) -> None:
        # A worker that answered its first call (which reads the directory in a transaction of its own) and asks
        # the directory's revision again only in an hour: what is noted is the calls' own commits.
        Caller(SignedTwilio(app.test_client()))
        app.extensions["directory"].check_seconds = 3600
        with app.app_context():
            if database.engine.dialect.name != "postgresql":
                pytest.skip("synchronous_commit is PostgreSQL's; SQLite commits every transaction the same way")
            noted.append(app)
            with database.engine.begin() as connection:
                connection.execute(text("CREATE TABLE commit_seen (id serial PRIMARY KEY, tbl text, setting text)"))
                connection.execute(text(
                    "CREATE FUNCTION note_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO "
                    "commit_seen (tbl, setting) VALUES (TG_TABLE_NAME, current_setting('synchronous_commit'));"
                    " RETURN NULL; END $$"))
                for table in NOTED_TABLES:
                    connection.execute(text(
                        f"CREATE CONSTRAINT TRIGGER note_commit AFTER INSERT ON {table} DEFERRABLE INITIALLY "
                        "DEFERRED FOR EACH ROW EXECUTE FUNCTION note_commit()"))

    yield start
    for app in noted:
        with app.app_context(), database.engine.begin() as connection:
            for table in NOTED_TABLES:
                connection.execute(text(f"DROP TRIGGER IF EXISTS note_commit ON {table}"))
            connection.execute(text("DROP FUNCTION IF EXISTS note_commit()"))
            connection.execute(text("DROP TABLE IF EXISTS commit_seen"))


def commits_seen(app) -> list[tuple[str, str]]:
    with app.app_context(), database.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text("SELECT tbl, setting FROM commit_seen ORDER BY id"))]


def test_a_call_answered_without_a_queue_is_recorded_without_waiting_for_the_disk(qapp, tw, note_commits):
    note_commits(qapp)
    caller = Caller(tw)  # the Belgian line on a Tuesday morning, nobody signed in: forwarded to the room
    assert caller.document.find("Dial/Number") is not None
    assert commits_seen(qapp) == [("call", "off")]
    with qapp.app_context(), database.engine.connect() as connection:  # written, and seen by every session
        assert connection.execute(text("SELECT outcome FROM call WHERE sid = :sid"),
                                  {"sid": caller.sid}).scalar() == "forwarding"


def test_a_queued_callers_place_waits_for_the_disk(qapp, tw, note_commits):
    add_listener(qapp, "Camille", "+32470111111")
    note_commits(qapp)
    caller = Caller(tw)
    assert caller.queued
    assert commits_seen(qapp) == [("call", "on"), ("queued_caller", "on")]


def test_a_callback_request_waits_for_the_disk(app, call, note_commits):
    note_commits(app)
    # Saturday evening, 3977 closed: the call's first webhook is a record; then yes, my number, mornings, no message.
    call(LINE_3977, at=SATURDAY_EVENING, caller=MOBILE, presses=["#", "1", "1", "2", "2"])
    [request] = requests_held(app)
    assert request.status == "pending"
    assert commits_seen(app) == [("call", "off"), ("callback_request", "on")]
