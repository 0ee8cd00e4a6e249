"""The console's edits of one line or centre: checked exactly as its file would be, then loaded like one.

An edit starts from the document as the file would say it (``export_line`` / ``export_centre``), changes
the parts the coordinator edited, and goes through the loader's own ``canonical_line`` /
``canonical_centre`` and ``validate_documents`` with every other line and centre, so the console accepts
exactly what ``helpline directory load`` accepts. A valid edit is written by ``load_documents`` (which
bumps the directory revision: every worker rebuilds its snapshot before the next call).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from directory_data.build import build_line
from directory_data.fields import Problems
from directory_data.problems import Problem as FileProblem
from directory_data.problems import english
from directory_data.lines import canonical_centre, canonical_line
from directory_data.loader import DirectoryFiles, export_centre, export_line, line_file_text, validate_documents
from routing.model import ActionKind
from store.audit import COMMAND_LINE
from store.directory import load_documents
from store.documents import export_documents
from store.models import DirectoryRevision
from store.revisions import Change, latest

SCHEDULE_KEYS = ("hours", "holidays", "closures")


@dataclass(frozen=True)
class Problem:
    """One refusal: the key path inside the edited document ("hours.mon[1]", "overflow[2].forward"; "" for
    the document as a whole), the loader's problem code and its values, and where it is reported when that is
    another file ("directory_data/lines/x.yaml: numbers[0]")."""

    path: str
    code: str
    values: dict[str, Any] = field(default_factory=dict)
    elsewhere: str = ""

    @property
    def message(self) -> str:
        """The loader's English words for it, as the command line prints them."""
        return english(self.code, self.values)


@dataclass
class Edit:
    kind: str  # line | centre
    slug: str
    raw: dict[str, Any]  # the document as its file says it; the editor changes parts of it
    fingerprint: str  # of the document as read, to refuse saving over someone else's newer change
    problems: list[Problem] = field(default_factory=list)
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)


