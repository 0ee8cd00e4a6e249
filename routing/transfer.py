"""Where a listener may transfer a call in progress, pure: the caller's centre, association, lines, services, numbers.

A listener never types a number: every target comes from the directory (a département centre of the line's
network, the nearest open local association, another open line of the same country, a service the line names with
a number that can be dialled) or from the numbers a coordinator listed for the line (``transfer_numbers``, an
interpreter for instance). Each target has a stable ``key`` the desk and the keypad send back, and a label with its
article, as callers hear it after "Je vous mets en relation avec" ("le 107, Télé-Accueil").
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Iterable, Mapping

from routing.model import ActionKind, Centre, Line, Localized, TransferNumber
from routing.orientation import AssociationDirectory
from routing.reference import Department, Service
from schedules import status_at

MAX_TARGETS = 9  # one key each on the listener's keypad
RING_SECONDS = 30  # how long a third party's phone rings, unless the line's chain rings that number for longer or less
__all__ = ["MAX_TARGETS", "TargetKind", "TransferContext", "TransferNumber", "TransferTarget", "find_target",
           "spoken_service", "transfer_targets"]


class TargetKind(str, enum.Enum):
    CENTRE = "centre"
    ASSOCIATION = "association"
    LINE = "line"
    SERVICE = "service"
    NUMBER = "number"


@dataclass(frozen=True, slots=True)
class TransferTarget:
    key: str  # "centre:3977-94", "service:be-107", "number:+33199007001": what the desk and the keypad send back
    kind: TargetKind
    number: str  # E.164, dialled with the line's number as caller ID
    label: Localized  # "le centre du département 94, Val-de-Marne"
    department: str | None = None  # the centre's département, for the third party's whisper
    ring_seconds: int = RING_SECONDS
    pool: str | None = None  # another line of this engine: one of its pool's free listeners is dialled, not its menu

    def describe(self) -> str:
        """For call events: the key, never more (the key of a free number is the coordinator's, not a caller's)."""
        return self.key


@dataclass(frozen=True, slots=True)
class TransferContext:
    """What the directory offers around one call: the snapshot's centres, associations, lines, services."""

    centres: Mapping[tuple[str, str], Centre]
    associations: AssociationDirectory
    lines: Iterable[Line]
    services: Mapping[str, Service]
    departments: Mapping[str, Department]


def transfer_targets(line: Line, department: str | None, now: datetime, context: TransferContext) -> tuple[TransferTarget, ...]:
    """The targets a listener of ``line`` may transfer this caller to at ``now``, in the order they are offered:
    the caller's centre and association first (they know the caller's area), then lines, services, numbers.
    Closed centres, associations and lines are left out: a transfer must be answered. Each number once."""
    found = [
        *_centre(line, department, now, context),
        *_association(line, department, now, context),
        *_lines(line, now, context),
        *_services(line, context),
        *(TransferTarget(f"number:{n.number}", TargetKind.NUMBER, n.number, n.label) for n in line.transfer_numbers),
    ]
    own = set(line.numbers)
    seen: set[str] = set()
    targets = []
    for target in found:
        if target.number in own or target.number in seen:
            continue
        seen.add(target.number)
        targets.append(replace(target, ring_seconds=_ring_seconds(line, target)))
    return tuple(targets[:MAX_TARGETS])


def _ring_seconds(line: Line, target: TransferTarget) -> int:
    """As long as the line's own chain rings that place (its hand-off, a forward to that number), else RING_SECONDS."""
    for rule in line.rules:
        action = rule.action
        if (target.kind is TargetKind.CENTRE and action.kind is ActionKind.HANDOFF) or \
                (action.kind is ActionKind.FORWARD and action.number == target.number):
            return action.timeout
    return RING_SECONDS


def find_target(targets: Iterable[TransferTarget], key: str) -> TransferTarget | None:
    return next((target for target in targets if target.key == key), None)


def _centre(line: Line, department: str | None, now: datetime, context: TransferContext) -> list[TransferTarget]:
    network = line.handoff_network
    centre = context.centres.get((network, department)) if network and department else None
    if centre is None or not status_at(centre.schedule, now).is_open:
        return []
    named = context.departments.get(department)
    name = named.name if named else department
    label = Localized(fr=f"le centre du département {department}, {name}", en=f"the centre for département {department}, {name}")
    return [TransferTarget(f"centre:{centre.slug}", TargetKind.CENTRE, centre.number, label, department)]


def _association(line: Line, department: str | None, now: datetime, context: TransferContext) -> list[TransferTarget]:
    named = context.departments.get(department) if department else None
    if named is None or named.country != line.country:
        return []
    found = context.associations.nearest(department, now, open_only=True)
    if found is None:
        return []
    association = found.association
    label = Localized(fr=f"l'association {association.name}", en=f"the association {association.name}")
    return [TransferTarget(f"association:{association.slug}", TargetKind.ASSOCIATION, association.number, label,
                           association.department)]


def _lines(line: Line, now: datetime, context: TransferContext) -> list[TransferTarget]:
    others = sorted((other for other in context.lines if other.slug != line.slug and other.country == line.country),
                    key=lambda other: other.name.casefold())
    return [TransferTarget(f"line:{other.slug}", TargetKind.LINE, other.numbers[0],
                           Localized(fr=f"la ligne {other.name}", en=f"the {other.name} line"), pool=other.pool)
            for other in others if other.numbers and status_at(other.schedule, now).is_open]


def _services(line: Line, context: TransferContext) -> list[TransferTarget]:
    ids = dict.fromkeys(line.alternatives)
    targets = []
    for service_id in ids:
        service = context.services.get(service_id)
        if service is None or not service.can_forward or service.country != line.country:
            continue
        targets.append(TransferTarget(f"service:{service.id}", TargetKind.SERVICE, service.dial_number,
                                      Localized(fr=spoken_service(service, "fr"), en=spoken_service(service, "en"))))
    return targets


def spoken_service(service: Service, language: str) -> str:
    """"le 107, Télé-Accueil": the number as said, then the name (a name that is a number says it once)."""
    spoken, name = service.spoken.get(language), service.name.get(language)
    return spoken if name in (service.number, spoken) else f"{spoken}, {name}"
