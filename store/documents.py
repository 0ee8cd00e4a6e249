"""Rows to canonical documents and back out to files: what the database holds, as the files would say it."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, selectinload
from sqlalchemy import select

from directory_data.opening import WEEKDAYS, format_shift
from directory_data.loader import DirectoryFiles
from store.associations import export_associations
from store.models import CentreRow, LineRow, ScheduleRow


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


def lines_query():
    return select(LineRow).options(
        selectinload(LineRow.schedule).options(*_schedule_options()),
        selectinload(LineRow.numbers),
        selectinload(LineRow.rules),
    )


def centres_query():
    return select(CentreRow).options(
        selectinload(CentreRow.schedule).options(*_schedule_options()),
        selectinload(CentreRow.departments),
    )


def export_documents(session: Session) -> DirectoryFiles:
    lines = []
    for row in session.scalars(lines_query().order_by(LineRow.slug)):
        doc = line_document(row)
        doc["source_file"] = row.source_file or f"{row.slug}.yaml"
        lines.append(doc)
    # In the order they were first loaded, so an export of the shipped file reads like it.
    centres = [centre_document(row) for row in session.scalars(centres_query().order_by(CentreRow.id))]
    associations, service_numbers = export_associations(session)
    return DirectoryFiles(lines, centres, associations=associations, service_numbers=service_numbers)
