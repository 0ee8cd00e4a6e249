"""The period and target a report is asked for: date inputs in the line's time zone, last four weeks by default."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Mapping
from zoneinfo import ZoneInfo

from console.texts import t
from store.reports import Period

DEFAULT_DAYS = 28  # four weeks: every weekday-hour slot occurs four times
MAX_DAYS = 366
DEFAULT_TARGET = 80  # percent: the classic "80 % within the threshold"
TARGET_RANGE = range(50, 100)


@dataclass
class PeriodForm:
    first: str
    last: str
    target: str
    errors: dict[str, str] = field(default_factory=dict)

    def query(self) -> dict[str, str]:
        """The arguments that give the same report (for chart and CSV links)."""
        return {"from": self.first, "to": self.last, "target": self.target}


def read_period(args: Mapping[str, str], zone_name: str, now: datetime) -> tuple[PeriodForm, Period | None, float]:
    """The form as typed, and the period and target level (0–1) when the form is valid."""
    today = now.astimezone(ZoneInfo(zone_name)).date()
    form = PeriodForm(args.get("from") or (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat(),
                      args.get("to") or today.isoformat(), args.get("target") or str(DEFAULT_TARGET))
    first, last = _day(form, "first"), _day(form, "last")
    if first and last and last < first:
        form.errors["last"] = t("reports.error.order")
    elif first and last and (last - first).days + 1 > MAX_DAYS:
        form.errors["last"] = t("reports.error.span", days=MAX_DAYS)
    target = int(form.target) if form.target.isdigit() else None
    if target not in TARGET_RANGE:
        form.errors["target"] = t("reports.error.target")
    if form.errors:
        return form, None, DEFAULT_TARGET / 100
    return form, Period(first, last, zone_name), target / 100


def _day(form: PeriodForm, name: str) -> date | None:
    try:
        return date.fromisoformat(getattr(form, name))
    except ValueError:
        form.errors[name] = t("reports.error.date")
        return None
