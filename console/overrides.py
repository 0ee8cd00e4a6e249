"""A coordinator's "close now" / "force open": the form's checks, the override rows and their words.

An override is one ``OverrideRow`` on the line's schedule; saving or lifting one bumps the directory
revision so that every worker rebuilds its snapshot and the next call hears the new state.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Mapping
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from console.audit import record
from console.describe import moment_words
from console.overview import StatusView, status_view
from console.texts import t
from directory_data.build import build_override
from routing.model import Line
from schedules import Schedule
from store.directory import bump_revision
from store.models import ConsoleAccount, OverrideRow

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


def active_rows(session: Session, schedule_id: int, now: datetime) -> list[OverrideRow]:
    return list(session.scalars(
        select(OverrideRow)
        .where(OverrideRow.schedule_id == schedule_id, or_(OverrideRow.until.is_(None), OverrideRow.until > now))
        .order_by(OverrideRow.starts_at, OverrideRow.id)
    ))


def active_overrides(session: Session, schedule_id: int, timezone: str, now: datetime) -> list[ActiveOverride]:
    """Each decision still in force or to come, in words, for the line page and its "lever" buttons."""
    zone = ZoneInfo(timezone)
    views = []
    for row in active_rows(session, schedule_id, now):
        until = (t("override.ends_at", moment=moment_words(row.until.astimezone(zone), now)) if row.until
                 else t("override.ends_at_next_change"))
        key = "override.active_open" if row.mode == "open" else "override.active_closed"
        views.append(ActiveOverride(row.id, row.mode == "open", t(
            key, reason=row.reason, until=until, who=row.created_by or "—",
            start=moment_words(row.starts_at.astimezone(zone), now))))
    return views


def status_words(view: StatusView) -> str:
    badge = t("dashboard.open") if view.is_open else t("dashboard.closed")
    return f"{badge} {view.reason} — {view.change}"  # "Fermée par décision d'un coordinateur : …"


def _schedule_as_saved(session: Session, schedule: Schedule, schedule_id: int, now: datetime) -> Schedule:
    """The line's schedule with the overrides the session now holds (the snapshot still has the old ones)."""
    overrides = tuple(build_override(r.mode, r.starts_at, r.until, r.reason)
                      for r in active_rows(session, schedule_id, now))
    return replace(schedule, overrides=overrides)


def create_override(session: Session, account: ConsoleAccount, line: Line, schedule_id: int, form: OverrideForm,
                    until: datetime | None, now: datetime) -> OverrideRow:
    """Add the override, tell every worker to reload and audit it; the caller commits."""
    before = status_view(line.schedule, now)
    row = OverrideRow(schedule_id=schedule_id, mode=form.mode, starts_at=now, until=until, reason=form.reason,
                      created_by=account.email[:120])
    session.add(row)
    session.flush()
    bump_revision(session, now)
    after = status_view(_schedule_as_saved(session, line.schedule, schedule_id, now), now)
    record(session, account, "override.create", ("line", line.slug), {"status": status_words(before)},
           {"status": status_words(after)}, now=now,
           detail=f"forçage {row.id} : {form.mode} jusqu'à {until.isoformat() if until else 'prochain changement'}"
                  f" ; {form.reason}")
    return row


def delete_override(session: Session, account: ConsoleAccount, line: Line, schedule_id: int, override_id: int,
                    now: datetime) -> bool:
    """Lift one of the line's overrides; False when it is not there (lifted already, or another line's)."""
    row = session.get(OverrideRow, override_id)
    if row is None or row.schedule_id != schedule_id:
        return False
    before = status_view(line.schedule, now)
    detail = f"forçage {row.id} : {row.mode} ; {row.reason}"
    session.delete(row)
    session.flush()
    bump_revision(session, now)
    after = status_view(_schedule_as_saved(session, line.schedule, schedule_id, now), now)
    record(session, account, "override.delete", ("line", line.slug), {"status": status_words(before)},
           {"status": status_words(after)}, detail=detail, now=now)
    return True
