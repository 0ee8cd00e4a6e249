"""Loading the files over a database that may hold newer edits: what differs, per line, and whose edits would go.

Once a line has been edited (in the console, by phone, from the command line) the database is its source of
truth: a load shows what the files would change and refuses to replace those edits unless forced (and then the
audit log keeps what it replaced), or keeps them and loads the rest (what `helpline demo` does).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from directory_data.loader import DirectoryError, DirectoryFiles
from store.audit import COMMAND_LINE, record
from store.directory import LoadReport, load_documents
from store.documents import export_documents
from store.revisions import Change, document_text, edited_since_load

Mode = Literal["refuse", "keep", "force"]


@dataclass(frozen=True)
class Edited:
    """Who last edited a line since the last load (copied: it outlives the session that read it)."""

    author: str
    at: datetime
    source: str


@dataclass
class Difference:
    """One line or centre whose file says something else than the database (None: not there)."""

    kind: str
    slug: str
    current: str | None
    incoming: str | None
    edited: Edited | None  # the newest edit since the last load, when there is one

    def diff(self) -> list[str]:
        return list(difflib.unified_diff((self.current or "").splitlines(), (self.incoming or "").splitlines(),
                                         "database", "files", n=1, lineterm=""))[2:]

    def edited_words(self) -> str:
        edit = self.edited
        return f"edited by {edit.author} on {edit.at:%Y-%m-%d %H:%M} UTC ({edit.source})" if edit else ""


class EditsWouldBeLost(DirectoryError):
    def __init__(self, differences: list[Difference]):
        self.differences = differences
        super().__init__([f"{d.kind} {d.slug}: {d.edited_words()} since the last load" for d in differences])


@dataclass
class SyncReport:
    differences: list[Difference] = field(default_factory=list)
    kept: list[Difference] = field(default_factory=list)  # edits left in place (mode keep)
    replaced: list[Difference] = field(default_factory=list)  # edits overwritten (mode force)
    load: LoadReport | None = None


def compare(session: Session, files: DirectoryFiles, prune: bool = False) -> list[Difference]:
    """Every line and centre whose document in the files differs from the database's, in file order."""
    current = export_documents(session)
    differences = []
    for kind, ours, theirs in (("line", current.lines, files.lines), ("centre", current.centres, files.centres)):
        held = {doc["id"]: document_text(kind, doc) for doc in ours}
        for doc in theirs:
            text = document_text(kind, doc)
            if held.get(doc["id"]) != text:
                differences.append(_difference(session, kind, doc["id"], held.get(doc["id"]), text))
        if prune:
            named = {doc["id"] for doc in theirs}
            differences += [_difference(session, kind, slug, text, None) for slug, text in held.items()
                            if slug not in named]
    return differences


def _difference(session: Session, kind: str, slug: str, current: str | None, incoming: str | None) -> Difference:
    edit = edited_since_load(session, kind, slug, current) if current is not None else None
    edited = Edited(edit.author, edit.at, edit.source) if edit is not None else None
    return Difference(kind, slug, current, incoming, edited)


def sync(session: Session, files: DirectoryFiles, mode: Mode = "refuse", prune: bool = False,
         reason: str = "", author: str = COMMAND_LINE, now: datetime | None = None) -> SyncReport:
    """Load the files without losing an edit made since the last load; the caller commits (all or nothing)."""
    report = SyncReport(differences=compare(session, files, prune))
    edited = [d for d in report.differences if d.edited is not None]
    if edited and mode == "refuse":
        raise EditsWouldBeLost(edited)
    if edited and mode == "keep":
        files = _keeping(session, files, edited)
        report.kept = edited
    if edited and mode == "force":
        report.replaced = edited
        for difference in edited:
            record(session, None, "directory.load_forced", (difference.kind, difference.slug),
                   {"document": difference.current}, {"document": difference.incoming}, email=author, now=now,
                   detail=f"chargement forcé des fichiers : remplace les modifications de {difference.edited.author} "
                          f"du {difference.edited.at:%Y-%m-%d %H:%M} UTC" + (f" ; {reason}" if reason else ""))
    report.load = load_documents(session, files, prune=prune, now=now, change=Change(author, "load", reason))
    return report


def _keeping(session: Session, files: DirectoryFiles, edited: list[Difference]) -> DirectoryFiles:
    """The files with each edited line and centre as the database holds it (a pruned one stays too)."""
    current = export_documents(session)
    keep = {(d.kind, d.slug) for d in edited}
    held_lines = {doc["id"]: doc for doc in current.lines if ("line", doc["id"]) in keep}
    held_centres = {doc["id"]: doc for doc in current.centres if ("centre", doc["id"]) in keep}
    lines = [held_lines.pop(doc["id"], doc) for doc in files.lines] + list(held_lines.values())
    centres = [held_centres.pop(doc["id"], doc) for doc in files.centres] + list(held_centres.values())
    return DirectoryFiles(lines, centres, files.lines_dir, files.centres_file, files.associations,
                          files.service_numbers)
