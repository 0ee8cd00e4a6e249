"""Why the preview's call went where it went, in the reader's words: each step the engine recorded, named, with the
state of the line at that moment and the rule it applied (console/describe.py), never the engine's English log."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from console.describe import rule_words, status_change, status_reason
from console.texts import t
from routing.model import Line
from schedules import status_at

# Steps whose words are the rule they apply ("forward" → the rule that forwards).
RULE_STEPS = ("forward", "queue", "handoff", "message", "end", "association", "notify_email", "callback_offer")


def why_rows(events: list[tuple[str, int | None, datetime]], line: Line, withheld: bool,
             outcome: str | None) -> list[tuple[str, str]]:
    """(step, words) for each recorded step: ``events`` are (kind, rule index, moment)."""
    rows = []
    for kind, rule_index, moment in events:
        rows.append((_step_name(kind), _step_words(kind, rule_index, moment, line, withheld)))
    rows.append((t("why.step.outcome"), _outcome_words(outcome)))
    return rows


def _step_name(kind: str) -> str:
    words = t(f"why.step.{kind}")
    return words if words != f"why.step.{kind}" else t("why.step.other")


def _rule(line: Line, rule_index: int | None) -> str:
    if rule_index is None or not 0 <= rule_index < len(line.rules):
        return t("why.fallback_rule") if rule_index == len(line.rules) else ""
    words = rule_words(line.rules[rule_index])
    return t("why.rule", n=rule_index + 1, words=words[:1].lower() + words[1:])


def _step_words(kind: str, rule_index: int | None, moment: datetime, line: Line, withheld: bool) -> str:
    if kind == "incoming":
        return t("why.incoming_withheld" if withheld else "why.incoming_shown", line=line.name)
    if kind == "decision":
        status = status_at(line.schedule, moment)
        state = t("dashboard.open" if status.is_open else "dashboard.closed")
        local = moment.astimezone(ZoneInfo(line.schedule.timezone))
        return t("why.decision", state=f"{state} {status_reason(status)} — {status_change(status, local)}",
                 rule=_rule(line, rule_index) or t("why.no_rule"))
    if kind in RULE_STEPS:
        return _rule(line, rule_index) or t(f"why.kind.{kind}")
    words = t(f"why.kind.{kind}")
    return words if words != f"why.kind.{kind}" else t("why.kind.other")


def _outcome_words(outcome: str | None) -> str:
    if not outcome:
        return t("why.no_outcome")
    words = t(f"outcome.{outcome}")
    return words if words != f"outcome.{outcome}" else t("why.outcome_other")
