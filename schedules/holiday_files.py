"""The ``holidays`` library's answers kept on disk, one small JSON file per country, subdivision, year and language.

The library is deterministic for a given version of it, so a file written by one process (the gunicorn master's
preparation, the console, a command) serves every other one; the version is part of the folder's name, so an
upgraded library is asked again. Nothing here is required: with no folder set, an unwritable one or a damaged file,
the caller computes the days itself, as it did before.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import tempfile
from datetime import date
from pathlib import Path

Key = tuple[str, "str | None", int, str]  # country, subdivision, year, language

_SAFE = re.compile(r"[A-Za-z0-9_-]{1,16}")
_folder: Path | None = None


def keep_in(folder: Path | str | None) -> None:
    """Keep the answers under ``folder`` (None: keep nothing on disk)."""
    global _folder
    version = library_version()
    _folder = Path(folder) / f"holidays-{version}" if folder is not None and version else None


def library_version() -> str | None:
    """The installed library's version, from its package metadata: importing it is what this saves."""
    try:
        found = importlib.metadata.version("holidays")
    except importlib.metadata.PackageNotFoundError:
        return None
    return found if _SAFE.fullmatch(found.replace(".", "_")) else None


def _path(parts: tuple[str, ...]) -> Path | None:
    if _folder is None or not all(_SAFE.fullmatch(part) for part in parts):
        return None
    return _folder / ("-".join(parts) + ".json")


def _day_parts(key: Key) -> tuple[str, ...]:
    country, subdivision, year, language = key
    return country, subdivision or "all", str(year), language


def read(key: Key) -> dict[date, str] | None:
    """The days kept for ``key``, or None (none kept, no folder, a file that does not read as days)."""
    kept = _load(_day_parts(key))
    try:
        return {date.fromisoformat(day): str(name) for day, name in kept.items()} if kept is not None else None
    except (ValueError, TypeError, AttributeError):
        return None


def write(key: Key, names: dict[date, str]) -> None:
    _store(_day_parts(key), {day.isoformat(): name for day, name in sorted(names.items())})


def read_subdivisions(country: str) -> tuple[tuple[str, ...], dict[str, str]] | None:
    """A country's subdivision codes and their aliases as kept, or None."""
    kept = _load((country, "subdivisions"))
    try:
        return (tuple(str(code) for code in kept["codes"]),
                {str(alias): str(code) for alias, code in kept["aliases"].items()}) if kept is not None else None
    except (KeyError, TypeError, AttributeError):
        return None


def write_subdivisions(country: str, codes: tuple[str, ...], aliases: dict[str, str]) -> None:
    _store((country, "subdivisions"), {"codes": list(codes), "aliases": aliases})


def _load(parts: tuple[str, ...]):
    path = _path(parts)
    if path is None:
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _store(parts: tuple[str, ...], data) -> None:
    """Written whole to a temporary file, then renamed, so a reader never sees half a file; failing to write is
    not an error (the next process computes the same again)."""
    path = _path(parts)
    if path is None:
        return
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(data, out, ensure_ascii=False)
        os.replace(temporary, path)
    except OSError:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
