"""Reports counted by the database give, figure for figure, what routing.traffic and routing.metrics give call by call."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from console.overview import line_pools
from routing.metrics import QueueStats, caller_records, group_stats, hour_joined, tally, week_slot_joined
from routing.traffic import (
    caller_kind_counts,
    closed_counts,
    forward_targets,
    heatmap,
    outcome_counts,
)
from store.extension import database, directory
from store.metrics import period_events, pool_thresholds
from store.report_sql import HOUR, QUARTER, bucket_seconds
from store.report_queue import queue_figures
from store.report_traffic import count_traffic
from store.reports import centre_report, centre_where, line_report, line_where
from tests.support.report_year import PERIODS, call_by_call

UTC = timezone.utc


@pytest.mark.parametrize("period", PERIODS, ids=["year", "weeks", "half-hour-zone"])
def test_a_line_report_counted_in_sql_equals_the_call_by_call_count(year, period):
    now = datetime(2026, 1, 5, tzinfo=UTC)
    with year.app_context(), database.session() as session:
        snapshot = directory.get(session, now)
        line = snapshot.lines_by_slug["france-victimes"]
        report = line_report(session, snapshot, line, line_pools(line), period, 0.8, now)
        records = call_by_call(session, line_where(snapshot.line_ids[line.slug], period))
        events = period_events(session, period.start, period.end, snapshot, line_slug=line.slug)
    traffic = report.traffic
    assert traffic.calls == len(records) > 0
    assert traffic.heatmap == heatmap(records, period.zone)
    assert traffic.outcomes == outcome_counts(records)
    assert traffic.closed == closed_counts(records)
    assert list(traffic.forwards.items()) == list(forward_targets(records).items())
    assert traffic.callers == caller_kind_counts(records)
    assert traffic.after_hours_email == sum(r.heard_after_hours_email(True) for r in records)
    callers = caller_records(events)
    per_pool = pool_thresholds(snapshot, {e.pool for e in events})
    assert report.queue == tally(callers, report.thresholds, per_pool)
    by_hour = group_stats(callers, hour_joined(period.zone), report.thresholds, per_pool)
    assert report.queue_by_hour == {hour: by_hour.get(hour, QueueStats()) for hour in range(24)}
    assert report.queue.offered > 0 and report.queue.answered > 0
    with year.app_context(), database.session() as session:  # what the staffing advice is drawn from
        wanted = count_traffic(session, line_where(snapshot.line_ids[line.slug], period), period, True).wanted
        figures = queue_figures(session, snapshot, snapshot.line_ids[line.slug], period.start, period.end,
                                period.zone, report.thresholds)
    expected_wanted: dict[tuple[int, int], int] = {}
    for record in records:
        if record.wanted_a_listener_while_open:
            local = record.started_at.astimezone(period.zone)
            expected_wanted[local.weekday(), local.hour] = expected_wanted.get((local.weekday(), local.hour), 0) + 1
    assert wanted == expected_wanted
    assert figures.by_slot == group_stats(callers, week_slot_joined(period.zone), report.thresholds, per_pool)


def test_a_centre_report_counted_in_sql_equals_the_call_by_call_count(year):
    period = PERIODS[0]
    with year.app_context(), database.session() as session:
        centre = next(c for c in directory.get(session, datetime(2026, 1, 5, tzinfo=UTC)).centres.values()
                      if c.slug == "3977-75")
        report = centre_report(session, centre, period)
        records = call_by_call(session, centre_where(centre.slug, period))
    assert report.calls == len(records) > 0
    assert report.heatmap == heatmap(records, period.zone)
    assert report.outcomes == outcome_counts(records)
    assert report.callers == caller_kind_counts(records)
    assert report.after_hours_email is None


def test_buckets_are_hours_where_the_zone_keeps_whole_hours_and_quarters_elsewhere():
    from zoneinfo import ZoneInfo

    start, end = datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
    assert bucket_seconds(ZoneInfo("Europe/Paris"), start, end) == HOUR
    assert bucket_seconds(ZoneInfo("Indian/Reunion"), start, end) == HOUR
    assert bucket_seconds(ZoneInfo("Asia/Kolkata"), start, end) == QUARTER
    assert bucket_seconds(ZoneInfo("Asia/Kathmandu"), start, end) == QUARTER


def test_the_report_indexes_come_and_go_with_their_migration(database_url):
    from alembic import command
    from sqlalchemy import create_engine, inspect

    from store.db import alembic_config, upgrade

    engine = create_engine(database_url)
    names = {"ix_call_line_id_started_at", "ix_call_line_id_caller_hash_started_at",
             "ix_queue_event_line_id_kind_at", "ix_queue_event_queued_caller_id_at", "ix_call_event_forward_call_id"}

    def present() -> set[str]:
        found = inspect(engine)
        return {i["name"] for table in ("call", "queue_event", "call_event") for i in found.get_indexes(table)} & names

    try:
        assert present() == names
        with engine.begin() as connection:
            config = alembic_config(database_url)
            config.attributes["connection"] = connection
            command.downgrade(config, "0007")
        assert present() == set()
        upgrade(engine)
        assert present() == names
    finally:
        engine.dispose()


def test_a_report_counted_by_one_worker_is_read_by_another_until_new_data_comes(year, database_url, clock):
    from console.reports.cache import remembered
    from store.calls import open_call
    from tests.conftest import make_test_app

    other_worker = make_test_app(database_url, clock)  # its own engine and memory, as another process has
    period, now = PERIODS[1], datetime(2026, 1, 5, tzinfo=UTC)
    key = ("line", "france-victimes", period)

    def count(app):
        with app.app_context(), database.session(read_only=True) as session:
            snapshot = directory.get(session, now)
            line = snapshot.lines_by_slug["france-victimes"]
            return line_report(session, snapshot, line, line_pools(line), period, 0.8, now)

    def never():
        raise AssertionError("the other worker should have read the figures, not counted them")

    with year.app_context(), database.session(read_only=True) as session:
        first = remembered(session, key, lambda: count(year), now)
    with other_worker.app_context(), database.session(read_only=True) as session:
        assert remembered(session, key, never, now) == first  # every field, the queue's MappingProxy too
    with other_worker.app_context(), database.session(read_only=True) as session:
        counted = []
        later = now + timedelta(seconds=61)
        assert remembered(session, key, lambda: counted.append(1) or count(other_worker), later) == first
        assert counted == [1]  # a minute on, counted again
    with year.app_context(), database.session() as session:
        snapshot = directory.get(session, now)
        open_call(session, "CA" + "f" * 32, datetime(2025, 3, 25, 10, tzinfo=UTC),
                  snapshot.line_ids["france-victimes"], "a-new-caller", False, "fr")
        session.commit()
    with other_worker.app_context(), database.session(read_only=True) as session:
        fresh = remembered(session, key, lambda: count(other_worker), now)
    assert fresh.traffic.calls == first.traffic.calls + 1
    assert fresh.traffic.callers["first_time"] == first.traffic.callers["first_time"] + 1
    with other_worker.app_context():
        database.engine.dispose()
