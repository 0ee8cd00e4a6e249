"""Canonical documents for a line and a centre, validated as written in a file or in the console (a line's
overflow chain in directory_data/overflow.py)."""

from __future__ import annotations

from typing import Any

from directory_data.callback_settings import check_callback, check_email_settings, check_retention
from directory_data.categories import check_categories, check_throttle
from directory_data.overflow import check_overflow
from directory_data.pools import check_queue
from directory_data.reference import safety_countries
from directory_data.transfers import check_transfer_numbers
from directory_data.fields import (
    SLUG,
    Problems,
    check_alternatives,
    check_audio_url,
    check_bool,
    check_choice,
    check_email,
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
from directory_data.opening import check_closures, check_holidays, check_hours

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
