"""Reading a reference table (departments.yaml, services.yaml): the file's list of entries, and checks of one
entry's keys and plain values, each failure a ReferenceDataError naming the file, the key path and the problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

COUNTRIES = frozenset({"FR", "BE"})


class ReferenceDataError(ValueError):
    """A reference YAML file is unreadable or invalid; the message names file, key path and problem."""

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None) -> None:
        super().__init__(message)
        self.file = file
        self.key = key


class Context:
    """Builds ReferenceDataError messages for one file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def error(self, key: str, problem: str) -> ReferenceDataError:
        return ReferenceDataError(f"{self.path}: {key}: {problem}", file=str(self.path), key=key)


def read_table(path: Path, top_key: str) -> tuple[Context, list[Any]]:
    """Parse ``path`` and return the list under ``top_key``."""
    ctx = Context(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ctx.error("<file>", f"cannot read file ({exc})") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ctx.error("<file>", f"invalid YAML ({exc})".replace("\n", " ")) from exc
    if not isinstance(data, dict):
        raise ctx.error("<root>", f"expected a mapping with a {top_key!r} key, got {type(data).__name__}")
    extra = sorted(map(str, set(data) - {top_key}))
    if extra:
        raise ctx.error("<root>", f"unknown top-level key(s) {extra}; expected only {top_key!r}")
    items = data.get(top_key)
    if not isinstance(items, list) or not items:
        raise ctx.error(top_key, "expected a non-empty list")
    return ctx, items


def checked_keys(ctx: Context, where: str, entry: Any, required: set[str], optional: set[str]) -> dict:
    if not isinstance(entry, dict):
        raise ctx.error(where, f"expected a mapping, got {type(entry).__name__}")
    missing = sorted(required - set(entry))
    if missing:
        raise ctx.error(f"{where}.{missing[0]}", "required key is missing")
    unknown = sorted(map(str, set(entry) - required - optional))
    if unknown:
        raise ctx.error(f"{where}.{unknown[0]}", f"unknown key (allowed: {sorted(required | optional)})")
    return entry


def text_value(ctx: Context, key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ctx.error(key, f"expected a non-empty string, got {value!r}")
    if value != value.strip():
        raise ctx.error(key, f"leading or trailing whitespace in {value!r}")
    return value


def bool_value(ctx: Context, key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ctx.error(key, f"expected true or false, got {value!r}")
    return value


def country_value(ctx: Context, key: str, value: Any) -> str:
    if value not in COUNTRIES:
        raise ctx.error(key, f"expected one of {sorted(COUNTRIES)}, got {value!r}")
    return value
