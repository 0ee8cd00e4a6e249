"""Coordinator overrides: placed and lifted (from the console or by phone, audited alike), and deleted once over."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Callable

from flask import Flask
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from directory_data.build import build_override, build_schedule
from routing.model import Centre, Line
from schedules import Schedule, status_at
from store.directory import bump_revision
from store.documents import centre_document, centres_query, line_document, lines_query
from store.extension import database
from store.audit import record
from store.models import CentreRow, ConsoleAccount, LineRow, OverrideRow

logger = logging.getLogger(__name__)

# The schedule's state in the words of the account's language, as the audit log keeps it before and after.
StatusWords = Callable[[Schedule, datetime], str]


def active_rows(session: Session, schedule_id: int, now: datetime) -> list[OverrideRow]:
    """The schedule's overrides still in force or to come, oldest first."""
    return list(session.scalars(
        select(OverrideRow)
        .where(OverrideRow.schedule_id == schedule_id, or_(OverrideRow.until.is_(None), OverrideRow.until > now))
        .order_by(OverrideRow.starts_at, OverrideRow.id)
    ))


def schedule_as_saved(session: Session, schedule: Schedule, schedule_id: int, now: datetime) -> Schedule:
    """The line's schedule with the overrides the session now holds (the snapshot still has the old ones)."""
    overrides = tuple(build_override(r.mode, r.starts_at, r.until, r.reason)
                      for r in active_rows(session, schedule_id, now))
    return replace(schedule, overrides=overrides)


def place_override(session: Session, account: ConsoleAccount, line: Line | Centre, schedule_id: int, mode: str,
                   until: datetime | None, reason: str, now: datetime, status_words: StatusWords,
                   kind: str = "line") -> OverrideRow:
    """Close or force open from ``now`` until ``until`` (None: the next scheduled change); tell every worker to
    reload and audit it. The console and the coordinators' phone line both come here; the caller commits.
    ``line`` may be a département centre (``kind="centre"``): its schedule takes overrides the same way."""
    before = status_words(line.schedule, now)
    row = OverrideRow(schedule_id=schedule_id, mode=mode, starts_at=now, until=until, reason=reason,
                      created_by=account.email[:120])
    session.add(row)
    session.flush()
    bump_revision(session, now)
    after = status_words(schedule_as_saved(session, line.schedule, schedule_id, now), now)
    record(session, account, "override.create", (kind, line.slug), {"status": before}, {"status": after},
           now=now, detail=f"forçage {row.id} : {mode} jusqu'à {until.isoformat() if until else 'prochain changement'}"
                           f" ; {reason}")
    return row


def lift_override(session: Session, account: ConsoleAccount, line: Line | Centre, schedule_id: int, override_id: int,
                  now: datetime, status_words: StatusWords, kind: str = "line") -> bool:
    """Lift one of the line's overrides and audit it; False when it is not there (lifted, or another line's)."""
    row = session.get(OverrideRow, override_id)
    if row is None or row.schedule_id != schedule_id:
        return False
    before = status_words(line.schedule, now)
    detail = f"forçage {row.id} : {row.mode} ; {row.reason}"
    session.delete(row)
    session.flush()
    bump_revision(session, now)
    after = status_words(schedule_as_saved(session, line.schedule, schedule_id, now), now)
    record(session, account, "override.delete", (kind, line.slug), {"status": before}, {"status": after},
           detail=detail, now=now)
    return True


@dataclass(frozen=True)
class ExpiredOverride:
    id: int
    schedule_id: int


def expire(app: Flask) -> list[ExpiredOverride]:
    """The scheduler's job: delete every override that no longer applies, and tell the workers."""
    with app.app_context():
        now = app.config["CLOCK"]()
        with database.session() as session:
            expired = expire_overrides(session, now)
            session.commit()
    for override in expired:
        # There is no audit table yet: this line is the record that the override ended.
        logger.info("override %d on schedule %d expired", override.id, override.schedule_id)
    return expired


def expire_overrides(session: Session, now: datetime) -> list[ExpiredOverride]:
    """Delete the overrides that are over at ``now`` and bump the directory revision; the caller commits.

    An override with ``until`` is over once ``until`` has passed.  One "until the next scheduled change"
    (``until`` None) is over once the schedule without overrides has flipped since the override started,
    the very rule ``schedules.status_at`` applies to it.
    """
    # Locked, so a coordinator extending an override meanwhile waits for this transaction, not lost to it.
    candidates = list(session.scalars(
        select(OverrideRow)
        .where(or_(OverrideRow.until <= now, OverrideRow.until.is_(None)))
        .order_by(OverrideRow.id)
        .with_for_update()
    ))
    plain = _schedules_without_overrides(session, {row.schedule_id for row in candidates if row.until is None})
    expired = [row for row in candidates if row.until is not None or _changed_since(plain.get(row.schedule_id),
                                                                                  row.starts_at, now)]
    if not expired:
        return []
    for row in expired:
        session.delete(row)
    bump_revision(session, now)
    return [ExpiredOverride(row.id, row.schedule_id) for row in expired]


def _schedules_without_overrides(session: Session, schedule_ids: set[int]) -> dict[int, Schedule]:
    """The owning line's or centre's schedule, as routing builds it, with no override at all."""
    if not schedule_ids:
        return {}
    documents = [(row.schedule_id, line_document(row))
                 for row in session.scalars(lines_query().where(LineRow.schedule_id.in_(schedule_ids)))]
    documents += [(row.schedule_id, centre_document(row))
                  for row in session.scalars(centres_query().where(CentreRow.schedule_id.in_(schedule_ids)))]
    return {
        schedule_id: build_schedule(doc["timezone"], doc["hours"], doc.get("holidays"), doc.get("closures", ()))
        for schedule_id, doc in documents
    }


def _changed_since(schedule: Schedule | None, starts_at: datetime, now: datetime) -> bool:
    if schedule is None:  # no line or centre owns it: nothing says when it ends, so it stays
        return False
    change = status_at(schedule, starts_at).changes_at
    return change is not None and change <= now
