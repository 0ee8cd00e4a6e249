"""A realistic year of history loaded through the project's models in bulk: calls, their steps, queue events.

    python benchmarks/history.py --database-url postgresql+psycopg://root@127.0.0.1:5432/NAME [--calls 1000000]

The database must exist, migrated, with the directory loaded (``helpline db upgrade``, ``helpline directory
load``); the year (``--year``, 2025 by default) must hold no call yet. Shape, per 1,000,000 calls: 55 % on
France Victimes (the largest line: 550,000), the rest spread over the other lines; calls follow the hours of a
helpline (most between 9h and 21h, fewer at weekends); 62 % of callers call once in the year, 22 % are among a
pool of repeat callers, 10 % withheld, 6 % not kept; about 2.25 steps a call (decision, forward or hand-off,
dial or queue result) and, for the calls queued while open, joined / offered / missed / outcome / talk queue
events (about 1.18 million). Rows go in by 20,000 on the models' tables: COPY on PostgreSQL, executemany INSERTs elsewhere.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, func, insert, select  # noqa: E402

from store.models import Call, CallEvent, LineRow, QueuedCaller, QueueEvent  # noqa: E402

CHUNK = 20_000
LARGEST = ("france-victimes", 0.55)
# Relative weight of each local hour of the day (a helpline's day: morning and early-evening peaks).
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 1, 2, 4, 8, 12, 13, 12, 10, 11, 12, 12, 11, 10, 9, 8, 7, 5, 3, 2]
WEEKEND_SHARE = 0.6  # a weekend day gets 60 % of a weekday's calls
QUEUE_OUTCOMES = (("bridged", 0.74), ("abandoned", 0.18), ("left_max_wait", 0.04), ("moved_on", 0.03),
                  ("left_key", 0.01))


KEPT_BY_TRIGGERS = ("call", "call_event", "queue_event")
KEPT_ROWS = ("report_hour", "report_queue_caller", "report_call_forward", "report_caller_first")


def _kept_rows_migration():
    """Migration 0012's module (its file name starts with a digit: loaded by path)."""
    import importlib.util

    path = Path(__file__).resolve().parent.parent / "store/migrations/versions/0012_report_kept_rows.py"
    spec = importlib.util.spec_from_file_location("kept_rows_0012", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _hash(number: int) -> str:
    return hashlib.sha256(f"history-caller-{number}".encode()).hexdigest()


def _open(local: datetime) -> bool:
    """A typical line's hours, close enough for the shape of the data: every day 9h-21h."""
    return 9 <= local.hour < 21


class History:
    def __init__(self, engine: Engine, year: int, calls: int, seed: int):
        self.engine, self.year, self.total, self.random = engine, year, calls, random.Random(seed)
        self.run = f"{seed:04x}"[-4:]
        self.counts = {"call": 0, "call_event": 0, "queued_caller": 0, "queue_event": 0}
        with engine.connect() as connection:
            self.lines = dict(connection.execute(select(LineRow.slug, LineRow.id)).all())
            self.next_id = {table: (connection.scalar(select(func.max(model.id))) or 0) + 1
                            for table, model in (("call", Call), ("queued_caller", QueuedCaller))}
        if LARGEST[0] not in self.lines:
            raise SystemExit(f"no line {LARGEST[0]!r}: load the shipped directory first")
        self.repeaters = [_hash(-n) for n in range(max(50, calls // 40))]
        self.pending = {"call": [], "call_event": [], "queued_caller": [], "queue_event": []}

    def _line_plan(self) -> list[tuple[str, int, ZoneInfo]]:
        others = sorted(slug for slug in self.lines if slug != LARGEST[0])
        largest = int(self.total * LARGEST[1])
        share = (self.total - largest) // max(1, len(others))
        plan = [(LARGEST[0], largest)] + [(slug, share) for slug in others]
        zones = {"ecoute-violences-conjugales": ZoneInfo("Europe/Brussels")}
        return [(slug, count, zones.get(slug, ZoneInfo("Europe/Paris"))) for slug, count in plan]

    def _instants(self, count: int, zone: ZoneInfo) -> list[datetime]:
        days = [date(self.year, 1, 1) + timedelta(days=n) for n in range((date(self.year + 1, 1, 1)
                                                                          - date(self.year, 1, 1)).days)]
        day_weights = [WEEKEND_SHARE if day.weekday() >= 5 else 1.0 for day in days]
        picked_days = self.random.choices(days, day_weights, k=count)
        hours = self.random.choices(range(24), HOUR_WEIGHTS, k=count)
        instants = []
        for day, hour in zip(picked_days, hours):
            local = datetime(day.year, day.month, day.day, hour, tzinfo=zone) + timedelta(
                seconds=self.random.randrange(3600), microseconds=self.random.randrange(1_000_000))
            instants.append(local.astimezone(timezone.utc))
        instants.sort()
        return instants

    def load(self) -> dict[str, int]:
        """The year's rows. On PostgreSQL the report triggers (migration 0012) are off during the COPY and the
        kept rows are counted again from everything at the end, as the migration fills them: fired row by row,
        the triggers made a 1 M-call load run for hours."""
        if self.engine.dialect.name != "postgresql":
            return self._load()
        with self.engine.begin() as connection:
            for table in KEPT_BY_TRIGGERS:
                connection.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        try:
            counts = self._load()
            with self.engine.begin() as connection:
                connection.exec_driver_sql(f"TRUNCATE {', '.join(KEPT_ROWS)}")
                for statement in _kept_rows_migration().fill_kept_rows("postgresql"):
                    connection.exec_driver_sql(statement)
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                # Fresh statistics for the planner, as autovacuum would give them some minutes later.
                connection.exec_driver_sql(f"ANALYZE {', '.join(KEPT_BY_TRIGGERS + KEPT_ROWS)}")
        finally:
            with self.engine.begin() as connection:
                for table in KEPT_BY_TRIGGERS:
                    connection.exec_driver_sql(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        return counts

    def _load(self) -> dict[str, int]:
        new_callers = 0
        for slug, count, zone in self._line_plan():
            line_id = self.lines[slug]
            for started in self._instants(count, zone):
                kind = self.random.random()
                if kind < 0.62:
                    new_callers += 1
                    caller, withheld = _hash(new_callers), False
                elif kind < 0.84:
                    caller, withheld = self.random.choice(self.repeaters), False
                elif kind < 0.94:
                    caller, withheld = None, True
                else:
                    caller, withheld = None, False  # refused a callback: the keyed number was dropped
                self._call(slug, line_id, started, started.astimezone(zone), caller, withheld)
                if len(self.pending["queue_event"]) >= CHUNK or len(self.pending["call_event"]) >= CHUNK:
                    self._flush()
        self._flush()
        if self.engine.dialect.name == "postgresql":  # ids were given: move the sequences past them
            with self.engine.begin() as connection:
                for table in ("call", "queued_caller"):
                    connection.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        return self.counts

    def _call(self, slug, line_id, started, local, caller, withheld) -> None:
        call_id = self.next_id["call"]
        self.next_id["call"] += 1
        is_open, roll = _open(local), self.random.random()
        steps = [("decision", "open" if is_open else "closed: outside_hours")]
        closed_reason = None if is_open else "outside_hours"
        if not is_open:
            outcome = "ended_closed" if roll < 0.8 else None
            if slug == "3977" and roll < 0.3:
                outcome = "handed_off"
                department = self.random.choice(["75", "13", "94"])
                steps.append(("handoff", f"centre 3977-{department}, department {department}"))
        elif roll < 0.38:
            outcome = self._queue(call_id, line_id, slug, started)
            steps.append(("queue_result", outcome or ""))
        elif roll < 0.60:
            outcome = "forwarded"
            steps.append(("forward", self.random.choice(["forward to la plateforme d'écoute", "forward to 107"])))
            steps.append(("dial_completed", "completed"))
        elif roll < 0.72:
            outcome = "menu_information"
        else:
            outcome = None  # hung up during the greeting or the menu
        if self.random.random() < 0.55:
            steps.append(("department", "75"))
        self.pending["call"].append({
            "id": call_id, "sid": f"CA{self.run}{call_id:028x}", "line_id": line_id, "caller_hash": caller,
            "caller_withheld": withheld, "started_at": started, "ended_at": started + timedelta(minutes=5),
            "duration": 300, "status": "completed", "outcome": outcome, "closed_reason": closed_reason,
            "language": "fr"})
        for offset, (kind, detail) in enumerate(steps):
            self.pending["call_event"].append({"call_id": call_id, "at": started + timedelta(seconds=offset),
                                               "kind": kind, "rule_index": offset, "detail": detail})

    def _queue(self, call_id, line_id, slug, started) -> str | None:
        caller_id = self.next_id["queued_caller"]
        self.next_id["queued_caller"] += 1
        result = self.random.choices([k for k, _ in QUEUE_OUTCOMES], [w for _, w in QUEUE_OUTCOMES])[0]
        wait = int(self.random.expovariate(1 / 45))
        self.pending["queued_caller"].append({
            "id": caller_id, "call_sid": f"CA{self.run}{call_id:028x}", "call_id": call_id, "line_id": line_id,
            "pool": slug, "status": "ended", "enqueued_at": started, "ended_at": started + timedelta(seconds=wait),
            "language": "fr"})

        def event(kind: str, after: int, seconds: int | None) -> None:
            self.pending["queue_event"].append({
                "pool": slug, "line_id": line_id, "queued_caller_id": caller_id, "listener_id": None,
                "at": started + timedelta(seconds=after), "kind": kind, "wait_seconds": seconds, "detail": ""})

        event("joined", 0, None)
        if result == "bridged" or self.random.random() < 0.3:
            event("offered", max(0, wait - 20), max(0, wait - 20))
            if self.random.random() < 0.12:
                event("missed", max(0, wait - 5), max(0, wait - 5))
        event(result, wait, wait if self.random.random() < 0.97 else None)  # a few outcomes without a wait
        if result == "bridged":
            event("talk", wait + 600, int(self.random.expovariate(1 / 540)))
        return {"bridged": "answered", "abandoned": "abandoned"}.get(result, "ended")

    def _flush(self) -> None:
        tables = (("call", Call), ("call_event", CallEvent), ("queued_caller", QueuedCaller),
                  ("queue_event", QueueEvent))
        with self.engine.begin() as connection:
            for name, model in tables:  # parents first: the foreign keys hold at every statement
                rows = self.pending[name]
                if rows and connection.dialect.name == "postgresql":
                    _copy(connection, model, rows)  # ten times the rows a second of an INSERT
                else:
                    for start in range(0, len(rows), CHUNK):
                        connection.execute(insert(model.__table__), rows[start:start + CHUNK])
                self.counts[name] += len(rows)
                rows.clear()


def _copy(connection, model, rows: list[dict]) -> None:
    """PostgreSQL's COPY into the model's table, its columns as the model names them (defaults filled in)."""
    columns = [column for column in model.__table__.columns if column.name in rows[0]
               or column.default is not None]
    defaults = {column.name: column.default.arg for column in columns
                if column.name not in rows[0] and column.default is not None and column.default.is_scalar}
    names = [column.name for column in columns if column.name in rows[0] or column.name in defaults]
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {model.__tablename__} ({', '.join(names)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[name] if name in row else defaults[name] for name in names])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    if not 1_000 <= args.calls <= 3_000_000:
        parser.error("keep it bounded: 1,000 to 3,000,000 calls")
    from sqlalchemy import create_engine

    engine = create_engine(args.database_url)
    started = time.monotonic()
    counts = History(engine, args.year, args.calls, args.seed).load()
    elapsed = time.monotonic() - started
    print(f"history: {counts['call']:,} calls, {counts['call_event']:,} call events, {counts['queued_caller']:,} "
          f"queued callers, {counts['queue_event']:,} queue events in {elapsed:.0f} s "
          f"({sum(counts.values()) / elapsed:,.0f} rows/s)")


if __name__ == "__main__":
    main()
