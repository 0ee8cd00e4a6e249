"""Which local victim-support association a caller is oriented to: the nearest open one, by département then region.

"Nearest" is decided from data, not distances: an open association of the caller's own département first,
then an open one of another département of the same region (``region`` in departments.yaml). When nothing
is open nearby, a line that only *reads* the details still names the département's own association (or the
region's), with when it reopens; a hand-off never dials a closed one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Iterable, Mapping

from routing.reference import Department
from schedules import Schedule, Status, status_at

SAME_DEPARTMENT = "department"
SAME_REGION = "region"


@dataclass(frozen=True, slots=True)
class Association:
    """A local association as routing sees it: who, where, which number, when it answers, about what."""

    slug: str
    name: str
    department: str
    number: str  # E.164
    schedule: Schedule
    display_number: str = ""
    topics: tuple[str, ...] = ()
    fictitious: bool = False


@dataclass(frozen=True, slots=True)
class Orientation:
    association: Association
    status: Status  # open or closed now, why, and when that changes
    nearness: str  # SAME_DEPARTMENT or SAME_REGION

    @property
    def is_open(self) -> bool:
        return self.status.is_open

    def describe(self) -> str:
        state = "open" if self.is_open else "closed"
        where = "same département" if self.nearness == SAME_DEPARTMENT else "same region"
        return f"association {self.association.slug} ({where}, {state})"


@dataclass(frozen=True, slots=True)
class AssociationDirectory:
    """Every association, and the region of each département (from departments.yaml), for one snapshot."""

    associations: tuple[Association, ...] = ()
    regions: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def nearest(self, department: str, now: datetime, open_only: bool = False) -> Orientation | None:
        return nearest_association(self.associations, department, self.regions, now, open_only)


EMPTY_DIRECTORY = AssociationDirectory()


def regions_of(departments: Mapping[str, Department]) -> dict[str, str]:
    return {code: d.region for code, d in departments.items() if d.region}


def nearest_association(
    associations: Iterable[Association],
    department: str,
    regions: Mapping[str, str],
    now: datetime,
    open_only: bool = False,
) -> Orientation | None:
    """The association to name or dial for a caller of ``department`` at ``now``; None when there is none.

    Order: open in the département, open in the region, then (unless ``open_only``) the département's own
    and the region's, those reopening soonest first. Ties are broken by département code and name, so the
    same caller always hears the same association.
    """
    region = regions.get(department)
    nearby: list[Orientation] = []
    for association in associations:
        if association.department == department:
            nearness = SAME_DEPARTMENT
        elif region is not None and regions.get(association.department) == region:
            nearness = SAME_REGION
        else:
            continue
        nearby.append(Orientation(association, status_at(association.schedule, now), nearness))
    if not nearby:
        return None
    best = min(nearby, key=lambda o: _rank(o, now))
    if open_only and not best.is_open:
        return None
    return best


def _rank(orientation: Orientation, now: datetime) -> tuple:
    closed = not orientation.is_open
    elsewhere = orientation.nearness != SAME_DEPARTMENT
    # Closed ones: the one reopening soonest is the most useful to name; "never" goes last.
    reopens = orientation.status.changes_at if closed else None
    wait = (reopens - now).total_seconds() if reopens is not None else float("inf") if closed else 0.0
    association = orientation.association
    return closed, elsewhere, wait, association.department, association.name, association.slug
