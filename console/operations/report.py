"""The category report: calls by category, month, line and centre — as a table, a CSV and a chart."""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from console.spreadsheet import csv_text
from console.texts import current_language, t
from routing.model import Line
from store.categories import UNCLASSIFIED, counted_calls
from store.snapshot import Snapshot

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
MAX_MONTHS = 36
REPORT_ZONE = ZoneInfo("Europe/Paris")  # where the default period is counted from; each call uses its line's zone


@dataclass(frozen=True)
class Period:
    first: str  # "2026-01"
    last: str  # "2026-12", included

    def months(self) -> list[str]:
        return [_month_of(index) for index in range(_month_index(self.first), _month_index(self.last) + 1)]

    def bounds(self) -> tuple[datetime, datetime]:
        """From the first month's start to the month after the last, with a day's margin for time zones
        (each call is then put in its month by its own line's zone, and calls outside are dropped)."""
        year, month = map(int, self.last.split("-"))
        after = datetime(year + (month == 12), 1 if month == 12 else month + 1, 1, tzinfo=REPORT_ZONE)
        first = datetime(*map(int, self.first.split("-")), 1, tzinfo=REPORT_ZONE)
        return first - timedelta(days=1), after + timedelta(days=1)


def _month_index(month: str) -> int:
    year, number = map(int, month.split("-"))
    return year * 12 + number - 1


def _month_of(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def read_period(first: str | None, last: str | None, now: datetime) -> tuple[Period, str | None]:
    """The months asked for, or the last twelve months; an error key when what was typed cannot be used."""
    local = now.astimezone(REPORT_ZONE)
    this_month = local.year * 12 + local.month - 1
    default = Period(_month_of(this_month - 11), _month_of(this_month))
    first, last = (first or default.first).strip(), (last or default.last).strip()
    if not MONTH.match(first) or not MONTH.match(last):
        return default, "report.bad_month"
    if first > last:
        return default, "report.reversed"
    if _month_index(last) - _month_index(first) >= MAX_MONTHS:
        return default, "report.too_long"
    return Period(first, last), None


@dataclass(frozen=True)
class Report:
    months: list[str]
    categories: list[tuple[str, str]]  # (slug, label), unclassified last
    by_month: dict[str, Counter]  # category → month → calls
    by_line: dict[str, Counter]  # line name → category → calls
    by_centre: dict[str, Counter]  # centre name → category → calls
    rows: list[tuple[str, str, str, str, str, int]]  # month, line, centre, category, label, calls (the CSV)
    total: int

    def month_total(self, month: str) -> int:
        return sum(counts[month] for counts in self.by_month.values())

    def category_total(self, slug: str) -> int:
        return sum(self.by_month[slug].values())


def build_report(session: Session, snapshot: Snapshot, lines: list[Line], period: Period) -> Report:
    by_id = {snapshot.line_ids[line.slug]: line for line in lines if line.slug in snapshot.line_ids}
    start, end = period.bounds()
    months = period.months()
    calls = [c for c in counted_calls(session, by_id, snapshot.centres, start, end) if c.month in months]
    language = current_language()
    labels: dict[str, str] = {}
    for line in lines:
        for category in line.categories:
            labels.setdefault(category.slug, category.label.get(language))
    for call in calls:
        if call.category != UNCLASSIFIED:
            labels.setdefault(call.category, call.label)
    categories = [(slug, label) for slug, label in labels.items()] + [(UNCLASSIFIED, t("calls.unclassified"))]
    by_month = {slug: Counter() for slug, _ in categories}
    by_line: dict[str, Counter] = {line.name: Counter() for line in sorted(lines, key=lambda l: l.name)}
    by_centre: dict[str, Counter] = {}
    names = {line.slug: line.name for line in lines}
    centre_names = {centre.slug: centre.name for centre in snapshot.centres.values()}
    grouped: Counter = Counter()
    for call in calls:
        centre = centre_names.get(call.centre, t("report.own_team")) if call.centre else t("report.own_team")
        by_month[call.category][call.month] += 1
        by_line[names[call.line]][call.category] += 1
        by_centre.setdefault(centre, Counter())[call.category] += 1
        grouped[(call.month, names[call.line], centre, call.category)] += 1
    label_of = dict(categories)
    rows = [(month, line, centre, slug or "non-classe", label_of[slug], count)
            for (month, line, centre, slug), count in sorted(grouped.items())]
    return Report(months, categories, by_month, by_line, dict(sorted(by_centre.items())), rows, len(calls))


def report_csv(report: Report) -> str:
    header = [t("report.csv_month"), t("report.csv_line"), t("report.csv_centre"), t("report.csv_category"),
              t("report.csv_label"), t("report.csv_calls")]
    return csv_text([header, *report.rows])


def share_chart_svg(report: Report) -> bytes:
    """The share of each category per month, as stacked bars summing to 100 % (an SVG, no script)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9, 4.5), dpi=96)
    axes = figure.add_subplot()
    months = report.months
    bottoms = [0.0] * len(months)
    colours = matplotlib.colormaps["tab10"]
    for index, (slug, label) in enumerate(report.categories):
        shares = [100 * report.by_month[slug][month] / report.month_total(month) if report.month_total(month) else 0
                  for month in months]
        if not any(shares):
            continue
        axes.bar(months, shares, bottom=bottoms, label=label,
                 color="#9aa3ad" if slug == UNCLASSIFIED else colours(index % 10))
        bottoms = [b + s for b, s in zip(bottoms, shares)]
    axes.set_ylim(0, 100)
    axes.set_ylabel(t("report.chart_share"))
    axes.set_title(t("report.chart_title"))
    axes.tick_params(axis="x", labelrotation=45)
    if report.total:
        axes.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize="small", frameon=False)
    else:
        axes.text(0.5, 0.5, t("report.empty"), ha="center", va="center", transform=axes.transAxes)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="svg", metadata={"Date": None})  # no timestamp: the same figures give the same file
    return out.getvalue()
