"""A generated year of calls with the edge cases random history rarely holds, and the call-by-call count the
reports' SQL is checked against: shared by the report tests (the `year` fixture is in tests/store/conftest.py)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, insert, select

from benchmarks.history import History
from routing.traffic import CallRecord, caller_kind
from store.extension import database, directory
from store.models import Call, CallEvent, QueuedCaller, QueueEvent
from store.reports import Period

UTC = timezone.utc


def call_by_call(session, where) -> list[CallRecord]:
    """Each call as the reports counted them before the database did: first-time or repeat from every earlier
    call of the keyed number on the line, the last "forward to" step's target."""
    rows = session.execute(select(Call.id, Call.line_id, Call.started_at, Call.outcome, Call.closed_reason,
                                  Call.caller_withheld, Call.caller_hash).where(*where)
                           .order_by(Call.started_at, Call.id)).all()
    targets = dict(session.execute(select(CallEvent.call_id, CallEvent.detail).where(
        CallEvent.call_id.in_([r.id for r in rows]), CallEvent.kind == "forward").order_by(CallEvent.id)).all())
    records, seen = [], set()
    for row in rows:
        key = (row.line_id, row.caller_hash)
        before = row.caller_hash is not None and (key in seen or session.scalar(select(func.count()).where(
            Call.line_id == row.line_id, Call.caller_hash == row.caller_hash, Call.started_at < row.started_at)) > 0)
        seen.add(key)
        target = targets.get(row.id)
        records.append(CallRecord(row.started_at, row.outcome, row.closed_reason,
                                  caller_kind(row.caller_withheld, row.caller_hash is not None, before),
                                  target.removeprefix("forward to ") if target is not None else None))
    return records


def add_edge_cases(session, line_id: int, day: date) -> None:
    """What random history rarely holds: same-instant first calls, a forward without its step, two forward
    steps, an outcome without a wait at fractional instants, a second outcome, events before the period."""
    noon = datetime(day.year, day.month, day.day, 11, 0, tzinfo=UTC)
    ids = []
    for n, (offset, outcome, caller) in enumerate([(0, "answered", "edge-a"), (0, None, "edge-a"),
                                                   (60, "forwarded", "edge-b"), (120, "forwarded", "edge-c")]):
        ids.append(session.execute(insert(Call.__table__).returning(Call.__table__.c.id), {
            "sid": f"CAedge{n:028d}", "line_id": line_id, "caller_hash": caller, "caller_withheld": False,
            "started_at": noon + timedelta(seconds=offset), "status": "completed", "outcome": outcome}).scalar())
    session.execute(insert(CallEvent.__table__), [
        {"call_id": ids[3], "at": noon, "kind": "forward", "detail": "forward to 107"},
        {"call_id": ids[3], "at": noon, "kind": "forward", "detail": "forward to la plateforme d'écoute"}])
    caller = session.execute(insert(QueuedCaller.__table__).returning(QueuedCaller.__table__.c.id), {
        "call_sid": "CAedge" + "9" * 28, "call_id": ids[0], "line_id": line_id, "pool": "france-victimes",
        "status": "ended", "enqueued_at": noon, "language": "fr", "resume_query": ""}).scalar()
    joined = noon + timedelta(microseconds=900_000)
    session.execute(insert(QueueEvent.__table__), [
        {"pool": "france-victimes", "line_id": line_id, "queued_caller_id": caller, "at": at, "kind": kind,
         "wait_seconds": wait, "detail": ""}
        for at, kind, wait in [(noon - timedelta(minutes=3), "offered", 0), (joined, "joined", None),
                               (noon + timedelta(seconds=5, microseconds=100_000), "bridged", None),
                               (noon + timedelta(seconds=9), "abandoned", 9), (noon + timedelta(seconds=30), "talk", 20)]])
    # A caller who joined twice (two pools) and has two outcomes at the same instant (the first by id counts).
    twice = session.execute(insert(QueuedCaller.__table__).returning(QueuedCaller.__table__.c.id), {
        "call_sid": "CAedge" + "8" * 28, "call_id": ids[2], "line_id": line_id, "pool": "france-victimes",
        "status": "ended", "enqueued_at": noon, "language": "fr", "resume_query": ""}).scalar()
    session.execute(insert(QueueEvent.__table__), [
        {"pool": pool, "line_id": line_id, "queued_caller_id": twice, "at": at, "kind": kind,
         "wait_seconds": wait, "detail": ""}
        for at, kind, wait, pool in [(noon + timedelta(seconds=40), "joined", None, "evc"),
                                     (noon + timedelta(seconds=41), "joined", None, "france-victimes"),
                                     (noon + timedelta(seconds=99), "left_max_wait", 59, "evc"),
                                     (noon + timedelta(seconds=99), "bridged", 58, "evc")]])


def load_year(app):
    """A generated year of calls (2025) with the edge cases, on ``app``'s database."""
    with app.app_context():
        History(database.engine, 2025, 3000, seed=5).load()
        with database.session() as session:
            snapshot = directory.get(session, datetime(2026, 1, 5, tzinfo=UTC))
            add_edge_cases(session, snapshot.line_ids["france-victimes"], date(2025, 3, 25))
            session.commit()
    return app


PERIODS = [Period(date(2025, 1, 1), date(2025, 12, 31), "Europe/Paris"),  # both clock changes
           Period(date(2025, 3, 20), date(2025, 4, 10), "Europe/Paris"),  # repeat callers from before it
           Period(date(2025, 3, 20), date(2025, 4, 10), "Asia/Kolkata")]  # a zone a half-hour off UTC
