"""What the chain editor's pick lists offer: the directory's queues, the numbers a forward may dial, association modes.

A coordinator picks; nobody types a queue name or a number. A pick the lists do not offer (a form edited by
hand, a page left open while the directory changed) is refused with the loader's own problem codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.texts import current_language, t
from directory_data.reference import load_services
from phones.numbers import e164, shown_from
from routing.model import ActionKind
from store.directory_edits import Problem
from store.models import ListenerPool
from store.snapshot import Snapshot

ASSOCIATION_MODES = ("read", "handoff")


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class ChainChoices:
    pools: list[Choice]  # "" first: the line's own queue
    targets: list[Choice]  # services of the line's country, then the directory's numbers, then approved ones
    modes: list[Choice]
    own_numbers: frozenset[str]  # the line's Twilio numbers and its published number: a forward there loops


def chain_choices(session: Session, snapshot: Snapshot, raw: Mapping[str, Any]) -> ChainChoices:
    own = frozenset(raw.get("numbers") or ()) | _published(raw)
    return ChainChoices(_pools(session, snapshot), _targets(snapshot, raw, own),
                        [Choice(mode, t(f"chain.mode.{mode}")) for mode in ASSOCIATION_MODES], own)


def _published(raw: Mapping[str, Any]) -> frozenset[str]:
    """The line's published number (0800 30 030) as it is dialled, when it is a number at all."""
    number = e164(str(raw.get("display_number") or ""), raw.get("country") or "FR")
    return frozenset({number}) if number else frozenset()


def _pools(session: Session, snapshot: Snapshot) -> list[Choice]:
    """The line's own queue, then every queue of the directory: lines' queues and those listeners answer."""
    names: dict[str, str] = {}
    for line in snapshot.lines_by_slug.values():
        for pool in [line.pool] + [r.action.target for r in line.rules if r.action.kind is ActionKind.QUEUE]:
            if pool and isinstance(pool, str):
                names.setdefault(pool, line.name)
    for pool in session.scalars(select(ListenerPool.pool).distinct()):
        names.setdefault(pool, "")
    choices = [Choice("", t("chain.pool.own"))]
    for pool in sorted(names):
        owner = names[pool]
        label = t("chain.pool.of_line", pool=pool, line=owner) if owner else t("chain.pool.listeners", pool=pool)
        choices.append(Choice(pool, label))
    return choices


def _targets(snapshot: Snapshot, raw: Mapping[str, Any], own: frozenset[str]) -> list[Choice]:
    language = current_language()
    country = raw.get("country") or "FR"
    choices = [Choice(service.id, t("chain.target.service", number=service.number, name=service.name.get(language)))
               for service in load_services().values() if service.country == country and service.can_forward]
    numbers: dict[str, str] = {}

    def shown(number: str) -> str:
        return shown_from(number, country) or number

    for line in sorted(snapshot.lines_by_slug.values(), key=lambda line: line.name):
        for number in line.numbers:
            numbers.setdefault(number, t("chain.target.line", name=line.name, number=shown(number)))
    for centre in sorted(snapshot.centres.values(), key=lambda centre: centre.name):
        if centre.number:
            numbers.setdefault(centre.number, t("chain.target.centre", name=centre.name, number=shown(centre.number)))
    for number in raw.get("forward_numbers") or ():
        numbers.setdefault(number, t("chain.target.approved", number=shown(number)))
    fallback = raw.get("emergency_fallback")
    if isinstance(fallback, str) and fallback.startswith("+"):
        numbers.setdefault(fallback, t("chain.target.fallback", number=shown(fallback)))
    choices += [Choice(number, label) for number, label in numbers.items() if number not in own]
    return choices


def with_current(choices: list[Choice], current: str) -> list[Choice]:
    """The list, with the rule's present value added when the lists no longer offer it (shown, then refused)."""
    if not current or any(choice.value == current for choice in choices):
        return choices
    return choices + [Choice(current, t("chain.target.unlisted", value=current))]


def pick_problems(rules: list[dict[str, Any]], choices: ChainChoices, country: str) -> list[Problem]:
    """What the pick lists forbid and the loader lets through: a queue nobody knows, a forward to the line's
    published number (the loader knows only its Twilio numbers as itself)."""
    pools = {choice.value for choice in choices.pools if choice.value}
    problems = []
    for index, rule in enumerate(rules):
        pool = rule.get("queue")
        if isinstance(pool, str) and pool not in pools:
            problems.append(Problem(f"overflow[{index}].queue", "unknown_pool", {"value": pool}))
        target = rule.get("forward")
        if isinstance(target, str) and e164(target, country) in choices.own_numbers:
            problems.append(Problem(f"overflow[{index}]", "self_forward"))
    return problems
