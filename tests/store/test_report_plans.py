"""A report takes one core and no lock a caller's webhook waits for: no parallel workers, and the conversation
figures found through their own index instead of every call step (issue 17)."""

from __future__ import annotations

import importlib
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select, text

from console.overview import line_pools
from store.extension import database, directory
from store.models import Call, CallEvent, ReportCallerFirst
from store.models.calls import REPORT_STEP_KINDS
from store.report_conversation import COUNTED, TRANSFER_OUTCOMES, conversation_figures
from store.report_queue_callers import boundary_callers
from store.reports import Period, centre_where, line_report, line_where

NOW = datetime(2026, 1, 5, tzinfo=timezone.utc)
YEAR = Period(date(2025, 1, 1), date(2025, 12, 31), "Europe/Paris")


def test_every_step_kind_the_reports_look_for_is_in_their_index():
    counted = set(COUNTED.values()) | {"conv_supervisor", "transfer_started"} | set(TRANSFER_OUTCOMES)
    assert counted | {"handoff"} == set(REPORT_STEP_KINDS)
    migration = importlib.import_module("store.migrations.versions.0018_report_indexes")
    assert set(migration.KINDS) == set(REPORT_STEP_KINDS)


def test_a_report_runs_on_one_core_within_its_time_limit(app):
    with app.app_context(), database.session(read_only=True) as session:
        if session.get_bind().dialect.name != "postgresql":
            return  # SQLite has neither parallel workers nor a statement timeout
        snapshot = directory.get(session, NOW)
        line = snapshot.lines_by_slug["france-victimes"]
        line_report(session, snapshot, line, line_pools(line), YEAR, 0.8, NOW)
        assert session.scalar(text("SHOW max_parallel_workers_per_gather")) == "0"
        assert session.scalar(text("SHOW statement_timeout")) == "25s"
    with app.app_context(), database.session(read_only=True) as session:  # SET LOCAL: the next transaction is as before
        assert session.scalar(text("SHOW statement_timeout")) != "25s"


def test_the_conversation_figures_read_their_steps_through_the_index(app):
    captured: list[str] = []
    with app.app_context(), database.session(read_only=True) as session:
        dialect = session.get_bind().dialect.name
        line_id = directory.get(session, NOW).line_ids["france-victimes"]
        connection = session.connection()

        def explain(statement) -> str:
            compiled = statement.compile(connection, compile_kwargs={"literal_binds": True})
            prefix = "EXPLAIN " if dialect == "postgresql" else "EXPLAIN QUERY PLAN "
            return "\n".join(str(row[-1]) for row in connection.exec_driver_sql(prefix + str(compiled)))

        if dialect == "postgresql":
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")  # an empty table: show what can be used
        original = session.execute

        def recording(statement, *args, **kwargs):
            if hasattr(statement, "compile") and CallEvent.__tablename__ in str(statement):
                captured.append(explain(statement))
            return original(statement, *args, **kwargs)

        session.execute = recording
        session.scalar = lambda statement, *a, **k: original(statement, *a, **k).scalar()
        conversation_figures(session, line_where(line_id, YEAR))
    assert len(captured) == 4  # calls per kind, supervisors, transfers started, transfers' outcomes
    if dialect != "postgresql":
        return  # SQLite's planner picks by its own rules on an empty table; the yearly figures are PostgreSQL's
    for plan in captured:
        assert "ix_call_event_report_kind" in plan, plan


def postgres_plan(app, statement_for, *settings: str) -> str:
    """PostgreSQL's plan for ``statement_for(line_id of France Victimes)``, with sequential scans off (the tables are
    empty: show what can be used) and ``settings`` run first, in a transaction rolled back after. The plans checked
    are PostgreSQL's (the yearly figures are counted there): skipped on SQLite."""
    with app.app_context(), database.session(read_only=True) as session:
        if session.get_bind().dialect.name != "postgresql":
            pytest.skip("the reports' plans are PostgreSQL's; SQLite's planner picks by its own rules")
        connection = session.connection()
        for setting in ("SET LOCAL enable_seqscan = off", *settings):
            connection.exec_driver_sql(setting)
        line_id = directory.get(session, NOW).line_ids["france-victimes"]
        statement = statement_for(line_id).compile(connection, compile_kwargs={"literal_binds": True})
        return "\n".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {statement}"))


def test_the_queued_callers_read_one_by_one_are_found_through_the_index_of_the_unusual_ones(app):
    # Costs are guesses on empty tables, so the index on every caller's joins is put aside (rolled back after).
    plan = postgres_plan(app, lambda line_id: boundary_callers(line_id, YEAR.start, YEAR.end),
                         "DROP INDEX ix_report_queue_caller_joined")
    assert "ix_report_queue_caller_unusual" in plan, plan


def test_first_time_callers_are_counted_from_their_index_alone(app):
    first = ReportCallerFirst
    plan = postgres_plan(app, lambda line_id: select(func.count()).where(
        first.line_id == line_id, first.first_at >= YEAR.start, first.first_shown_at < YEAR.end),
        "SET LOCAL enable_bitmapscan = off")
    assert "Index Only Scan using ix_report_caller_first_line_id_first_at_shown" in plan, plan


def test_a_centres_calls_are_picked_by_their_hand_off_steps_through_the_index(app):
    plan = postgres_plan(app, lambda _line_id: select(func.count()).select_from(Call).where(
        *centre_where("3977-94", YEAR)))
    assert "ix_call_event_report_kind" in plan, plan


def test_a_pools_last_talks_are_read_from_their_index_whatever_the_other_pools_wrote(app):
    """The pool state every call to an open line with a queue asks (store/listeners.py POOL_STATE) ends with the pool's
    last 20 talks. Read backwards through every queue event, it filtered the other pools' events on the way: 122 ms a
    call for France Victimes on the 1 M-call history (its events older than the other pools'), the whole table for a
    pool without talks yet. Here the other pools wrote 3,000 events since (rolled back after)."""
    from store.listeners import POOL_STATE

    with app.app_context(), database.session() as session:
        if session.get_bind().dialect.name != "postgresql":
            pytest.skip("the plans are PostgreSQL's; SQLite's planner picks by its own rules")
        connection = session.connection()
        connection.exec_driver_sql(
            "INSERT INTO queue_event (pool, at, kind, detail) SELECT 'other', now(), "
            "(ARRAY['joined', 'offered', 'bridged', 'talk'])[1 + mod(n, 4)], '' FROM generate_series(1, 3000) AS n")
        connection.exec_driver_sql("ANALYZE queue_event")
        statement = POOL_STATE.params(pool="france-victimes").compile(connection,
                                                                      compile_kwargs={"literal_binds": True})
        plan = "\n".join(row[0] for row in connection.exec_driver_sql(
            f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) {statement}"))
        session.rollback()
    talks = plan[plan.index("Limit"):]
    assert "ix_queue_event_pool_kind_id" in talks and "Rows Removed by Filter" not in talks, plan
