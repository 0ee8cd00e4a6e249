"""Local associations and service numbers in the database: loaded from the files, edited in the console, searched."""

from __future__ import annotations

from typing import Any, Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from directory_data.associations import build_association_directory
from routing.orientation import AssociationDirectory
from store.models import AssociationRow, ServiceNumber

COORDINATORS = "coordinator"
FIELDS = ("name", "department", "number", "display_number", "timezone", "hours", "holidays", "topics", "fictitious")


def association_document(row: AssociationRow) -> dict[str, Any]:
    return {"id": row.slug, **{name: getattr(row, name) for name in FIELDS}}


def write_association(row: AssociationRow, doc: dict[str, Any]) -> None:
    row.slug = doc["id"]
    for name in FIELDS:
        setattr(row, name, doc[name])


def all_associations(session: Session) -> list[AssociationRow]:
    return list(session.scalars(select(AssociationRow).order_by(AssociationRow.department, AssociationRow.name)))


def association_directory(session: Session) -> AssociationDirectory:
    """What the routing orients callers with, built once per directory revision by the snapshot."""
    return build_association_directory(association_document(row) for row in all_associations(session))


def search_associations(session: Session, text: str = "", department: str = "",
                        departments: Iterable[str] | None = None) -> list[AssociationRow]:
    """By words of the name or a topic, and by département; ``departments`` limits what a coordinator sees."""
    query = select(AssociationRow).order_by(AssociationRow.department, AssociationRow.name)
    if department:
        query = query.where(AssociationRow.department == department)
    if departments is not None:
        query = query.where(AssociationRow.department.in_(list(departments)))
    rows = list(session.scalars(query))
    words = [w for w in text.casefold().split() if w]
    if not words:
        return rows
    # Topics are a JSON list, searched here rather than in SQL so SQLite and PostgreSQL agree on accents.
    return [row for row in rows if all(w in _haystack(row) for w in words)]


def _haystack(row: AssociationRow) -> str:
    return " ".join([row.name, row.department, row.slug, *(row.topics or [])]).casefold()


def load_associations(session: Session, docs: list[dict[str, Any]], prune: bool, report) -> None:
    """Make the database hold these associations (the console's own additions stay unless ``prune``)."""
    rows = {row.slug: row for row in session.scalars(select(AssociationRow))}
    for doc in docs:
        row = rows.get(doc["id"])
        if row is None:
            row = AssociationRow()
            session.add(row)
            report.created.append(f"association {doc['id']}")
        elif association_document(row) == doc:
            report.unchanged.append(f"association {doc['id']}")
            continue
        else:
            report.updated.append(f"association {doc['id']}")
        write_association(row, doc)
    in_files = {doc["id"] for doc in docs}
    for slug, row in rows.items():
        if slug in in_files:
            continue
        if prune:
            session.delete(row)
            report.removed.append(f"association {slug}")
        else:
            report.kept.append(f"association {slug}")


def load_service_numbers(session: Session, numbers: list[str], prune: bool, report) -> None:
    """Add the file's coordinators' service numbers; with ``prune``, drop the ones it no longer lists."""
    held = set(session.scalars(select(ServiceNumber.e164).where(ServiceNumber.purpose == COORDINATORS)))
    wanted = set(numbers)
    for number in sorted(wanted):
        if number in held:
            report.unchanged.append(f"service number {number}")
            continue
        session.add(ServiceNumber(e164=number, purpose=COORDINATORS))
        report.created.append(f"service number {number}")
    for number in sorted(held - wanted):
        if prune:
            session.execute(delete(ServiceNumber).where(ServiceNumber.e164 == number))
            report.removed.append(f"service number {number}")
        else:
            report.kept.append(f"service number {number}")


def is_coordinator_number(session: Session, number: str) -> bool:
    return session.scalar(select(ServiceNumber.id).where(ServiceNumber.e164 == number,
                                                         ServiceNumber.purpose == COORDINATORS)) is not None


def export_associations(session: Session) -> tuple[list[dict[str, Any]], list[str]]:
    docs = [association_document(row) for row in session.scalars(select(AssociationRow).order_by(AssociationRow.id))]
    numbers = list(session.scalars(select(ServiceNumber.e164).where(ServiceNumber.purpose == COORDINATORS)
                                   .order_by(ServiceNumber.id)))
    return docs, numbers


def find_association(session: Session, slug: str) -> AssociationRow | None:
    return session.scalar(select(AssociationRow).where(AssociationRow.slug == slug))