def fingerprint(raw: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()[:20]


def _find(files: DirectoryFiles, kind: str, slug: str) -> tuple[int, dict[str, Any]] | None:
    docs = files.lines if kind == "line" else files.centres
    for index, doc in enumerate(docs):
        if doc["id"] == slug:
            return index, doc
    return None


def start_edit(session: Session, kind: str, slug: str) -> Edit | None:
    """The line's or centre's document as its file would say it; None when there is no such line or centre."""
    found = _find(export_documents(session), kind, slug)
    if found is None:
        return None
    raw = export_line(found[1]) if kind == "line" else export_centre(found[1])
    return Edit(kind, slug, raw, fingerprint(raw))


def line_file(session: Session, slug: str) -> tuple[str, str] | None:
    """The line's file name and text exactly as `helpline directory export` writes them."""
    found = _find(export_documents(session), "line", slug)
    if found is None:
        return None
    return found[1]["source_file"], line_file_text(found[1])


def save_edit(session: Session, edit: Edit, raw: dict[str, Any], keys: tuple[str, ...], now: datetime,
              change: Change | None = None) -> Edit:
    """Check ``raw`` (the edited document) as the loader would, and write it when nothing is wrong.

    ``keys`` names the parts edited, for the audit's before and after and the version's reason. The caller
    commits and audits. The version's author is the session's ``author`` (the console sets it to the
    signed-in account) unless ``change`` says otherwise.
    """
    change = change or Change(session.info.get("author", COMMAND_LINE), session.info.get("source", "console"),
                              ",".join(keys))
    # One edit at a time: the revision row is locked until commit, so two coordinators saving the same
    # line at once cannot both pass the fingerprint check (SQLite transactions are serialised already).
    session.get(DirectoryRevision, 1, with_for_update=True)
    files = export_documents(session)
    found = _find(files, edit.kind, edit.slug)
    if found is None:
        raise LookupError(edit.slug)
    index, current = found
    current_raw = export_line(current) if edit.kind == "line" else export_centre(current)
    result = Edit(edit.kind, edit.slug, raw, edit.fingerprint,
                  before={k: current_raw.get(k) for k in keys})
    if fingerprint(current_raw) != edit.fingerprint:
        result.problems.append(Problem("", "stale"))
        return result
    if edit.kind == "line":
        lines, centres = _with_line(files, index, current, raw, result)
    else:
        lines, centres = _with_centre(files, index, raw, result)
    if not result.problems:  # as the loader does, a document with problems is not checked across files
        problems = validate_documents(lines, centres, files.lines_dir, files.centres_file)
        result.problems.extend(_located(problems, files, edit, lines, index))
    if result.problems:
        return result
    load_documents(session, DirectoryFiles(lines, centres, files.lines_dir, files.centres_file), now=now,
                   change=change)
    saved = start_edit(session, edit.kind, edit.slug)
    assert saved is not None
    result.after = {k: saved.raw.get(k) for k in keys}
    changed = [k for k in keys if result.before.get(k) != result.after.get(k)]
    version = latest(session, edit.kind, edit.slug)
    if changed and version is not None and version.at == now and version.reason == ",".join(keys):
        version.reason = ",".join(changed)  # the parts this save changed, not every part its form shows
    return result


def _with_line(files: DirectoryFiles, index: int, current: dict[str, Any], raw: dict[str, Any], result: Edit):
    found = Problems(f"{files.lines_dir}/{current['source_file']}")
    doc = canonical_line(raw, found)
    result.problems.extend(Problem(problem.path, problem.code, problem.values) for problem in found.found)
    if doc is None:
        return files.lines, files.centres
    doc["source_file"] = current["source_file"]
    lines = list(files.lines)
    lines[index] = doc
    return lines, files.centres


def _with_centre(files: DirectoryFiles, index: int, raw: dict[str, Any], result: Edit):
    found = Problems(files.centres_file)
    prefix = f"centres[{index}]"
    doc = canonical_centre(raw, prefix, found)
    for problem in found.found:
        result.problems.append(Problem(problem.path.removeprefix(prefix).lstrip("."), problem.code, problem.values))
    centres = list(files.centres)
    if doc is not None:
        centres[index] = doc
    return files.lines, centres


def _located(problems: list[FileProblem], files: DirectoryFiles, edit: Edit, lines: list[dict[str, Any]],
             index: int) -> list[Problem]:
    """The problems that concern the edited document, each at its key path in it.

    A loop through this line may be reported on another line of the loop: it is put back on this line's
    rule that forwards into the loop, since that is what the coordinator just wrote.
    """
    if edit.kind == "centre":
        own = f"centres[{index}]"
        return [Problem(problem.path.removeprefix(own).lstrip("."), problem.code, problem.values)
                if problem.file == files.centres_file and _within(problem.path, own)
                else _elsewhere(problem) for problem in problems]
    own_file = f"{files.lines_dir}/{lines[index]['source_file']}"
    located = []
    for problem in problems:
        if problem.file == own_file:
            located.append(Problem(problem.path, problem.code, problem.values))
        elif problem.code == "loop" and edit.slug in problem.values["value"].split(" → "):
            located.append(Problem(_forward_into_loop(lines, edit.slug, problem.values["value"]), problem.code,
                                   problem.values))
        else:  # another file's problem still refuses the edit: nothing is written while any remains
            located.append(_elsewhere(problem))
    return located


def _within(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith((prefix + ".", prefix + "["))


def _elsewhere(problem: FileProblem) -> Problem:
    return Problem("", problem.code, problem.values, f"{problem.file}: {problem.path}" if problem.path else problem.file)


def _forward_into_loop(lines: list[dict[str, Any]], slug: str, cycle: str) -> str:
    path = cycle.split(" → ")
    after = path[path.index(slug) + 1]
    docs = {doc["id"]: doc for doc in lines}
    line, numbers = build_line(docs[slug]), set(docs[after]["numbers"])
    for position, rule in enumerate(line.rules):
        if rule.action.kind is ActionKind.FORWARD and rule.action.number in numbers:
            return f"overflow[{position}]"
    return "emergency_fallback"
