"""A line's overflow chain as written in its file or the console: each rule's one action, its `when` conditions
and that action's settings (ring timeouts, forward labels, pools, messages), made canonical with their problems."""

from __future__ import annotations

import re
from typing import Any

from directory_data.fields import (
    ACTIONS,
    CLOSED_REASONS,
    SIMPLE_CONDITIONS,
    SLUG,
    THRESHOLD_CONDITIONS,
    Problems,
    check_int,
    check_localized,
    check_target,
)

CONDITION = re.compile(r"^\s*([a-z_]+)\s*(?::\s*([a-z_]+)|>=\s*(\d+))?\s*$")


def check_overflow(value: Any, country: str, problems: Problems) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value:
        problems.add("overflow", "no_rule")
        return []
    rules = []
    for index, raw in enumerate(value):
        path = f"overflow[{index}]"
        if not isinstance(raw, dict):
            problems.add(path, "rule_shape")
            continue
        rule = _rule(raw, country, path, problems)
        if rule is not None:
            rules.append(rule)
    return rules


def _rule(raw: dict, country: str, path: str, problems: Problems) -> dict[str, Any] | None:
    """One overflow rule made canonical: its single action, its conditions and that action's settings."""
    action = _single_action(raw, path, problems)
    if action is None:
        return None
    _check_misplaced_settings(raw, action, path, problems)
    rule: dict[str, Any] = {"when": _conditions(raw.get("when", []), path, problems), "action": action}
    check_action = _ACTION_CHECKS.get(action, _check_flag_action)
    check_action(rule, raw, country, path, problems)
    return rule


def _single_action(raw: dict, path: str, problems: Problems) -> str | None:
    """The rule's one action key, after reporting unknown keys; None when there is not exactly one."""
    actions = [key for key in raw if key in ACTIONS]
    unknown = [key for key in raw if key not in ACTIONS and key not in ("when", "timeout", "label")]
    for key in unknown:
        problems.add(f"{path}.{key}", "rule_key", choices=", ".join(ACTIONS))
    if len(actions) != 1:
        problems.add(path, "rule_actions", choices=", ".join(ACTIONS))
        return None
    return actions[0]


def _check_misplaced_settings(raw: dict, action: str, path: str, problems: Problems) -> None:
    """Report a timeout or label that the rule's action would ignore."""
    # Silently ignoring these would let someone believe a message or a queue gives up after N seconds.
    if "timeout" in raw and action not in ("forward", "handoff") and not (
            action == "association" and raw.get("association") == "handoff"):
        problems.add(f"{path}.timeout", "timeout_without_ring")
    if "label" in raw and action != "forward":
        problems.add(f"{path}.label", "label_without_forward")


def _conditions(when: Any, path: str, problems: Problems) -> list[str]:
    """The rule's valid `when` conditions, spaces removed; a single string counts as a list of one."""
    when = [when] if isinstance(when, str) else when
    if not isinstance(when, list):
        problems.add(f"{path}.when", "when_shape")
        when = []
    conditions = [c for i, c in enumerate(when) if _condition_ok(c, f"{path}.when[{i}]", problems)]
    return [str(c).replace(" ", "") for c in conditions]


def _ring_timeout(raw: dict, default: int, path: str, problems: Problems) -> int:
    """How long a ringing action rings before the next rule, within 5–120 seconds."""
    return check_int(raw.get("timeout", default), f"{path}.timeout", problems, 5, 120)


def _check_forward(rule: dict, raw: dict, country: str, path: str, problems: Problems) -> None:
    """`forward: <number or line>`: its target, ring timeout and the label callers hear."""
    rule["target"] = check_target(raw["forward"], country, f"{path}.forward", problems)
    rule["timeout"] = _ring_timeout(raw, 20, path, problems)
    if raw.get("label"):
        rule["label"] = check_localized(raw["label"], f"{path}.label", problems)
    elif rule["target"] and rule["target"].startswith("+"):
        # Callers hear "Nous vous mettons en relation avec <label>": a number needs words, with their article.
        problems.add(f"{path}.label", "forward_label")


def _check_handoff(rule: dict, raw: dict, country: str, path: str, problems: Problems) -> None:
    """`handoff: department`: the only target there is, and its ring timeout."""
    if raw["handoff"] != "department":
        problems.add(f"{path}.handoff", "handoff_target")
    rule["target"] = "department"
    rule["timeout"] = _ring_timeout(raw, 25, path, problems)


def _check_queue(rule: dict, raw: dict, country: str, path: str, problems: Problems) -> None:
    """`queue: true` or `queue: <pool>`: the pool's name must be a slug."""
    argument = raw["queue"]
    if argument is not True and not (isinstance(argument, str) and SLUG.match(argument)):
        problems.add(f"{path}.queue", "pool_name")
    rule["target"] = argument if isinstance(argument, str) else None


def _check_association(rule: dict, raw: dict, country: str, path: str, problems: Problems) -> None:
    """`association: read|handoff`: read out or ring the nearest local association."""
    # The nearest local association (directory_data/associations.yaml), once the département is known.
    argument = raw["association"]
    if argument not in ("read", "handoff"):
        problems.add(f"{path}.association", "association_mode")
    rule["target"] = argument if argument in ("read", "handoff") else "read"
    if rule["target"] == "handoff":
        rule["timeout"] = _ring_timeout(raw, 25, path, problems)


def _check_message(rule: dict, raw: dict, country: str, path: str, problems: Problems) -> None:
    """`message: <prompt name>` or a localized text to speak."""
    argument = raw["message"]
    if isinstance(argument, str) and argument.isidentifier():
        rule["prompt"] = argument
    else:
        rule["text"] = check_localized(argument, f"{path}.message", problems, required=True)


def _check_flag_action(rule: dict, raw: dict, country: str, path: str, problems: Problems) -> None:
    """Actions without a setting are written `<action>: true` (`end: politely` too)."""
    action = rule["action"]
    argument = raw[action]
    if argument is not True and not (action == "end" and argument == "politely"):
        problems.add(f"{path}.{action}", "write_true")


_ACTION_CHECKS = {
    "forward": _check_forward,
    "handoff": _check_handoff,
    "queue": _check_queue,
    "association": _check_association,
    "message": _check_message,
}


def _condition_ok(condition: Any, path: str, problems: Problems) -> bool:
    match = CONDITION.match(str(condition))
    if not match:
        problems.add(path, "not_condition", value=condition)
        return False
    name, reason, threshold = match.groups()
    if threshold is not None:
        if name not in THRESHOLD_CONDITIONS:
            problems.add(path, "no_threshold_allowed", value=name, choices=", ".join(THRESHOLD_CONDITIONS))
            return False
        return True
    if name in THRESHOLD_CONDITIONS:
        problems.add(path, "threshold_needed", value=name)
        return False
    if name not in SIMPLE_CONDITIONS:
        problems.add(path, "unknown_condition", value=name)
        return False
    if reason is not None and name != "closed":
        problems.add(path, "no_reason_allowed", value=name)
        return False
    if reason is not None and reason not in CLOSED_REASONS:
        problems.add(path, "unknown_reason", value=reason, choices=", ".join(CLOSED_REASONS))
        return False
    return True
