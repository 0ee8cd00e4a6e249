"""Canonical documents for a line and a centre, validated as written in a file or in the console."""
# Over 300 lines: a line file's settings, menu and overflow rules are checked together, with one Problems.

from __future__ import annotations

import re
from typing import Any

from directory_data.callback_settings import check_callback, check_email_settings, check_retention
from directory_data.categories import check_categories, check_throttle
from directory_data.pools import check_queue
from directory_data.reference import safety_countries
from directory_data.transfers import check_transfer_numbers
from directory_data.fields import (
    ACTIONS,
    CLOSED_REASONS,
    SIMPLE_CONDITIONS,
    SLUG,
    THRESHOLD_CONDITIONS,
    Problems,
    check_alternatives,
    check_audio_url,
    check_bool,
    check_choice,
    check_closures,
    check_email,
    check_holidays,
    check_hours,
    check_int,
    check_key,
    check_language,
    check_localized,
    check_numbers,
    check_required_text,
    check_target,
    check_timezone,
    check_voices,
    e164,
)

LINE_KEYS = {
    "id", "name", "country", "numbers", "display_number", "timezone", "language", "languages", "voices",
    "greeting", "danger_notice", "menu", "quick_exit_key", "hours", "holidays", "closures",
    "alternatives", "closed_message", "emergency_fallback", "after_hours_email", "caller_id",
    "handoff_network", "department_retries", "overflow", "pool", "notes", "queue", "callback", "email",
    "retention_days", "categories", "throttle", "hold_music", "forward_numbers", "transfer_numbers",
}  # fmt: skip
# The order settings are written in a line's file, and exported in.
LINE_ORDER = (
    "id", "name", "country", "numbers", "display_number", "timezone", "language", "languages", "voices",
    "greeting", "danger_notice", "quick_exit_key", "menu", "hours", "holidays", "closures", "after_hours_email",
    "alternatives", "closed_message", "caller_id", "handoff_network", "department_retries",
    "emergency_fallback", "forward_numbers", "transfer_numbers", "pool", "hold_music", "queue", "callback", "email", "retention_days",
    "categories", "throttle", "notes", "overflow",
)  # fmt: skip
CENTRE_KEYS = {"id", "name", "network", "departments", "number", "display_number", "timezone", "hours",
               "holidays", "closures", "fictitious"}  # fmt: skip
MENU_THEN = ("route", "end", "menu")
CONDITION = re.compile(r"^\s*([a-z_]+)\s*(?::\s*([a-z_]+)|>=\s*(\d+))?\s*$")


def canonical_line(raw: Any, problems: Problems) -> dict[str, Any] | None:
    """Validate one line as written and return its canonical document (None if it is not a mapping)."""
    if not isinstance(raw, dict):
        problems.add("", "line_shape")
        return None
    for key in raw:
        if key not in LINE_KEYS:
            problems.add(str(key), "unknown_setting")
    slug = _slug(raw.get("id"), problems)
    country = _country(raw.get("country"), problems)
    languages = _languages(raw.get("languages"), problems)
    doc: dict[str, Any] = {
        "id": slug,
        "name": check_required_text(raw, "name", problems),
        "country": country,
        "numbers": check_numbers(raw.get("numbers"), country, "numbers", problems),
        "display_number": str(raw.get("display_number") or ""),
        "timezone": check_timezone(raw.get("timezone"), "timezone", problems),
        "language": check_language(raw.get("language", "fr"), "language", problems),
        "languages": [check_language(v, f"languages[{i}]", problems) for i, v in enumerate(languages)],
        "voices": check_voices(raw.get("voices") or {}, problems),
        "greeting": check_localized(raw.get("greeting"), "greeting", problems, required=True),
        "danger_notice": check_bool(raw.get("danger_notice", True), "danger_notice", problems),
        "menu": check_menu(raw.get("menu"), problems),
        "quick_exit_key": check_key(raw.get("quick_exit_key", "*"), "quick_exit_key", problems),
        "hours": check_hours(raw.get("hours"), "hours", problems),
        "holidays": check_holidays(raw.get("holidays"), country, "holidays", problems),
        "closures": check_closures(raw.get("closures") or [], raw.get("timezone"), problems),
        "alternatives": check_alternatives(raw.get("alternatives") or [], country, problems),
        "closed_message": check_localized(raw.get("closed_message"), "closed_message", problems),
        "emergency_fallback": check_target(raw.get("emergency_fallback"), country, "emergency_fallback", problems),
        # Numbers outside the directory that an admin approved as forward targets (the chain editor cannot add any).
        "forward_numbers": check_numbers(raw["forward_numbers"], country, "forward_numbers", problems)
        if raw.get("forward_numbers") is not None else [],
        # Numbers outside the directory a listener may transfer a call to (an interpreter), with their words.
        "transfer_numbers": [],
        "after_hours_email": check_email(raw.get("after_hours_email"), problems),
        "caller_id": check_choice(raw.get("caller_id", "line"), ("line", "caller"), "caller_id", problems),
        "handoff_network": str(raw["handoff_network"]) if raw.get("handoff_network") else None,
        "department_retries": check_int(raw.get("department_retries", 2), "department_retries", problems, 0, 5),
        "overflow": check_overflow(raw.get("overflow"), country, problems),
        "pool": str(raw.get("pool") or slug),
        "hold_music": check_audio_url(raw.get("hold_music"), "hold_music", problems),
        "queue": check_queue(raw.get("queue"), problems),
        "callback": check_callback(raw.get("callback"), problems),
        "email": check_email_settings(raw.get("email"), problems),
        "retention_days": check_retention(raw.get("retention_days"), problems),
        "categories": check_categories(raw.get("categories"), problems),
        "throttle": check_throttle(raw.get("throttle"), problems),
        "notes": str(raw.get("notes") or ""),
    }
    doc["transfer_numbers"] = check_transfer_numbers(raw.get("transfer_numbers"), country, doc["numbers"],
                                                     doc["languages"], problems)
    if doc["language"] not in doc["languages"]:
        problems.add("languages", "language_missing", value=doc["language"])
    _check_every_language(doc, problems)
    if doc["menu"] and doc["quick_exit_key"] and doc["quick_exit_key"] in doc["menu"]["options"]:
        problems.add("menu.options", "quick_exit_key", value=doc["quick_exit_key"])
    return doc


