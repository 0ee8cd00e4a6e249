"""Lines and centres in the database: loading documents atomically, exporting them, and a per-worker cache."""

from __future__ import annotations

import threading
import time as clock
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from directory_data.build import build_centre, build_line, build_override
from directory_data.fields import WEEKDAYS, format_shift
from directory_data.loader import DirectoryFiles
from routing.chain import CentreIndex
from routing.model import Centre, Line
from store.models import (
    CentreDepartment,
    CentreRow,
    ClosureRow,
    DirectoryRevision,
    LineNumber,
    LineRow,
    OverflowRuleRow,
    OverrideRow,
    ScheduleRow,
    WeeklyShift,
)

# Parts of a line's document that live in their own tables; the rest is kept in LineRow.settings.
NORMALISED_KEYS = {"id", "name", "country", "display_number", "language", "timezone", "numbers", "hours",
                   "holidays", "closures", "overflow", "source_file"}  # fmt: skip


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # in the database, not in the files, not pruned


def bump_revision(session: Session, now: datetime | None = None) -> int:
    row = session.get(DirectoryRevision, 1, with_for_update=True)
    if row is None:
        row = DirectoryRevision(id=1, revision=0)
        session.add(row)
    row.revision += 1
    row.updated_at = now or datetime.now(timezone.utc)
    session.flush()
    return row.revision


def current_revision(session: Session) -> int:
    return session.scalar(select(DirectoryRevision.revision).where(DirectoryRevision.id == 1)) or 0


def load_documents(session: Session, files: DirectoryFiles, prune: bool = False) -> LoadReport:
    """Make the database hold exactly these lines and centres; the caller commits (all or nothing)."""
    report = LoadReport()
    lines = {row.slug: row for row in session.scalars(_lines_query())}
    for doc in files.lines:
        row = lines.pop(doc["id"], None)
        if row is None:
            row = LineRow(slug=doc["id"], schedule=ScheduleRow(timezone=doc["timezone"]))
            session.add(row)
            report.created.append(f"line {doc['id']}")
        elif line_document(row) == _comparable(doc):
            report.unchanged.append(f"line {doc['id']}")
            continue
        else:
            report.updated.append(f"line {doc['id']}")
        _write_line(session, row, doc)
    for slug, row in lines.items():
        if prune:
            session.delete(row)
            report.removed.append(f"line {slug}")
        else:
            report.kept.append(f"line {slug}")
    session.flush()

    centres = {row.slug: row for row in session.scalars(_centres_query())}
    for doc in files.centres:
        row = centres.pop(doc["id"], None)
        if row is None:
            row = CentreRow(slug=doc["id"], schedule=ScheduleRow(timezone=doc["timezone"]))
            session.add(row)
            report.created.append(f"centre {doc['id']}")
        elif centre_document(row) == doc:
            report.unchanged.append(f"centre {doc['id']}")
            continue
        else:
            report.updated.append(f"centre {doc['id']}")
        _write_centre(session, row, doc)
    for slug, row in centres.items():
        if prune:
            session.delete(row)
            report.removed.append(f"centre {slug}")
        else:
            report.kept.append(f"centre {slug}")
    if report.created or report.updated or report.removed:
        bump_revision(session)
    session.flush()
    return report


def _comparable(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "source_file"}


def _write_schedule(session: Session, schedule: ScheduleRow, doc: dict[str, Any]) -> None:
    schedule.timezone = doc["timezone"]
    holidays = doc.get("holidays")
    schedule.holiday_country = holidays["country"] if holidays else None
    schedule.holiday_subdivision = holidays.get("subdivision") if holidays else None
    schedule.closes_on_holidays = bool(holidays and holidays.get("closes", True))
    schedule.shifts.clear()
    schedule.closures.clear()
    session.flush()  # delete the old shifts before inserting new ones
    for day, ranges in doc["hours"].items():
        for text in ranges:
            start, _, end = text.partition("-")
            schedule.shifts.append(
                WeeklyShift(weekday=WEEKDAYS.index(day), starts=_time(start), ends=_time(end))
            )
    for closure in doc.get("closures", []):
        schedule.closures.append(
            ClosureRow(
                starts_at=datetime.fromisoformat(closure["from"]),
                ends_at=datetime.fromisoformat(closure["to"]),
                reason=closure["reason"],
            )
        )


def _time(text: str):
    from datetime import time

    hours, minutes = (int(part) for part in text.split(":"))
    return time(0, 0) if hours == 24 else time(hours, minutes)


def _write_line(session: Session, row: LineRow, doc: dict[str, Any]) -> None:
    row.name = doc["name"]
    row.country = doc["country"]
    row.display_number = doc["display_number"]
    row.language = doc["language"]
    row.source_file = doc.get("source_file")
    row.settings = {k: v for k, v in doc.items() if k not in NORMALISED_KEYS}
    _write_schedule(session, row.schedule, doc)
    row.numbers.clear()
    row.rules.clear()
    session.flush()
    for position, number in enumerate(doc["numbers"]):
        row.numbers.append(LineNumber(e164=number, position=position))
    for position, rule in enumerate(doc["overflow"]):
        options = {k: v for k, v in rule.items() if k not in ("when", "action")}
        row.rules.append(
            OverflowRuleRow(position=position, conditions=list(rule["when"]), action=rule["action"], options=options)
        )


