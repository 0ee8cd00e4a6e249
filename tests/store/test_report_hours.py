"""What the database keeps for reports (hourly totals, queued callers, forwards, first calls) stays equal to the
calls and events whatever changes them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, case, delete, func, insert, select, update

from console.overview import line_pools
from routing.traffic import caller_kind_counts, closed_counts, forward_targets, heatmap, outcome_counts
from store.extension import database, directory
from store.models import Call, CallEvent, ReportHour
from store.report_sql import HOUR, bucket
from store.reports import line_report, line_where
from tests.support.report_year import PERIODS, call_by_call

UTC = timezone.utc
NOW = datetime(2026, 1, 5, tzinfo=UTC)


def totals(session) -> dict:
    rows = session.execute(select(ReportHour.line_id, ReportHour.hour, ReportHour.outcome, ReportHour.closed_reason,
                                  ReportHour.calls, ReportHour.withheld, ReportHour.not_kept))
    found = {}
    for line_id, hour, outcome, reason, *counts in rows:
        assert min(counts) >= 0
        if counts[0]:
            found[line_id, hour, outcome, reason] = tuple(counts)
    return found


def recounted(session) -> dict:
    """The same totals counted from the calls themselves."""
    hour = bucket(session, Call.started_at, HOUR)
    rows = session.execute(select(
        Call.line_id, hour, func.coalesce(Call.outcome, ""), func.coalesce(Call.closed_reason, ""), func.count(),
        func.sum(case((Call.caller_withheld.is_(True), 1), else_=0)),
        func.sum(case((and_(Call.caller_withheld.is_(False), Call.caller_hash.is_(None)), 1), else_=0)),
    ).where(Call.line_id.is_not(None)).group_by(Call.line_id, hour, Call.outcome, Call.closed_reason))
    return {(line_id, h, outcome, reason): (calls, int(w), int(n)) for line_id, h, outcome, reason, calls, w, n in rows}


def test_the_hourly_totals_follow_calls_written_finished_moved_erased_and_deleted(year):
    period = PERIODS[0]
    with year.app_context(), database.session() as session:
        snapshot = directory.get(session, NOW)
        line_id = snapshot.line_ids["france-victimes"]
        other = next(i for slug, i in snapshot.line_ids.items() if slug != "france-victimes")
        assert totals(session) == recounted(session) != {}
        ids = session.scalars(select(Call.id).where(Call.line_id == line_id).order_by(Call.id).limit(60)).all()
        # An outcome written after the call began, a closed reason, a caller forgotten, a number withheld (no hash,
        # as the engine writes it)…
        session.execute(update(Call).where(Call.id.in_(ids[0:10])).values(outcome="ended_closed",
                                                                          closed_reason="holiday"))
        session.execute(update(Call).where(Call.id.in_(ids[10:20])).values(outcome=None, closed_reason=None))
        session.execute(update(Call).where(Call.id.in_(ids[20:30])).values(caller_hash=None))
        session.execute(update(Call).where(Call.id.in_(ids[30:35])).values(caller_withheld=True, caller_hash=None))
        # …a call moved to another hour and another line, one whose line was deleted, old calls deleted.
        session.execute(update(Call).where(Call.id == ids[35]).values(
            started_at=datetime(2025, 7, 14, 9, 30, tzinfo=UTC)))
        session.execute(update(Call).where(Call.id == ids[36]).values(line_id=other))
        session.execute(update(Call).where(Call.id == ids[37]).values(line_id=None))
        session.execute(update(Call).where(Call.id == ids[38]).values(status="completed", duration=12))
        session.execute(delete(Call).where(Call.id.in_(ids[40:60])))
        # Forwards: a call forwarded after its step was written, a later step, a step deleted, one retargeted.
        session.execute(update(Call).where(Call.id == ids[39]).values(outcome="forwarded"))
        forwarded = session.scalars(select(Call.id).where(Call.line_id == line_id, Call.outcome == "forwarded")
                                    .order_by(Call.id).limit(3)).all()
        session.execute(insert(CallEvent.__table__), [
            {"call_id": ids[39], "at": NOW, "kind": "forward", "detail": "forward to a new target"},
            {"call_id": forwarded[0], "at": NOW, "kind": "forward", "detail": "forward to a new target"}])
        session.execute(delete(CallEvent).where(CallEvent.call_id == forwarded[1], CallEvent.kind == "forward"))
        session.execute(update(CallEvent).where(CallEvent.call_id == forwarded[2], CallEvent.kind == "forward")
                        .values(detail="forward to another target"))
        session.commit()
    with year.app_context(), database.session() as session:
        assert totals(session) == recounted(session)
        line = snapshot.lines_by_slug["france-victimes"]
        traffic = line_report(session, snapshot, line, line_pools(line), period, 0.8, NOW).traffic
        records = call_by_call(session, line_where(line_id, period))
    assert traffic.calls == len(records)
    assert traffic.heatmap == heatmap(records, period.zone)
    assert traffic.outcomes == outcome_counts(records)
    assert traffic.closed == closed_counts(records)
    assert traffic.callers == caller_kind_counts(records)
    assert list(traffic.forwards.items()) == list(forward_targets(records).items())
    assert {"a new target", "another target"} <= set(traffic.forwards)


def test_the_migration_counts_the_calls_already_there_and_goes_away_cleanly(year, database_url):
    from alembic import command
    from sqlalchemy import create_engine, inspect

    from store.db import alembic_config, upgrade

    with year.app_context():
        with database.session() as session:
            before = totals(session)
        database.engine.dispose()
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            config = alembic_config(database_url)
            config.attributes["connection"] = connection
            command.downgrade(config, "0011")
        assert "report_hour" not in inspect(engine).get_table_names()
        with engine.begin() as connection:  # written while no trigger counts: the migration must count it
            connection.execute(update(Call).where(Call.outcome.is_(None)).values(outcome="marked-while-untracked"))
        upgrade(engine)
        with year.app_context(), database.session() as session:
            after = totals(session)
            assert after == recounted(session) != before
            session.execute(update(Call).where(Call.outcome == "marked-while-untracked").values(outcome=None))
            session.commit()
            assert totals(session) == recounted(session) == before
    finally:
        engine.dispose()


def test_the_queued_callers_summed_up_follow_their_events_written_changed_and_deleted(year):
    from routing.metrics import caller_records, tally
    from store.metrics import period_events, pool_thresholds
    from store.models import QueueEvent

    period = PERIODS[1]
    with year.app_context(), database.session() as session:
        snapshot = directory.get(session, NOW)
        line = snapshot.lines_by_slug["france-victimes"]
        line_id = snapshot.line_ids[line.slug]
        ids = session.scalars(select(QueueEvent.id).where(
            QueueEvent.line_id == line_id, QueueEvent.at >= period.start, QueueEvent.at < period.end)
            .order_by(QueueEvent.id).limit(80)).all()
        # A wait corrected, an outcome turned into another, events gone, a join moved out of the period…
        session.execute(update(QueueEvent).where(QueueEvent.id.in_(ids[0:10])).values(wait_seconds=7))
        session.execute(update(QueueEvent).where(QueueEvent.id.in_(ids[10:20]), QueueEvent.kind == "bridged")
                        .values(kind="abandoned"))
        session.execute(delete(QueueEvent).where(QueueEvent.id.in_(ids[20:40])))
        session.execute(update(QueueEvent).where(QueueEvent.id.in_(ids[40:50]), QueueEvent.kind == "joined")
                        .values(at=period.end + timedelta(hours=1)))
        # …and a join on another line, events of a caller that leave its queue caller.
        session.execute(update(QueueEvent).where(QueueEvent.id.in_(ids[50:60]), QueueEvent.kind == "joined")
                        .values(line_id=next(i for s, i in snapshot.line_ids.items() if s != line.slug)))
        session.execute(update(QueueEvent).where(QueueEvent.id.in_(ids[60:70])).values(queued_caller_id=None))
        session.commit()
    with year.app_context(), database.session() as session:
        report = line_report(session, snapshot, line, line_pools(line), period, 0.8, NOW)
        events = period_events(session, period.start, period.end, snapshot, line_slug=line.slug)
        per_pool = pool_thresholds(snapshot, {e.pool for e in events})
    assert report.queue == tally(caller_records(events), report.thresholds, per_pool)
    assert report.queue.offered > 0