def _check_every_language(doc: dict[str, Any], problems: Problems) -> None:
    """A caller who chose English hears English only: each text callers hear exists in every line language."""
    texts = [("greeting", doc["greeting"]), ("closed_message", doc["closed_message"])]
    if doc["menu"]:
        texts.append(("menu.prompt", doc["menu"]["prompt"]))
        texts += [(f"menu.options.{key}.say", option.get("say")) for key, option in doc["menu"]["options"].items()]
    texts += [(f"overflow[{index}].{key}", rule.get(key))
              for index, rule in enumerate(doc["overflow"]) for key in ("text", "label")]
    for path, text in texts:
        for language in doc["languages"] if isinstance(text, dict) else ():
            if not text.get(language):
                problems.add(path, "words_missing", value=language)


def _slug(value: Any, problems: Problems) -> str:
    if not isinstance(value, str) or not SLUG.match(value):
        problems.add("id", "slug")
        return "?"
    return value


def check_menu(value: Any, problems: Problems) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        problems.add("menu", "menu_shape")
        return None
    options: dict[str, dict[str, Any]] = {}
    raw_options = value.get("options")
    if not isinstance(raw_options, dict) or not raw_options:
        problems.add("menu.options", "menu_options")
        raw_options = {}
    for digit, spec in raw_options.items():
        path = f"menu.options.{digit}"
        digit = str(digit)
        if len(digit) != 1 or digit not in "0123456789#":
            problems.add(path, "menu_key")
            continue
        spec = spec if isinstance(spec, dict) else {}
        option = {
            "then": check_choice(spec.get("then", "route"), MENU_THEN, f"{path}.then", problems),
            "caller_type": spec.get("caller_type"),
            "language": check_language(spec["language"], f"{path}.language", problems) if "language" in spec else None,
            "say": check_localized(spec.get("say"), f"{path}.say", problems),
        }
        options[digit] = {k: v for k, v in option.items() if v is not None}
    return {
        "prompt": check_localized(value.get("prompt"), "menu.prompt", problems, required=True),
        "options": options,
        "timeout": check_int(value.get("timeout", 6), "menu.timeout", problems, 2, 30),
        "retries": check_int(value.get("retries", 2), "menu.retries", problems, 0, 5),
    }


def _country(country: Any, problems: Problems) -> str:
    """The line's country, FR or BE (FR when it is neither); one without safety numbers is reported."""
    if country not in ("FR", "BE"):
        problems.add("country", "country")
        return "FR"
    if country not in safety_countries():
        problems.add("country", "country_without_safety", value=country, choices=", ".join(sorted(safety_countries())))
    return country


def _languages(languages: Any, problems: Problems) -> list:
    """The languages the line offers as written, French alone when absent or not a list."""
    languages = languages or ["fr"]
    if not isinstance(languages, list):
        problems.add("languages", "languages_list")
        return ["fr"]
    return languages


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


def canonical_centre(raw: Any, path: str, problems: Problems) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        problems.add(path, "centre_shape")
        return None
    for key in raw:
        if key not in CENTRE_KEYS:
            problems.add(f"{path}.{key}", "unknown_setting")
    slug = raw.get("id")
    if not isinstance(slug, str) or not SLUG.match(slug):
        problems.add(f"{path}.id", "slug")
    network = raw.get("network")
    if not isinstance(network, (str, int)) or not str(network).strip():
        # Without one no line's hand-off can ever reach the centre.
        problems.add(f"{path}.network", "centre_network")
    departments = raw.get("departments")
    if not isinstance(departments, list) or not departments:
        problems.add(f"{path}.departments", "centre_departments")
        departments = []
    number = e164(raw.get("number"), "FR")
    if number is None:
        problems.add(f"{path}.number", "phone_number", value=raw.get("number"))
    return {
        "id": slug,
        "name": str(raw.get("name") or slug),
        "network": str(network or ""),
        "departments": [str(d) for d in departments],
        "number": number,
        "display_number": str(raw.get("display_number") or ""),
        "timezone": check_timezone(raw.get("timezone", "Europe/Paris"), f"{path}.timezone", problems),
        "hours": check_hours(raw.get("hours"), f"{path}.hours", problems),
        "holidays": check_holidays(raw.get("holidays"), "FR", f"{path}.holidays", problems),
        "closures": check_closures(raw.get("closures") or [], raw.get("timezone", "Europe/Paris"), problems, f"{path}.closures"),
        "fictitious": bool(raw.get("fictitious", False)),
    }
