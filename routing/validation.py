"""Checks that reject overflow chains which cannot work: self-forwards, loops between lines, dead rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from routing.model import ASSOCIATION_MODES, DIALLING_ACTIONS, ActionKind, Condition, Line, When

# Each problem's code and its English words; the directory's problem catalogue includes these.
MESSAGES = {
    "self_forward": "forwards to the line's own number",
    "unreachable": "can never be reached: an earlier rule always ends the call",
    "forward_failed_first": "waits for a failed forward, but no earlier rule dials anyone",
    "association_rule_mode": "an association rule reads (read) or dials (handoff)",
    "fallback_own_number": "the emergency fallback is the line's own number",
    "loop": "forwarding loop between lines: {value}",
}


@dataclass(frozen=True, slots=True)
class ChainProblem:
    line: str
    rule_index: int | None  # None: the problem is the line's, not one rule's
    code: str
    key: str | None = None  # the setting at fault when it is not a rule (emergency_fallback)
    value: str = ""  # the lines of a loop, in the order a call goes round

    @property
    def values(self) -> dict[str, str]:
        return {"value": self.value} if self.value else {}

    @property
    def message(self) -> str:
        return MESSAGES[self.code].format(**self.values)

    def key_path(self) -> str:
        if self.key is not None:
            return self.key
        return "overflow" if self.rule_index is None else f"overflow[{self.rule_index}]"


def chain_problems(line: Line) -> list[ChainProblem]:
    """Problems inside one line's chain."""
    problems: list[ChainProblem] = []
    own_numbers = set(line.numbers)
    earlier_ends: list[frozenset[When]] = []
    dialled_before = False
    for index, rule in enumerate(line.rules):
        action = rule.action
        conditions = frozenset(rule.when) or frozenset({When(Condition.ALWAYS)})
        if action.kind is ActionKind.FORWARD and action.number in own_numbers:
            problems.append(ChainProblem(line.slug, index, "self_forward"))
        if _never_reached(conditions, earlier_ends):
            problems.append(
                ChainProblem(line.slug, index, "unreachable")
            )
        if any(w.condition is Condition.FORWARD_FAILED for w in conditions) and not dialled_before:
            problems.append(
                ChainProblem(line.slug, index, "forward_failed_first")
            )
        if action.kind in DIALLING_ACTIONS or (action.kind is ActionKind.ASSOCIATION and action.target == "handoff"):
            dialled_before = True
        if action.kind is ActionKind.ASSOCIATION and action.target not in ASSOCIATION_MODES:
            problems.append(ChainProblem(line.slug, index, "association_rule_mode"))
        if action.kind is ActionKind.END:
            earlier_ends.append(conditions)
    if line.emergency_fallback and line.emergency_fallback in own_numbers:
        problems.append(
            ChainProblem(line.slug, None, "fallback_own_number", "emergency_fallback")
        )
    return problems


def _implies(condition: When, other: When) -> bool:
    """Whenever ``condition`` holds, ``other`` holds too (closed:holiday implies closed, >=5 implies >=3)."""
    if other.condition is Condition.ALWAYS or condition == other:
        return True
    if condition.condition is not other.condition:
        return False
    if other.condition is Condition.CLOSED:
        return other.reason is None
    if condition.threshold is not None and other.threshold is not None:
        return condition.threshold >= other.threshold
    return False


def _never_reached(conditions: frozenset[When], earlier_ends: list[frozenset[When]]) -> bool:
    always = When(Condition.ALWAYS)
    for ended in earlier_ends:
        # An earlier "end" whose conditions all hold whenever this rule's do catches every call first.
        if all(any(_implies(mine, theirs) for mine in conditions) for theirs in ended):
            return True
    # "end when open" and "end when closed" together end every call.
    ended_open = any(e <= {When(Condition.OPEN), always} for e in earlier_ends)
    ended_closed = any(e <= {When(Condition.CLOSED), always} for e in earlier_ends)
    return ended_open and ended_closed


def forwarding_loops(lines: Iterable[Line]) -> list[ChainProblem]:
    """Lines that forward to each other in a circle (A → B → A): a caller would ring around forever."""
    lines = list(lines)
    owner = {number: line.slug for line in lines for number in line.numbers}
    edges: dict[str, set[str]] = {line.slug: set() for line in lines}
    for line in lines:
        targets = [r.action.number for r in line.rules if r.action.kind is ActionKind.FORWARD]
        targets.append(line.emergency_fallback)
        for number in targets:
            if number in owner and owner[number] != line.slug:
                edges[line.slug].add(owner[number])
    problems: list[ChainProblem] = []
    reported: set[frozenset[str]] = set()
    by_slug = {line.slug: line for line in lines}
    for start in sorted(edges):
        cycle = _cycle_from(start, edges)
        if cycle and frozenset(cycle) not in reported:
            reported.add(frozenset(cycle))
            path = " → ".join(cycle + [cycle[0]])
            next_line = cycle[1] if len(cycle) > 1 else cycle[0]
            index, key = _forward_into(by_slug[start], set(by_slug[next_line].numbers))
            problems.append(ChainProblem(start, index, "loop", key, path))
    return problems


def _forward_into(line: Line, numbers: set[str]) -> tuple[int | None, str | None]:
    """Where ``line`` sends callers to one of ``numbers``: (rule index, None) or (None, "emergency_fallback")."""
    for index, rule in enumerate(line.rules):
        if rule.action.kind is ActionKind.FORWARD and rule.action.number in numbers:
            return index, None
    return None, "emergency_fallback"


def _cycle_from(start: str, edges: dict[str, set[str]]) -> list[str] | None:
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    while stack:
        node, path = stack.pop()
        for nxt in sorted(edges.get(node, ())):
            if nxt == start:
                return path
            if nxt not in path:
                stack.append((nxt, path + [nxt]))
    return None