def _write_centre(session: Session, row: CentreRow, doc: dict[str, Any]) -> None:
    row.name = doc["name"]
    row.network = doc["network"]
    row.number = doc["number"]
    row.display_number = doc["display_number"]
    row.fictitious = doc["fictitious"]
    _write_schedule(session, row.schedule, doc)
    row.departments.clear()
    session.flush()
    for code in doc["departments"]:
        row.departments.append(CentreDepartment(network=doc["network"], department=code))


def _schedule_document(schedule: ScheduleRow) -> dict[str, Any]:
    hours: dict[str, list[str]] = {}
    for shift in schedule.shifts:
        hours.setdefault(WEEKDAYS[shift.weekday], []).append(format_shift(shift.starts, shift.ends))
    holidays = None
    if schedule.holiday_country:
        holidays = {
            "country": schedule.holiday_country,
            "subdivision": schedule.holiday_subdivision,
            "closes": schedule.closes_on_holidays,
        }
    tz = schedule.timezone
    return {
        "timezone": tz,
        "hours": {day: sorted(hours[day]) for day in WEEKDAYS if day in hours},
        "holidays": holidays,
        "closures": [
            {"from": _local_iso(c.starts_at, tz), "to": _local_iso(c.ends_at, tz), "reason": c.reason}
            for c in schedule.closures
        ],
    }


def _local_iso(moment: datetime, tz: str) -> str:
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo(tz)).isoformat()


def line_document(row: LineRow) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": row.slug,
        "name": row.name,
        "country": row.country,
        "numbers": [n.e164 for n in row.numbers],
        "display_number": row.display_number,
        "language": row.language,
        **_schedule_document(row.schedule),
        "overflow": [{"when": list(r.conditions), "action": r.action, **r.options} for r in row.rules],
    }
    doc.update(row.settings or {})
    return doc


def centre_document(row: CentreRow) -> dict[str, Any]:
    return {
        "id": row.slug,
        "name": row.name,
        "network": row.network,
        "departments": [d.department for d in row.departments],
        "number": row.number,
        "display_number": row.display_number,
        **_schedule_document(row.schedule),
        "fictitious": row.fictitious,
    }


def _schedule_options():
    return (
        selectinload(ScheduleRow.shifts),
        selectinload(ScheduleRow.closures),
        selectinload(ScheduleRow.overrides),
    )


def _lines_query():
    return select(LineRow).options(
        selectinload(LineRow.schedule).options(*_schedule_options()),
        selectinload(LineRow.numbers),
        selectinload(LineRow.rules),
    )


def _centres_query():
    return select(CentreRow).options(
        selectinload(CentreRow.schedule).options(*_schedule_options()),
        selectinload(CentreRow.departments),
    )


def export_documents(session: Session) -> DirectoryFiles:
    lines = []
    for row in session.scalars(_lines_query().order_by(LineRow.slug)):
        doc = line_document(row)
        doc["source_file"] = row.source_file or f"{row.slug}.yaml"
        lines.append(doc)
    centres = [centre_document(row) for row in session.scalars(_centres_query().order_by(CentreRow.slug))]
    return DirectoryFiles(lines, centres)


def _overrides(schedule: ScheduleRow, now: datetime):
    return [
        build_override(o.mode, o.starts_at, o.until, o.reason)
        for o in schedule.overrides
        if o.until is None or o.until > now
    ]


@dataclass(frozen=True)
class Snapshot:
    """Every line and centre as routing objects, built once per directory revision."""

    revision: int
    lines_by_number: dict[str, Line]
    lines_by_slug: dict[str, Line]
    line_ids: dict[str, int]
    centres: CentreIndex

    def line_for(self, number: str | None) -> Line | None:
        return self.lines_by_number.get(number or "")


def build_snapshot(session: Session, now: datetime) -> Snapshot:
    revision = current_revision(session)
    by_number: dict[str, Line] = {}
    by_slug: dict[str, Line] = {}
    ids: dict[str, int] = {}
    for row in session.scalars(_lines_query()):
        line = build_line(line_document(row), _overrides(row.schedule, now))
        by_slug[line.slug] = line
        ids[line.slug] = row.id
        for number in line.numbers:
            by_number[number] = line
    centres: dict[tuple[str, str], Centre] = {}
    for row in session.scalars(_centres_query()):
        centre = build_centre(centre_document(row), _overrides(row.schedule, now))
        for code in centre.departments:
            centres[(centre.network, code)] = centre
    return Snapshot(revision, by_number, by_slug, ids, centres)


class DirectoryCache:
    """Each worker keeps one snapshot and rebuilds it when the revision counter moves."""

    def __init__(self, check_seconds: float = 0.0):
        self.check_seconds = check_seconds
        self._snapshot: Snapshot | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()

    def get(self, session: Session, now: datetime) -> Snapshot:
        snapshot = self._snapshot
        monotonic = clock.monotonic()
        if snapshot is not None and monotonic - self._checked_at < self.check_seconds:
            return snapshot
        revision = current_revision(session)
        if snapshot is not None and snapshot.revision == revision:
            self._checked_at = monotonic
            return snapshot
        with self._lock:
            if self._snapshot is None or self._snapshot.revision != revision:
                self._snapshot = build_snapshot(session, now)
            self._checked_at = monotonic
            return self._snapshot

    def peek(self) -> Snapshot | None:
        """The last snapshot, whatever its age: for answering a caller while the database is down."""
        return self._snapshot

    def invalidate(self) -> None:
        self._snapshot = None
