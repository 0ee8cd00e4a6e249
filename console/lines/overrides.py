"""A coordinator's "close now" / "force open": the form's checks, the override rows and their words.

An override is one ``OverrideRow`` on the line's schedule; saving or lifting one (store/overrides.py, shared
with the coordinators' phone line) bumps the directory revision so that every worker rebuilds its snapshot
and the next call hears the new state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Mapping
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from console.describe import moment_words, zone_city
from console.overview import StatusView, status_view
from console.texts import current_language, t
from routing.model import Centre, Line
from schedules import Schedule, status_at
from store.overrides import active_rows, lift_override, place_override
from store.models import ConsoleAccount, OverrideRow
from words.status import status_words as schedule_status_words

MODES = ("closed", "open")
UNTIL_KINDS = ("next_change", "at")
MAX_AHEAD = timedelta(days=30)
MAX_REASON = 200  # the column's size
LOCAL_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S")  # what <input type="datetime-local"> sends


@dataclass
class OverrideForm:
    """What the coordinator typed, kept to show the form again with the errors next to their fields."""

    mode: str = "closed"
    until_kind: str = "next_change"
    until: str = ""  # local date-time in the line's time zone, "2026-11-24T14:00"
    reason: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def error_links(self) -> list[tuple[str, str]]:
        """The errors in the form's order, each with the id of its field, for the summary above the form."""
        return [(name, self.errors[name]) for name in ("until", "reason") if name in self.errors]


@dataclass(frozen=True)
class ActiveOverride:
    id: int
    is_open: bool
    text: str


def read_form(values: Mapping[str, str], timezone: str, now: datetime) -> tuple[OverrideForm, datetime | None]:
    """The form as typed and, when it is valid, the override's end in UTC (None: the next scheduled change).

    A mode other than the two buttons' is not a typing mistake: the caller refuses the request (400).
    """
    form = OverrideForm(mode=values.get("mode", ""), until_kind=values.get("until_kind", "next_change"),
                        until=values.get("until", "").strip()[:32], reason=" ".join(values.get("reason", "").split()))
    if form.until_kind not in UNTIL_KINDS:
        form.until_kind = "next_change"
    if form.until:  # a typed end is the coordinator's choice, whichever button was left chosen
        form.until_kind = "at"
    if not form.reason:
        form.errors["reason"] = t("override.reason_missing")
    elif len(form.reason) > MAX_REASON:
        form.errors["reason"] = t("override.reason_too_long", n=MAX_REASON)
    until = None
    if form.until_kind == "at":
        until = _local_moment(form.until, ZoneInfo(timezone))
        if not form.until:
            form.errors["until"] = t("override.until_missing")
        elif until is None:
            form.errors["until"] = t("override.until_invalid")
        elif until <= now:
            form.errors["until"] = t("override.until_past")
        elif until > now + MAX_AHEAD:
            form.errors["until"] = t("override.until_too_far", days=MAX_AHEAD.days)
    return form, until


def _local_moment(typed: str, zone: ZoneInfo) -> datetime | None:
    for pattern in LOCAL_FORMATS:
        try:
            local = datetime.strptime(typed, pattern)
        except ValueError:
            continue
        return local.replace(tzinfo=zone).astimezone(ZoneInfo("UTC"))
    return None


def active_overrides(session: Session, schedule_id: int, timezone: str, now: datetime,
                     kind: str = "line") -> list[ActiveOverride]:
    """Each decision still in force or to come, in words, for the line's or centre's page and its "lever" buttons."""
    zone = ZoneInfo(timezone)
    views = []
    for row in active_rows(session, schedule_id, now):
        until = (t("override.ends_at", moment=moment_words(row.until.astimezone(zone), now)) if row.until
                 else t("override.ends_at_next_change"))
        key = kind_key("override.active_open" if row.mode == "open" else "override.active_closed", kind)
        views.append(ActiveOverride(row.id, row.mode == "open", t(
            key, reason=row.reason, until=until, who=row.created_by or "—",
            start=moment_words(row.starts_at.astimezone(zone), now))))
    return views


def kind_key(key: str, kind: str) -> str:
    """The key of the words for a centre (masculine: "Le centre est fermé"), when they differ from a line's."""
    return f"{key}.centre" if kind == "centre" else key


def confirmation(mode: str, until: datetime | None, schedule: Schedule, now: datetime, kind: str = "line") -> str:
    """"La ligne est fermée jusqu'au mardi 24 novembre 2026 à 14:00 (heure de Bruxelles).", read from the
    schedule with the new decision in it, so it says exactly what callers will hear."""
    zone = ZoneInfo(schedule.timezone)
    ends = until or status_at(schedule, now).changes_at
    if ends is None:
        return t(kind_key(f"override.created_{mode}", kind))
    return t(kind_key(f"override.created_{mode}_until", kind), moment=moment_words(ends.astimezone(zone)),
             zone=zone_city(schedule.timezone))


def status_words(view: StatusView, kind: str = "line") -> str:
    """A line's or centre's state in one line, its badge in the right gender ("Fermée" / "Fermé")."""
    badge = t(kind_key("dashboard.open" if view.is_open else "dashboard.closed", kind))
    return f"{badge} {view.reason} — {view.change}"  # "Fermé par décision d'un coordinateur : …"


def audit_status_words(schedule: Schedule, now: datetime) -> str:
    """The schedule's state as the audit log keeps it, in the signed-in account's language (words.status, which
    the coordinators' phone line uses too)."""
    return schedule_status_words(schedule, now, current_language())


def centre_status_words(schedule: Schedule, now: datetime) -> str:
    return status_words(status_view(schedule, now), "centre")


def create_override(session: Session, account: ConsoleAccount, line: Line | Centre, schedule_id: int,
                    form: OverrideForm, until: datetime | None, now: datetime, kind: str = "line") -> OverrideRow:
    """Add the override, tell every worker to reload and audit it; the caller commits."""
    return place_override(session, account, line, schedule_id, form.mode, until, form.reason, now,
                          centre_status_words if kind == "centre" else audit_status_words, kind)


def delete_override(session: Session, account: ConsoleAccount, line: Line | Centre, schedule_id: int,
                    override_id: int, now: datetime, kind: str = "line") -> bool:
    """Lift one of the line's overrides; False when it is not there (lifted already, or another line's)."""
    return lift_override(session, account, line, schedule_id, override_id, now,
                         centre_status_words if kind == "centre" else audit_status_words, kind)
