"""The overflow chain editor's form: each rule's conditions and action, to and from the line's file."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from console.schedules.problems import problem_words
from console.texts import t
from directory_data.fields import ACTIONS, CLOSED_REASONS
from store.directory_edits import Problem

STATES = ("", "open", "closed") + tuple(f"closed:{reason}" for reason in CLOSED_REASONS)
FLAGS = ("no_listener_logged_in", "no_listener_available", "forward_failed")
THRESHOLDS = ("queue_length", "estimated_wait")
TIMED = ("forward", "handoff")
MAX_RULES = 20
RULE_PATH = re.compile(r"^overflow\[(?P<index>\d+)\](?:\.(?P<key>[a-z_]+))?")
FIELD_OF_KEY = {"forward": "target", "queue": "pool", "association": "mode", "timeout": "timeout", "label": "label",
                "message": "message", "when": "conditions", "handoff": "action"}
# Where each error's link in the summary takes the focus: the field itself, a rule's first control otherwise.
FIELD_ORDER = ("rule", "conditions", "action", "pool", "target", "mode", "timeout", "label", "message")
CONTROL_OF_ERROR = {"rule": "action", "conditions": "state"}


@dataclass
class RuleForm:
    state: str = ""
    flags: set[str] = field(default_factory=set)
    thresholds: dict[str, str] = field(default_factory=dict)
    action: str = "end"
    pool: str = ""  # a queue's pool ("": the line's own)
    target: str = ""  # a forward's service id or number
    mode: str = "read"  # an association rule's: read its details, or hand the call off to it
    timeout: str = ""
    label: str = ""
    label_en: str = ""
    message: str = ""
    message_en: str = ""
    errors: dict[str, str] = field(default_factory=dict)  # conditions, pool, target, mode, timeout, label, message, rule


@dataclass
class ChainForm:
    rules: list[RuleForm]
    general: list[str] = field(default_factory=list)
    focus: str = ""  # the button to give the focus back to after a move
    notice: str = ""  # what the move did, said to screen readers too; the draft is not saved yet

    def error_links(self) -> list[tuple[str, str]]:
        """Every error as the summary above the form lists it: the id of the field to go to, and the words."""
        links = [("chain-rules", words) for words in self.general]
        for index, rule in enumerate(self.rules):
            for key in sorted(rule.errors, key=lambda key: FIELD_ORDER.index(key) if key in FIELD_ORDER else 99):
                control = f"rule-{index}-{CONTROL_OF_ERROR.get(key, key)}"
                links.append((control, t("chain.error_in_rule", n=index + 1, words=rule.errors[key])))
        return links


def chain_form(raw: Mapping[str, Any]) -> ChainForm:
    return ChainForm([_rule_form(rule) for rule in raw.get("overflow") or ()])


def _rule_form(rule: Mapping[str, Any]) -> RuleForm:
    form = RuleForm()
    _conditions_form(rule.get("when", []), form)
    form.action = next((key for key in rule if key in ACTIONS), "end")
    _argument_form(form, rule.get(form.action))
    form.timeout = str(rule.get("timeout", ""))
    form.label, form.label_en = _both_languages(rule.get("label") or "")
    return form


def _conditions_form(when: Any, form: RuleForm) -> None:
    for condition in [when] if isinstance(when, str) else list(when):
        name, _, threshold = str(condition).partition(">=")
        if threshold:
            form.thresholds[name] = threshold
        elif name in FLAGS:
            form.flags.add(name)
        elif name in STATES:
            form.state = name


def _argument_form(form: RuleForm, argument: Any) -> None:
    """The action's setting in the field that picks or types it: a pool, a target, a mode, a message."""
    if form.action == "queue":
        form.pool = "" if argument is True else str(argument or "")
    elif form.action == "forward":
        form.target = str(argument or "")
    elif form.action == "association":
        form.mode = str(argument or "")
    elif form.action == "message":
        form.message, form.message_en = _both_languages(argument or "")


def _both_languages(text: Any) -> tuple[str, str]:
    """(French, English) of a text the file writes plain (French) or as {fr: …, en: …}."""
    if isinstance(text, dict):
        return text.get("fr", ""), text.get("en", "")
    return str(text), ""


def read_chain(values) -> ChainForm:
    """The rules as typed, then the button's move applied (up, down, remove, add): nothing is saved yet."""
    count = min(values.get("rules", 0, type=int) or 0, MAX_RULES)
    rules = [_read_rule(values, index) for index in range(count)]
    form = ChainForm(rules)
    operation, _, which = values.get("op", "save").partition("-")
    index = int(which) if which.isdigit() and int(which) < len(rules) else None
    if operation == "up" and index:
        rules[index - 1], rules[index] = rules[index], rules[index - 1]
        form.focus = f"up-{index - 1}" if index - 1 else f"down-{index - 1}"
        form.notice = "chain.moved"
    elif operation == "down" and index is not None and index + 1 < len(rules):
        rules[index], rules[index + 1] = rules[index + 1], rules[index]
        form.focus = f"down-{index + 1}" if index + 2 < len(rules) else f"up-{index + 1}"
        form.notice = "chain.moved"
    elif operation == "remove" and index is not None:
        del rules[index]
        form.focus, form.notice = "add", "chain.removed"
    elif operation == "add" and len(rules) < MAX_RULES:
        rules.append(RuleForm())
        form.focus, form.notice = f"action-{len(rules) - 1}", "chain.added"
    return form


