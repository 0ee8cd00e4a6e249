"""Every CSV the console writes goes through here, so that no cell ever runs as a formula in a spreadsheet."""

from __future__ import annotations

import csv
import io
import re
from typing import Any, Iterable

# Excel, LibreOffice and Google Sheets read a cell starting with one of these as a formula (a tab or a carriage
# return is skipped first, then the next character decides); OWASP's CSV-injection advice.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A plain number keeps its sign: "-3" or "-2,5" is a figure to add up, not a formula.
PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:[.,][0-9]+)?")
# UTF-8 with a byte-order mark: Excel takes a BOM-less CSV for the local code page and garbles "Écoute".
BOM = "\ufeff"


def spreadsheet_safe(value: Any) -> str:
    """A cell as text, with a leading apostrophe when a spreadsheet would otherwise evaluate it."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_text(rows: Iterable[Iterable[Any]], delimiter: str = ",", bom: bool = False) -> str:
    """Rows (the header first) as CSV, every cell made safe."""
    out = io.StringIO()
    if bom:
        out.write(BOM)
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        writer.writerow([spreadsheet_safe(value) for value in row])
    return out.getvalue()
