"""Report values written for people: on the page, and in CSV files that Excel opens with their accents intact."""

from __future__ import annotations

from typing import Any

from console.reports.tables import DECIMAL, PERCENT, SECONDS, TEXT, Table
from console.spreadsheet import csv_text

UNDEFINED = "—"
# French Excel splits on ";" and reads "84,6" as a number; English Excel splits on "," and reads "84.6".
DIALECTS = {"fr": (";", ","), "en": (",", ".")}


def cell(value: Any, kind: str) -> tuple[Any, str]:
    """A summary row carries its own kind next to its value."""
    if isinstance(value, tuple):
        return value
    return value, kind


def shown(value: Any, kind: str, language: str) -> str:
    """How the page writes a value: 84,6 % / 84.6%, 1 234, 2:05 for seconds."""
    value, kind = cell(value, kind)
    if value is None:
        return UNDEFINED
    if kind == TEXT:
        return str(value)
    decimal = DIALECTS.get(language, DIALECTS["fr"])[1]
    if kind == PERCENT:
        number = f"{value * 100:.1f}".replace(".", decimal)
        return f"{number} %" if language == "fr" else f"{number}%"
    if kind == SECONDS:
        minutes, seconds = divmod(round(value), 60)
        return f"{minutes}:{seconds:02d} min"
    if kind == DECIMAL:
        return f"{value:.2f}".replace(".", decimal)
    return str(value)


def raw(value: Any, kind: str, language: str) -> str:
    """How the CSV writes a value: numbers a spreadsheet can add up (percent as 84.6, seconds whole)."""
    value, kind = cell(value, kind)
    if value is None:
        return ""
    decimal = DIALECTS.get(language, DIALECTS["fr"])[1]
    if kind == PERCENT:
        return f"{value * 100:.1f}".replace(".", decimal)
    if kind == SECONDS:
        return str(round(value))
    if kind == DECIMAL:
        return f"{value:.2f}".replace(".", decimal)
    return str(value)


def table_csv(table: Table, language: str) -> str:
    """Durations in whole seconds, said in the header ("(s)"), as the page says its own "(min:s)"."""
    header = [column.label + (" (s)" if column.kind == SECONDS else "") for column in table.columns]
    rows = [[raw(value, column.kind, language) for value, column in zip(row, table.columns)] for row in table.rows]
    for row, source in zip(rows, table.rows):  # a summary row of seconds says so in its label
        if len(source) > 1 and isinstance(source[1], tuple) and source[1][1] == SECONDS:
            row[0] = f"{row[0]} (s)"
    return csv_text([header, *rows], delimiter=DIALECTS.get(language, DIALECTS["fr"])[0], bom=True)


def table_cells(table: Table, language: str) -> list[list[str]]:
    return [[shown(value, column.kind, language) for value, column in zip(row, table.columns)] for row in table.rows]

