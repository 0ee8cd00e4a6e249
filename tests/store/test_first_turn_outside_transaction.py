"""A call's first webhook on PostgreSQL: its reads and its one write outside any transaction (store/direct.py);
a turn that writes anything else is one transaction, the call's row included; and every connection goes back to
the pool as it came (a connection left in autocommit would make the next coordinator's change half-written)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, event, literal, select, text
from sqlalchemy.pool import NullPool

from store.extension import database
from store.models import Call, CallEvent
from tests.support.calls import Caller, EVC, add_listener, qapp, tw  # noqa: F401 — qapp and tw are fixtures
from tests.support.first_turn import given_back, postgres, warm, written  # noqa: F401 — and these
from tests.support.sent_sql import statements_sent


def writes_rows(statement: str) -> bool:
    return any(word in statement.upper() for word in ("INSERT ", "UPDATE ", "DELETE "))


def test_a_callers_first_webhook_with_nobody_to_queue_for_is_one_read_and_one_write_without_begin(postgres, tw,
                                                                                                   given_back):
    with statements_sent(postgres) as sent:
        caller = Caller(tw)  # the Belgian line on a Tuesday morning, no listener signed in: straight to the room
    assert caller.document.find("Dial/Number") is not None
    assert [s for s in sent if s.upper() in ("BEGIN", "COMMIT", "ROLLBACK")] == [], sent
    writes = [s for s in sent if writes_rows(s)]
    assert len(writes) == 1 and writes[0].startswith("WITH new_call AS (INSERT INTO call"), writes
    assert len(sent) == 2, sent  # the call's id, its screening and the pool's state in one read
    call, steps, place = written(postgres, caller.sid)
    assert call.outcome == "forwarding" and call.line_id is not None and place is None
    assert steps[0] == "incoming" and "decision" in steps
    assert given_back and not any(given_back)


def test_an_open_lines_first_webhook_asks_its_pool_with_the_calls_id_and_waits_for_the_server_twice(postgres, warm,
                                                                                                     tw, clock):
    with statements_sent(postgres) as sent:  # on a new connection: each statement is parsed on its first use
        callers = [Caller(tw) for _ in range(3)]  # the Belgian line open, nobody signed in: the pool, then the room
    assert all(caller.document.find("Dial/Number") is not None for caller in callers)
    reads = [s for s in sent if not writes_rows(s)]
    assert len(reads) == 3 and all("nextval" in read and "AS part" in read for read in reads), reads
    # Each call waits twice: for its read (the call's id and the pool's state in one statement), and for its record
    # (after the answer); the first call waits once more for each statement's parse. One by one, it was 3 waits a call.
    assert sent.round_trips == 3 * 2 + 2, sent
    clock.now = clock.now.replace(hour=23)  # closed for the night: no pool to ask
    with statements_sent(postgres) as sent:
        Caller(tw)
    assert not any("AS part" in s for s in sent), sent


def test_a_first_webhook_that_falls_on_the_workers_directory_check_stays_outside_a_transaction(postgres, tw,
                                                                                               given_back):
    postgres.extensions["directory"].check_seconds = 0  # every call asks whether the directory changed
    with statements_sent(postgres) as sent:
        caller = Caller(tw)
    assert caller.document.find("Dial/Number") is not None
    assert any("FROM directory_revision" in s for s in sent), sent
    assert [s for s in sent if s.upper() in ("BEGIN", "COMMIT", "ROLLBACK")] == [], sent
    call, _steps, _place = written(postgres, caller.sid)
    assert call.outcome == "forwarding"
    assert given_back and not any(given_back)


def test_a_first_webhook_that_queues_the_caller_writes_the_call_and_its_place_in_one_transaction(postgres, tw,
                                                                                                 given_back):
    add_listener(postgres, "Camille", "+32470111111")
    with statements_sent(postgres) as sent:
        caller = Caller(tw)
    assert caller.queued
    call, steps, place = written(postgres, caller.sid)
    assert place is not None and place.status == "offered" and steps[0] == "incoming"
    begin, commit = sent.index("BEGIN"), sent.index("COMMIT")
    call_insert = next(i for i, s in enumerate(sent) if s.startswith(("INSERT INTO call ", "WITH new_call AS")))
    place_insert = next(i for i, s in enumerate(sent) if s.startswith("INSERT INTO queued_caller"))
    assert begin < call_insert < place_insert < commit, sent
    assert given_back and not any(given_back)


def test_a_first_webhook_that_breaks_after_its_reads_writes_nothing_and_leaves_no_connection_in_autocommit(
        postgres, tw, given_back):
    with postgres.app_context():
        engine = database.engine

    def refuse_the_write(_conn, _cursor, statement, *_args) -> None:
        if statement.startswith("INSERT INTO queued_caller"):
            raise RuntimeError("the disk is full")

    add_listener(postgres, "Camille", "+32470111111")
    given_back.clear()
    event.listen(engine, "before_cursor_execute", refuse_the_write)
    try:
        caller = Caller(tw)
    finally:
        event.remove(engine, "before_cursor_execute", refuse_the_write)
    said = " ".join(s.text or "" for s in caller.document.iter("Say"))
    assert "problème technique" in said  # the apology and the line's fallback, never an HTTP error
    assert written(postgres, caller.sid) == (None, [], None)  # nothing half-written: neither the call nor its place
    assert given_back and not any(given_back)
    with engine.connect() as connection:  # and the next user of a pooled connection still gets a transaction
        connection.execute(text("CREATE TEMPORARY TABLE half_written (n int)"))
        connection.execute(text("INSERT INTO half_written VALUES (1)"))
        connection.rollback()
        assert connection.execute(text("SELECT to_regclass('pg_temp.half_written')")).scalar() is None


def test_a_first_webhook_whose_first_read_fails_writes_nothing_and_leaves_no_connection_in_autocommit(
        postgres, tw, given_back):
    with postgres.app_context():
        engine = database.engine
    add_listener(postgres, "Camille", "+32470111111")  # the chain reads the pool's state: it is what fails
    given_back.clear()
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE queue_event RENAME TO queue_event_away"))
    try:
        caller = Caller(tw)
    finally:
        with engine.begin() as connection:
            connection.execute(text("ALTER TABLE queue_event_away RENAME TO queue_event"))
    said = " ".join(s.text or "" for s in caller.document.iter("Say"))
    assert "problème technique" in said
    assert written(postgres, caller.sid) == (None, [], None)
    assert given_back and not any(given_back)


def test_after_the_database_restarts_one_caller_at_most_hears_the_apology(postgres, warm, tw):
    with postgres.app_context():
        engine = database.engine
    held = [engine.connect() for _ in range(3)]  # three connections in the pool, as after a busy minute
    for connection in held:
        connection.close()
    outside = create_engine(engine.url, poolclass=NullPool)  # the server restarts: the pool's connections are cut
    with outside.begin() as connection:
        cut = connection.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                      "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
    assert cut >= 3
    answers = [" ".join(s.text or "" for s in Caller(tw).document.iter("Say")) for _ in range(3)]
    assert sum("problème technique" in said for said in answers) <= 1, answers
    assert "problème technique" not in answers[-1]


@pytest.mark.parametrize("first_webhook", (True, False), ids=("outside a transaction", "inside one"))
def test_a_turns_steps_are_written_exactly_as_recorded(postgres, first_webhook):
    """The steps travel to PostgreSQL as one JSON parameter: every character of a detail, and every instant to the
    microsecond, come back as they were recorded, whichever way the turn was written."""
    from datetime import datetime, timedelta, timezone

    from store import calls

    now = datetime(2026, 11, 24, 9, 30, 15, 123456, tzinfo=timezone.utc)
    details = ['quote " backslash \\ slash / brace { } comma , ', "é à ü — « » 日本 \U0001F4DE", "line\nbreak\ttab", ""]
    sid = "CA" + "5" * 32
    with postgres.app_context(), database.first_turn_session() as session:
        opened = calls.open_call_screened(session, sid, now, None, None, True, "fr", first_webhook=True)
        if not first_webhook:
            session.execute(text("SELECT 1"))  # the session begins: the turn is then one transaction
        for n, detail in enumerate(details):
            calls.record(session, opened.call, now + timedelta(microseconds=n), "decision", detail, rule_index=n or None)
        opened.call.outcome = "closed"
        calls.commit_turn(session)
    with postgres.app_context(), database.session() as session:
        call = session.scalar(select(Call).where(Call.sid == sid))
        steps = session.execute(select(CallEvent.at, CallEvent.detail, CallEvent.rule_index)
                                .where(CallEvent.call_id == call.id).order_by(CallEvent.id)).all()
    assert call.outcome == "closed"
    assert [(at, detail, index) for at, detail, index in steps] == [
        (now + timedelta(microseconds=n), detail, n or None) for n, detail in enumerate(details)]


def test_two_statements_with_a_parameter_of_the_same_name_are_not_joined():
    from store.direct import DirectStatement, _joined

    main = DirectStatement(text("SELECT CAST(:pool AS text) AS id"), ("pool",))
    also = DirectStatement(text("SELECT CAST(:pool AS text) AS part"), ("pool",))
    with pytest.raises(ValueError, match="pool"):
        _joined(main, also)


def test_a_statement_with_two_columns_of_one_name_is_not_joined_as_json():
    from store.direct import DirectStatement, _joined

    main = DirectStatement(text("SELECT 1 AS id"), ())
    also = DirectStatement(select(literal(1).label("n"), literal(2).label("n")), ())
    with pytest.raises(ValueError, match="distinct column names"):
        _joined(main, also)


def test_the_pool_state_read_with_the_calls_id_is_the_pool_state_read_alone(postgres):
    # Listeners of every status (one inactive), callers waiting, offered and gone, talks with and without a length:
    # the rows that travel as JSON beside the call's id give the same counts and estimated wait as the statement alone.
    from datetime import timedelta

    from routing.queueing import ListenerStatus
    from store import direct
    from store.calls import NEW_CALL_ID_DIRECT
    from store.listeners import POOL_STATE_DIRECT, _pool_state_of
    from store.models import Listener, QueuedCaller, QueueEvent

    pool = "ecoute-violences-conjugales"
    statuses = (ListenerStatus.AVAILABLE, ListenerStatus.AVAILABLE, ListenerStatus.PAUSED, ListenerStatus.ON_CALL,
                ListenerStatus.WRAP_UP, ListenerStatus.OFFLINE, ListenerStatus.AVAILABLE)
    ids = [add_listener(postgres, f"Écoutant {n}", f"+3247011{n:04d}", status) for n, status in enumerate(statuses)]
    with postgres.app_context(), database.session() as session:
        now = postgres.config["CLOCK"]()
        session.get(Listener, ids[-1]).active = False
        session.add_all(QueuedCaller(call_sid=f"CA{n:032x}", pool=pool, status=status, enqueued_at=now)
                        for n, status in enumerate(("waiting", "waiting", "offered", "gone")))
        session.add_all(QueueEvent(pool=pool, kind="talk", at=now - timedelta(minutes=n), wait_seconds=seconds)
                        for n, seconds in enumerate((240, None, 720, 30)))
        session.commit()
    with postgres.app_context(), database.first_turn_session() as session:
        screen = {"sid": "CA" + "e" * 32, "line_id": None, "caller_hash": None, "now": now, "since": None}
        (row,), joined = direct.rows_with(session, (NEW_CALL_ID_DIRECT, screen), (POOL_STATE_DIRECT, {"pool": pool}))
        alone = direct.rows(session, POOL_STATE_DIRECT, {"pool": pool})
    assert row[1:] == (False, False)
    assert sorted(joined, key=repr) == sorted(map(tuple, alone), key=repr)
    state = _pool_state_of(joined)
    assert (state.logged_in, state.available, state.staffed, state.queue_length) == (5, 2, 4, 3)
    assert state == _pool_state_of(alone)
