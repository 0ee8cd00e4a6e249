"""A line's versions as the history page shows them: who, when, why, and what changed from the one before."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from console.texts import t
from store.models import DirectoryChange

PARTS = ("hours", "holidays", "closures", "overflow", "categories")


@dataclass(frozen=True)
class DiffLine:
    kind: str  # added | removed | same | gap
    text: str


@dataclass(frozen=True)
class VersionView:
    id: int
    number: int
    when: str
    author: str
    source: str
    reason: str
    changes: list[DiffLine]
    restorable: bool
    current: bool


def version_views(versions: list[DirectoryChange], timezone: str, restorable: bool = True) -> list[VersionView]:
    """Newest first, as ``versions`` come; each compared with the version before it. ``restorable=False``: a
    history to read only (local associations have no restore yet)."""
    zone = ZoneInfo(timezone)
    oldest_first = list(reversed(versions))
    numbers = {version.id: index + 1 for index, version in enumerate(oldest_first)}
    views = []
    for index, version in enumerate(oldest_first):
        previous = oldest_first[index - 1].document if index else None
        views.append(VersionView(
            id=version.id, number=index + 1,
            when=f"{version.at.astimezone(zone):%d/%m/%Y %H:%M}",
            author=version.author, source=source_words(version.source), reason=reason_words(version, numbers),
            changes=differences(previous, version.document),
            restorable=restorable and bool(version.document) and version.document != oldest_first[-1].document,
            current=index == len(oldest_first) - 1,
        ))
    return list(reversed(views))


def source_words(source: str) -> str:
    key = f"history.source.{source}"
    return t(key) if t(key) != key else source


def reason_words(version: DirectoryChange, numbers: dict[int, int]) -> str:
    """The reason as stored: the parts a console edit changed, the version a restore brought back, or free text."""
    reason = version.reason or ""
    if version.source == "restore" and reason.startswith("restore:"):
        restored = reason.removeprefix("restore:")
        return t("history.reason.restore", number=numbers.get(int(restored), restored) if restored.isdigit() else "?")
    if version.source == "console" and reason and all(part in PARTS for part in reason.split(",")):
        return ", ".join(t(f"history.part.{part}") for part in reason.split(","))
    return reason


def differences(before: str | None, after: str) -> list[DiffLine]:
    """The file's lines that changed, with one line of context either side; the first version in full."""
    if before is None:
        return [DiffLine("added", text) for text in after.splitlines()]
    lines = []
    for text in list(difflib.unified_diff(before.splitlines(), after.splitlines(), n=1, lineterm=""))[2:]:
        if text.startswith("@@"):
            lines.append(DiffLine("gap", "…"))
        else:
            lines.append(DiffLine({"+": "added", "-": "removed"}.get(text[:1], "same"), text[1:]))
    return lines
