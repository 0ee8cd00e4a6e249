"""Relays to centres in a report (issue 14 §4): how many, with a number or not, called back, reached, and the
hours until the first call-back; counted by the database (store/case_reports.py)."""

from __future__ import annotations

from console.reports.tables import DECIMAL, TEXT, Column, Table
from console.texts import t
from store.case_reports import RelayCounts

HOUR = 3600.0


def _hours(seconds: float | None) -> float | None:
    return seconds / HOUR if seconds is not None else None


def relays_table(rows: list[RelayCounts], names: dict[str, str], by_line: bool) -> Table:
    """One row per target (a line's report) or per relaying line (a centre's report)."""
    first = t("reports.relays.line") if by_line else t("reports.relays.target")
    columns = [Column(first, TEXT), Column(t("reports.relays.count")), Column(t("reports.relays.with_number")),
               Column(t("reports.relays.called_back")), Column(t("reports.relays.reached")),
               Column(t("reports.relays.average_delay"), DECIMAL), Column(t("reports.relays.longest_delay"), DECIMAL)]
    table_rows = [[names.get(row.key, row.key), row.relays, row.with_number, row.called_back, row.reached,
                   _hours(row.average_delay), _hours(row.longest_delay)] for row in rows]
    return Table("relays", t("reports.relays"), columns, table_rows)
