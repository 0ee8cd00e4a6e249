"""The routing decision: from a line, the call's facts, a moment and the live state, a plan of steps and why."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Mapping

from schedules import Reason, Status, status_at

from routing.orientation import EMPTY_DIRECTORY, AssociationDirectory, Orientation
from routing.model import (
    PASS_THROUGH_ACTIONS,
    Action,
    ActionKind,
    CallFacts,
    Centre,
    Condition,
    Line,
    LiveState,
    OverflowRule,
    When,
)


class StepKind(str, enum.Enum):
    QUEUE = "queue"
    FORWARD = "forward"
    HANDOFF = "handoff"
    ASK_DEPARTMENT = "ask_department"
    MESSAGE = "message"
    CALLBACK = "callback"
    NOTIFY_EMAIL = "notify_email"
    END = "end"
    EMERGENCY_FALLBACK = "emergency_fallback"
    ASSOCIATION = "association"  # read the nearest association's details, or dial it (action.target)


_STEP_OF_ACTION = {
    ActionKind.QUEUE: StepKind.QUEUE,
    ActionKind.FORWARD: StepKind.FORWARD,
    ActionKind.HANDOFF: StepKind.HANDOFF,
    ActionKind.MESSAGE: StepKind.MESSAGE,
    ActionKind.CALLBACK: StepKind.CALLBACK,
    ActionKind.NOTIFY_EMAIL: StepKind.NOTIFY_EMAIL,
    ActionKind.END: StepKind.END,
    ActionKind.ASSOCIATION: StepKind.ASSOCIATION,
}

CLOSED_REASON_WORDS = {
    Reason.OVERRIDE_CLOSED: "closed by a coordinator",
    Reason.CLOSURE: "dated closure",
    Reason.HOLIDAY: "public holiday",
    Reason.OUTSIDE_HOURS: "outside opening hours",
}

CentreIndex = Mapping[tuple[str, str], Centre]  # (network, department code) -> centre


@dataclass(frozen=True, slots=True)
class Step:
    kind: StepKind
    rule_index: int  # the rule it comes from; len(rules) for the emergency fallback
    action: Action | None = None
    centre: Centre | None = None
    number: str | None = None  # what a FORWARD, HANDOFF, EMERGENCY_FALLBACK or association hand-off dials
    orientation: Orientation | None = None  # ASSOCIATION: which association, open or not, how near

    @property
    def holds_the_call(self) -> bool:
        return self.kind not in (StepKind.MESSAGE, StepKind.NOTIFY_EMAIL)


@dataclass(frozen=True, slots=True)
class Decision:
    status: Status
    steps: tuple[Step, ...]
    trace: tuple[str, ...]

    @property
    def final_step(self) -> Step:
        return self.steps[-1]

    @property
    def next_rule(self) -> int:
        """Where the chain resumes if the final step fails."""
        return self.final_step.rule_index + 1

    def explain(self) -> str:
        return " → ".join(self.trace)


def describe_status(status: Status) -> str:
    if status.is_open:
        why = "forced open by a coordinator" if status.reason is Reason.OVERRIDE_OPEN else "weekly hours"
        text = f"open ({why})"
    else:
        text = f"closed: {CLOSED_REASON_WORDS.get(status.reason, status.reason.value)}"
    if status.detail:
        text += f" {status.detail}"
    if status.changes_at is not None:
        text += f", {'closes' if status.is_open else 'reopens'} {status.changes_at:%a %Y-%m-%d %H:%M}"
    return text


def condition_holds(when: When, status: Status, facts: CallFacts, line: Line, live: LiveState) -> bool:
    condition = when.condition
    if condition is Condition.ALWAYS:
        return True
    if condition is Condition.OPEN:
        return status.is_open
    if condition is Condition.CLOSED:
        return not status.is_open and (when.reason is None or when.reason is status.reason)
    if condition is Condition.FORWARD_FAILED:
        return facts.forward_failed
    pool = live.pool(line.pool)
    if condition is Condition.NO_LISTENER_LOGGED_IN:
        return pool.logged_in == 0
    if condition is Condition.NO_LISTENER_AVAILABLE:
        return pool.available == 0
    if condition is Condition.QUEUE_LENGTH_AT_LEAST:
        return pool.queue_length >= (when.threshold or 0)
    if condition is Condition.ESTIMATED_WAIT_AT_LEAST:
        return pool.estimated_wait >= (when.threshold or 0)
    raise ValueError(f"unknown condition {condition!r}")


def decide(
    line: Line,
    facts: CallFacts,
    now: datetime,
    live: LiveState,
    centres: CentreIndex,
    start_at: int = 0,
    status: Status | None = None,
    associations: AssociationDirectory = EMPTY_DIRECTORY,
) -> Decision:
    """Walk the overflow chain from rule ``start_at`` and return the steps to play, ending with one that
    holds the call (queue, forward, hand-off, question, end) — never an empty plan."""
    if status is None:
        status = status_at(line.schedule, now)
    trace = [describe_status(status)]
    if facts.forward_failed:
        trace.append("previous forward failed")
    steps: list[Step] = []
    rules = line.rules
    for index in range(start_at, len(rules)):
        rule = rules[index]
        if not all(condition_holds(w, status, facts, line, live) for w in rule.when):
            continue
        if rule.action.kind is ActionKind.ASSOCIATION:
            step = _association_step(index, rule.action, facts, now, associations, trace)
        else:
            step = _step_for(index, rule, line, facts, now, live, centres, trace)
        if step is None:
            continue
        steps.append(step)
        trace.append(f"rule {index + 1}: {rule.action.describe()}")
        if step.holds_the_call:
            return Decision(status, tuple(steps), tuple(trace))
    steps.append(_last_resort(line, start_at, trace))
    return Decision(status, tuple(steps), tuple(trace))


def _step_for(
    index: int,
    rule: OverflowRule,
    line: Line,
    facts: CallFacts,
    now: datetime,
    live: LiveState,
    centres: CentreIndex,
    trace: list[str],
) -> Step | None:
    action = rule.action
    if action.kind is ActionKind.QUEUE:
        pool = live.pool(action.target or line.pool)
        if pool.logged_in == 0:
            trace.append(f"rule {index + 1}: pool {action.target} has no listener logged in, skipped")
            return None
        if pool.queue_length >= line.queue.max_size:
            trace.append(f"rule {index + 1}: pool {action.target} is full ({pool.queue_length} waiting), skipped")
            return None
        return Step(StepKind.QUEUE, index, action)
    if action.kind is ActionKind.FORWARD:
        return Step(StepKind.FORWARD, index, action, number=action.number)
    if action.kind is ActionKind.HANDOFF:
        return _handoff_step(index, action, line, facts, now, centres, trace)
    if action.kind in PASS_THROUGH_ACTIONS or action.kind in (ActionKind.CALLBACK, ActionKind.END):
        return Step(_STEP_OF_ACTION[action.kind], index, action)
    raise ValueError(f"unknown action {action.kind!r}")


def _handoff_step(
    index: int,
    action: Action,
    line: Line,
    facts: CallFacts,
    now: datetime,
    centres: CentreIndex,
    trace: list[str],
) -> Step | None:
    network = line.handoff_network or line.slug
    if facts.department is None:
        if facts.department_asked:
            trace.append(f"rule {index + 1}: department unknown, national route")
        elif network_has_open_centre(centres, network, now):
            return Step(StepKind.ASK_DEPARTMENT, index, action)
        else:
            # Asking for a postal code that can only lead to a closed centre would put a question before the
            # truth: the caller goes straight on, and a closed line says so first.
            trace.append(f"rule {index + 1}: every centre of the network is closed, postal code not asked")
        return None
    centre = centres.get((network, facts.department))
    if centre is None:
        trace.append(f"rule {index + 1}: no centre for department {facts.department}, national route")
        return None
    centre_status = status_at(centre.schedule, now)
    if not centre_status.is_open:
        trace.append(
            f"rule {index + 1}: centre {centre.name} {describe_status(centre_status)}, national route"
        )
        return None
    return Step(StepKind.HANDOFF, index, action, centre=centre, number=centre.number)


# (network) -> (the centres mapping it was computed for, answer, valid from, valid until): the answer cannot
# change before the first centre's next opening or closing, so a busy night asks no schedule at all. The
# mapping is kept in the entry, so a new snapshot (a coordinator's edit) never matches an old answer.
_OPEN_CENTRES: dict[str, tuple[CentreIndex, bool, datetime, datetime | None]] = {}


def network_has_open_centre(centres: CentreIndex, network: str, now: datetime) -> bool:
    """Whether any centre a line hands calls off to is open at ``now`` (worth asking a postal code for)."""
    cached = _OPEN_CENTRES.get(network)
    if cached is not None and cached[0] is centres and cached[2] <= now and (cached[3] is None or now < cached[3]):
        return cached[1]
    answer, until, seen = False, None, set()
    for (centre_network, _), centre in centres.items():
        if centre_network != network or id(centre) in seen:
            continue
        seen.add(id(centre))
        status = status_at(centre.schedule, now)
        if status.changes_at is not None and (until is None or status.changes_at < until):
            until = status.changes_at
        if status.is_open:
            answer, until = True, status.changes_at  # open at least until this centre closes
            break
    _OPEN_CENTRES[network] = (centres, answer, now, until)
    return answer


def _association_step(
    index: int,
    action: Action,
    facts: CallFacts,
    now: datetime,
    associations: AssociationDirectory,
    trace: list[str],
) -> Step | None:
    """Orient the caller once their département is known: ask it first, like a hand-off to a centre."""
    if facts.department is None:
        if not facts.department_asked:
            return Step(StepKind.ASK_DEPARTMENT, index, action)
        trace.append(f"rule {index + 1}: department unknown, no association to name")
        return None
    handoff = action.target == "handoff"
    orientation = associations.nearest(facts.department, now, open_only=handoff)
    if orientation is None:
        what = "open association" if handoff else "association"
        trace.append(f"rule {index + 1}: no {what} near department {facts.department}, skipped")
        return None
    trace.append(f"rule {index + 1}: {orientation.describe()}")
    return Step(StepKind.ASSOCIATION, index, action, orientation=orientation,
                number=orientation.association.number if handoff else None)


def _last_resort(line: Line, start_at: int, trace: list[str]) -> Step:
    """Every rule has been tried: the emergency fallback once, then a final message; never silence."""
    fallback_index = len(line.rules)
    if line.emergency_fallback and start_at <= fallback_index:
        trace.append(f"chain exhausted: emergency fallback {line.emergency_fallback_label or ''}".rstrip())
        return Step(StepKind.EMERGENCY_FALLBACK, fallback_index, number=line.emergency_fallback)
    trace.append("chain exhausted: final message")
    return Step(StepKind.END, fallback_index + 1)
