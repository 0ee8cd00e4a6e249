"""Each worker's cache of routing objects, rebuilt when the directory revision moves."""

from __future__ import annotations

import threading
import time as clock
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from directory_data.build import build_centre, build_line, build_override
from routing.chain import CentreIndex
from routing.model import Centre, Line
from routing.orientation import EMPTY_DIRECTORY, AssociationDirectory
from store.associations import association_directory
from store.directory import current_revision
from store.documents import centre_document, centres_query, line_document, lines_query
from store.models import ScheduleRow


def _overrides(schedule: ScheduleRow, now: datetime):
    return [
        build_override(o.mode, o.starts_at, o.until, o.reason)
        for o in schedule.overrides
        if o.until is None or o.until > now
    ]


@dataclass(frozen=True)
class Snapshot:
    """Every line and centre as routing objects, built once per directory revision."""

    revision: int
    lines_by_number: dict[str, Line]
    lines_by_slug: dict[str, Line]
    line_ids: dict[str, int]
    centres: CentreIndex
    associations: AssociationDirectory = EMPTY_DIRECTORY  # local associations callers are oriented to

    def line_for(self, number: str | None) -> Line | None:
        return self.lines_by_number.get(number or "")

    def line_for_pool(self, pool: str) -> Line | None:
        """The line whose queue settings govern a pool (its own pool first, else one that queues to it)."""
        for line in self.lines_by_slug.values():
            if line.pool == pool:
                return line
        for line in self.lines_by_slug.values():
            if any(r.action.kind.value == "queue" and r.action.target == pool for r in line.rules):
                return line
        return None


def build_snapshot(session: Session, now: datetime) -> Snapshot:
    revision = current_revision(session)
    by_number: dict[str, Line] = {}
    by_slug: dict[str, Line] = {}
    ids: dict[str, int] = {}
    for row in session.scalars(lines_query()):
        line = build_line(line_document(row), _overrides(row.schedule, now))
        by_slug[line.slug] = line
        ids[line.slug] = row.id
        for number in line.numbers:
            by_number[number] = line
    centres: dict[tuple[str, str], Centre] = {}
    for row in session.scalars(centres_query()):
        centre = build_centre(centre_document(row), _overrides(row.schedule, now))
        for code in centre.departments:
            centres[(centre.network, code)] = centre
    return Snapshot(revision, by_number, by_slug, ids, centres, association_directory(session))


class DirectoryCache:
    """Each worker keeps one snapshot and rebuilds it when the revision counter moves."""

    def __init__(self, check_seconds: float = 0.0):
        self.check_seconds = check_seconds
        self._snapshot: Snapshot | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()

    def get(self, session: Session, now: datetime) -> Snapshot:
        snapshot = self._snapshot
        monotonic = clock.monotonic()
        if snapshot is not None and monotonic - self._checked_at < self.check_seconds:
            return snapshot
        revision = current_revision(session)
        if snapshot is not None and snapshot.revision == revision:
            self._checked_at = monotonic
            return snapshot
        with self._lock:
            if self._snapshot is None or self._snapshot.revision != revision:
                self._snapshot = build_snapshot(session, now)
            self._checked_at = monotonic
            return self._snapshot

    def peek(self) -> Snapshot | None:
        """The last snapshot, whatever its age: for answering a caller while the database is down."""
        return self._snapshot

    def invalidate(self) -> None:
        self._snapshot = None