def _read_rule(values, index: int) -> RuleForm:
    def value(name: str, size: int = 200) -> str:
        return values.get(f"rule-{index}-{name}", "").strip()[:size]

    state = value("state", 40)
    action = value("action", 20)
    return RuleForm(
        state=state if state in STATES else "",
        flags={flag for flag in FLAGS if values.get(f"rule-{index}-{flag}") == "yes"},
        thresholds={name: value(name, 6) for name in THRESHOLDS if value(name, 6)},
        action=action if action in ACTIONS else "end",
        pool=value("pool", 64), target=value("target", 64), mode=value("mode", 20), timeout=value("timeout", 6), label=value("label", 120), label_en=value("label_en", 120),
        message=value("message", 500), message_en=value("message_en", 500),
    )


def raw_chain(form: ChainForm) -> list[dict[str, Any]]:
    """The chain as its file would say it; a field that is not even a value the file could hold is left out and
    its error is in ``rule.errors``, so that the loader still says what else is wrong."""
    return [_raw_rule(rule) for rule in form.rules]


def _raw_rule(rule: RuleForm) -> dict[str, Any]:
    """One rule of the form as its file would say it; fields the file could not hold go to ``rule.errors``."""
    raw: dict[str, Any] = {}
    when = _raw_conditions(rule)
    if when:
        raw["when"] = when[0] if len(when) == 1 else when
    _RAW_ACTIONS.get(rule.action, _raw_flag_action)(rule, raw)
    if rule.action in TIMED and rule.timeout:
        if rule.timeout.isdigit():
            raw["timeout"] = int(rule.timeout)
        else:
            rule.errors["timeout"] = t("chain.timeout_invalid")
    if rule.action == "forward" and rule.label:
        raw["label"] = _localized(rule.label, rule.label_en)
    return raw


def _raw_conditions(rule: RuleForm) -> list[str]:
    """The state, then the flags, then the thresholds (`name>=N`); a threshold that is not a number is an error."""
    when = ([rule.state] if rule.state else []) + sorted(rule.flags)
    for name, typed in sorted(rule.thresholds.items()):
        if typed.isdigit():
            when.append(f"{name}>={int(typed)}")
        else:
            rule.errors["conditions"] = t("chain.threshold_invalid")
    return when


def _localized(french: str, english: str) -> str | dict[str, str]:
    """A text as the file writes it: plain French, or both languages when there is an English one."""
    return {"fr": french, "en": english} if english else french


def _raw_queue(rule: RuleForm, raw: dict[str, Any]) -> None:
    raw["queue"] = rule.pool or True


def _raw_forward(rule: RuleForm, raw: dict[str, Any]) -> None:
    raw["forward"] = rule.target
    if not rule.target:
        rule.errors["target"] = t("chain.target_missing")


def _raw_handoff(rule: RuleForm, raw: dict[str, Any]) -> None:
    raw["handoff"] = "department"


def _raw_message(rule: RuleForm, raw: dict[str, Any]) -> None:
    raw["message"] = _localized(rule.message, rule.message_en)
    if not rule.message:
        rule.errors["message"] = t("chain.message_missing")


def _raw_association(rule: RuleForm, raw: dict[str, Any]) -> None:
    raw["association"] = rule.mode or "read"


def _raw_flag_action(rule: RuleForm, raw: dict[str, Any]) -> None:
    """Actions without a setting are written `<action>: true`."""
    raw[rule.action] = True


# How each action kind writes its own key (and reports its missing field).
_RAW_ACTIONS = {"queue": _raw_queue, "forward": _raw_forward, "handoff": _raw_handoff, "message": _raw_message,
                "association": _raw_association}


def place_chain_problems(form: ChainForm, problems: list[Problem]) -> None:
    """Each problem next to its field; a field the form already refused keeps the form's words only."""
    typed = [set(rule.errors) for rule in form.rules]
    for problem in problems:
        found = RULE_PATH.match(problem.path)
        words = problem_words(problem)
        if found and int(found["index"]) < len(form.rules):
            rule = form.rules[int(found["index"])]
            key = FIELD_OF_KEY.get(found["key"] or "", "rule")
            if key in typed[int(found["index"])]:
                continue
            if words not in rule.errors.get(key, ""):
                rule.errors[key] = f"{rule.errors[key]} {words}" if key in rule.errors else words
        elif words not in form.general:
            form.general.append(words)
