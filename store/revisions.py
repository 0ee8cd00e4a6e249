"""Every version of each line's, centre's and local association's document: who changed it, when, why, and the file's exact text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from directory_data.associations import export_association
from directory_data.loader import export_centre, line_file_text
from store.documents import centre_document, line_document
from store.models import CentreRow, DirectoryChange, LineRow

# Versions a load wrote (or found in place before there was any history): what the files last said.
FROM_FILES = ("load", "baseline")
BEFORE_HISTORY = "(avant l'historique)"  # who made a version that was already there when history began


@dataclass(frozen=True)
class Change:
    """Who makes a change, through what (load, console, phone, cli, restore), and why."""

    author: str
    source: str
    reason: str = ""


def document_text(kind: str, doc: dict[str, Any] | None) -> str:
    """The document as its file says it: a line's file exactly as an export writes it; "" for one deleted."""
    if doc is None:
        return ""
    if kind == "line":
        return line_file_text(doc)
    if kind == "association":
        return yaml.safe_dump(export_association(doc), allow_unicode=True, sort_keys=False, width=110)
    # Départements come back from the database in no meaningful order: sorted, equal documents read alike.
    centre = export_centre({**doc, "departments": sorted(doc["departments"])})
    return yaml.safe_dump(centre, allow_unicode=True, sort_keys=False, width=110)


def row_text(kind: str, row: LineRow | CentreRow) -> str:
    return document_text(kind, line_document(row) if kind == "line" else centre_document(row))


def history(session: Session, kind: str, slug: str) -> list[DirectoryChange]:
    """Newest first."""
    return list(session.scalars(select(DirectoryChange).where(DirectoryChange.target_kind == kind,
                                                              DirectoryChange.target_slug == slug)
                                .order_by(DirectoryChange.id.desc())))


def latest(session: Session, kind: str, slug: str) -> DirectoryChange | None:
    return session.scalar(select(DirectoryChange).where(DirectoryChange.target_kind == kind,
                                                        DirectoryChange.target_slug == slug)
                          .order_by(DirectoryChange.id.desc()).limit(1))


def edited_since_load(session: Session, kind: str, slug: str, current: str) -> DirectoryChange | None:
    """The newest change not made by a load when the document now differs from what the last load wrote;
    None when the database still holds what the files said (or nothing is known of its history)."""
    versions = history(session, kind, slug)
    if not versions:
        return None
    loaded = next((v for v in versions if v.source in FROM_FILES), None)
    if loaded is not None and loaded.document == current:
        return None
    return next((v for v in versions if v.source not in FROM_FILES), versions[0])


def note(session: Session, kind: str, slug: str, before: str | None, after: str, change: Change,
         now: datetime) -> DirectoryChange | None:
    """Add a version when ``after`` differs from the newest one; the caller commits it with the change.

    ``before`` is the document as it was: a line with no history yet gets it as its first version, so that
    the first change made after an upgrade can still be undone."""
    newest = latest(session, kind, slug)
    if newest is None and before is not None and before != after:
        session.add(DirectoryChange(target_kind=kind, target_slug=slug, at=now, author=BEFORE_HISTORY,
                                    source="baseline", reason="", document=before))
    elif newest is not None and newest.document == after:
        return None
    version = DirectoryChange(target_kind=kind, target_slug=slug, at=now, author=change.author[:254],
                              source=change.source[:16], reason=change.reason[:400], document=after)
    session.add(version)
    session.flush()
    return version


def note_unrecorded(session: Session, rows: dict[tuple[str, str], LineRow | CentreRow], change: Change,
                    now: datetime) -> None:
    """A load that finds a line already as its file says, with no history yet, makes that its first version."""
    known = set(session.execute(select(DirectoryChange.target_kind, DirectoryChange.target_slug)
                                .group_by(DirectoryChange.target_kind, DirectoryChange.target_slug)).all())
    for (kind, slug), row in rows.items():
        if (kind, slug) not in known:
            session.add(DirectoryChange(target_kind=kind, target_slug=slug, at=now, author=change.author[:254],
                                        source=change.source[:16], reason=change.reason[:400],
                                        document=row_text(kind, row)))


def count(session: Session, kind: str, slug: str) -> int:
    return session.scalar(select(func.count()).select_from(DirectoryChange)
                          .where(DirectoryChange.target_kind == kind, DirectoryChange.target_slug == slug)) or 0
