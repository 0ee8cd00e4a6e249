"""Lines and centres in the database: loading canonical documents atomically, idempotently."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from directory_data.opening import WEEKDAYS
from directory_data.loader import DirectoryError, DirectoryFiles
from directory_data.problems import Problem
from store.associations import load_associations, load_service_numbers
from store import direct
from store.audit import COMMAND_LINE
from store.documents import centre_document, centres_query, line_document, lines_query
from store.models import (
    CentreDepartment,
    CentreRow,
    ClosureRow,
    DirectoryRevision,
    LineNumber,
    LineRow,
    OverflowRuleRow,
    ScheduleRow,
    WeeklyShift,
)
from store.revisions import BEFORE_HISTORY, Change, note, note_unrecorded, row_text

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


# Asked by every worker every few seconds (DIRECTORY_CHECK_SECONDS), on a caller's webhook: on a first webhook's
# PostgreSQL connection it goes straight to the driver, outside any transaction (store/direct.py), so that the call
# it falls on keeps its record-only write instead of a transaction of three more round trips.
CURRENT_REVISION = direct.DirectStatement(select(DirectoryRevision.revision).where(DirectoryRevision.id == 1), ())


def current_revision(session: Session) -> int:
    found = direct.rows(session, CURRENT_REVISION, {})
    return (found[0][0] if found else 0) or 0


def load_documents(session: Session, files: DirectoryFiles, prune: bool = False,
                   now: datetime | None = None, change: Change | None = None) -> LoadReport:
    """Make the database hold exactly these lines and centres; the caller commits (all or nothing).

    Each line or centre it changes gets a new version in its history, made by ``change`` (a load from the
    command line unless told otherwise)."""
    now = now or datetime.now(timezone.utc)
    change = change or Change(COMMAND_LINE, "load")
    report = LoadReport()
    lines = {row.slug: row for row in session.scalars(lines_query())}
    centres = {row.slug: row for row in session.scalars(centres_query())}
    line_writes, gone_lines = _sort_out("line", lines, files.lines, _line_unchanged, prune, report)
    centre_writes, gone_centres = _sort_out("centre", centres, files.centres, _centre_unchanged, prune, report)
    if not prune:
        _refuse_clashes_with_kept(files, gone_lines, gone_centres)
    before = _texts_before(line_writes, centre_writes)
    _free_what_may_move(line_writes, centre_writes)
    for row in (gone_lines + gone_centres) if prune else ():
        session.delete(row)
    session.flush()
    _write_rows(session, LineRow, line_writes, _write_line)
    _write_rows(session, CentreRow, centre_writes, _write_centre)
    load_associations(session, files.associations, prune, report)
    load_service_numbers(session, files.service_numbers, prune, report)
    if report.created or report.updated or report.removed:
        bump_revision(session, now)
    session.flush()
    _note_versions(session, line_writes, centre_writes, gone_lines + gone_centres if prune else [], before,
                   lines, centres, change, now)
    return report


def _texts_before(line_writes: list, centre_writes: list) -> dict[tuple[str, str], str]:
    """The text of each existing line and centre about to be rewritten, for its version history."""
    before = {("line", row.slug): row_text("line", row) for row, _ in line_writes if row is not None}
    before.update({("centre", row.slug): row_text("centre", row) for row, _ in centre_writes if row is not None})
    return before


def _free_what_may_move(line_writes: list, centre_writes: list) -> None:
    """Free every number and département that may move before writing any: a line written early in the
    load may take over a number that a line written later (or a pruned one) gives up."""
    for row, _ in line_writes:
        if row is not None:
            row.numbers.clear()
    for row, _ in centre_writes:
        if row is not None:
            row.departments.clear()


def _write_rows(session: Session, model: type[LineRow] | type[CentreRow], writes: list, write) -> None:
    """Write each document onto its row, making the row (and its schedule) for a new one."""
    for row, doc in writes:
        if row is None:
            row = model(slug=doc["id"], schedule=ScheduleRow(timezone=doc["timezone"]))
            session.add(row)
        write(session, row, doc)


def _kind(row: LineRow | CentreRow) -> str:
    return "line" if isinstance(row, LineRow) else "centre"


def _note_versions(session: Session, line_writes: list, centre_writes: list, gone: list[LineRow | CentreRow],
                   before: dict[tuple[str, str], str], lines: dict[str, LineRow], centres: dict[str, CentreRow],
                   change: Change, now: datetime) -> None:
    """A version for each line and centre written or deleted; a first one for those with no history yet."""
    written = set()
    for kind, model, writes in (("line", LineRow, line_writes), ("centre", CentreRow, centre_writes)):
        for row, doc in writes:
            row = row or session.scalar(select(model).where(model.slug == doc["id"]))
            # Collections were rewritten in the files' order: read them back as an export would.
            session.expire(row.schedule)
            session.expire(row)
            note(session, kind, row.slug, before.get((kind, row.slug)), row_text(kind, row), change, now)
            written.add((kind, row.slug))
    for row in gone:
        note(session, _kind(row), row.slug, None, "", change, now)
    first = change if change.source == "load" else Change(BEFORE_HISTORY, "baseline")
    skip = written | {(_kind(row), row.slug) for row in gone}
    rows = {(_kind(row), row.slug): row for row in [*lines.values(), *centres.values()]}
    note_unrecorded(session, {key: row for key, row in rows.items() if key not in skip}, first, now)
    session.flush()


def _sort_out(
    kind: str,
    rows: dict[str, Any],
    docs: list[dict[str, Any]],
    unchanged: Callable[[Any, dict[str, Any]], bool],
    prune: bool,
    report: LoadReport,
) -> tuple[list[tuple[Any, dict[str, Any]]], list[Any]]:
    """Fill the report; return what to write as (row, or None for a new one, document), and the rows
    no longer in the files."""
    writes = []
    for doc in docs:
        row = rows.get(doc["id"])
        if row is None:
            report.created.append(f"{kind} {doc['id']}")
        elif unchanged(row, doc):
            report.unchanged.append(f"{kind} {doc['id']}")
            continue
        else:
            report.updated.append(f"{kind} {doc['id']}")
        writes.append((row, doc))
    in_files = {doc["id"] for doc in docs}
    gone = [row for slug, row in rows.items() if slug not in in_files]
    (report.removed if prune else report.kept).extend(f"{kind} {row.slug}" for row in gone)
    return writes, gone


def _line_unchanged(row: LineRow, doc: dict[str, Any]) -> bool:
    return line_document(row) == {k: v for k, v in doc.items() if k != "source_file"}


def _centre_unchanged(row: CentreRow, doc: dict[str, Any]) -> bool:
    # The database gives départements back sorted; the order they are written in means nothing.
    return centre_document(row) == {**doc, "departments": sorted(doc["departments"])}


def _refuse_clashes_with_kept(files: DirectoryFiles, lines: list[LineRow], centres: list[CentreRow]) -> None:
    """A line or centre left in the database still holds its numbers and départements."""
    problems = []
    held = {n.e164: row.slug for row in lines for n in row.numbers}
    for doc in files.lines:
        for index, number in enumerate(doc["numbers"]):
            if number in held:
                problems.append(Problem(f"{files.lines_dir}/{doc.get('source_file') or doc['id'] + '.yaml'}",
                                        f"numbers[{index}]", "number_kept", value=number, owner=held[number]))
    served = {(d.network, d.department): row.slug for row in centres for d in row.departments}
    for c_index, doc in enumerate(files.centres):
        for index, code in enumerate(doc["departments"]):
            if (doc["network"], code) in served:
                problems.append(Problem(files.centres_file, f"centres[{c_index}].departments[{index}]", "department_kept",
                                        value=code, owner=served[doc["network"], code]))
    if problems:
        raise DirectoryError(problems)


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
