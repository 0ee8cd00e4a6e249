"""Validators for the values written in directory files: numbers, texts, keys, targets (hours, holidays and
closures: opening.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from directory_data.problems import Problem
from directory_data.reference import load_services
from phones.numbers import e164

DATA_DIR = Path(__file__).parent
CLOSED_REASONS = ("holiday", "closure", "override_closed", "outside_hours")
ACTIONS = ("queue", "forward", "handoff", "message", "callback", "notify_email", "end", "association")
SIMPLE_CONDITIONS = ("always", "open", "closed", "no_listener_logged_in", "no_listener_available", "forward_failed")
THRESHOLD_CONDITIONS = ("queue_length", "estimated_wait")
LANGUAGES = ("fr", "en")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class DirectoryError(Exception):
    """Every problem found in the directory files, one line each: ``file: key.path: what is wrong``."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class Problems:
    """The problems found in one file; each is added as a code with its values (directory_data/problems.py)."""

    file: str
    found: list[Problem] = field(default_factory=list)

    def add(self, path: str, code: str, **values: Any) -> None:
        self.found.append(Problem(self.file, path, code, **values))


def check_required_text(raw: dict, key: str, problems: Problems) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        problems.add(key, "required_text")
        return ""
    return value.strip()


def check_numbers(value: Any, country: str, path: str, problems: Problems) -> list[str]:
    if not isinstance(value, list) or not value:
        problems.add(path, "no_number")
        return []
    numbers = []
    for index, item in enumerate(value):
        number = e164(item, country)
        if number is None:
            problems.add(f"{path}[{index}]", "phone_number", value=item)
        elif number in numbers:
            problems.add(f"{path}[{index}]", "number_twice", value=number)
        else:
            numbers.append(number)
    return numbers


def check_timezone(value: Any, path: str, problems: Problems) -> str:
    try:
        ZoneInfo(str(value))
        return str(value)
    except (ZoneInfoNotFoundError, ValueError):
        problems.add(path, "timezone", value=value)
        return "Europe/Paris"


def check_language(value: Any, path: str, problems: Problems) -> str:
    if value not in LANGUAGES:
        problems.add(path, "language", value=value, choices=", ".join(LANGUAGES))
        return "fr"
    return value


def check_voices(value: Any, problems: Problems) -> dict[str, str]:
    if not isinstance(value, dict):
        problems.add("voices", "voices")
        return {}
    for language in value:
        check_language(language, f"voices.{language}", problems)
    return {str(k): str(v) for k, v in value.items()}


def check_localized(value: Any, path: str, problems: Problems, required: bool = False) -> dict[str, str] | None:
    if value is None:
        if required:
            problems.add(path, "message_missing")
        return None
    if isinstance(value, str):
        return {"fr": value.strip()}
    if not isinstance(value, dict) or not isinstance(value.get("fr"), str):
        problems.add(path, "message_shape")
        return None
    for language in value:
        check_language(language, f"{path}.{language}", problems)
    return {k: str(v).strip() for k, v in value.items()}


def check_bool(value: Any, path: str, problems: Problems) -> bool:
    if not isinstance(value, bool):
        problems.add(path, "boolean")
        return False
    return value


def check_int(value: Any, path: str, problems: Problems, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        problems.add(path, "whole_number", low=low, high=high)
        return low
    return value


def check_key(value: Any, path: str, problems: Problems) -> str | None:
    if value is None:
        return None
    value = str(value)
    if value not in "0123456789*#" or len(value) != 1:
        problems.add(path, "keypad_key")
        return None
    return value


def check_choice(value: Any, choices: tuple[str, ...], path: str, problems: Problems) -> str:
    if value not in choices:
        problems.add(path, "choice", choices=", ".join(choices))
        return choices[0]
    return value


def check_email(value: Any, problems: Problems) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not re.match(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", value):
        problems.add("after_hours_email", "email", value=value)
        return None
    return value


def check_alternatives(value: Any, country: str, problems: Problems) -> list[str]:
    services = load_services()
    if not isinstance(value, list):
        problems.add("alternatives", "alternatives")
        return []
    for index, service in enumerate(value):
        if service not in services:
            problems.add(f"alternatives[{index}]", "unknown_service", value=service)
        elif services[service].country != country:
            problems.add(f"alternatives[{index}]", "service_country", value=service, country=country)
    return [str(v) for v in value]


def check_target(value: Any, country: str, path: str, problems: Problems) -> str | None:
    """A service id from services.yaml (dialled on its dial number) or a phone number."""
    if value is None:
        return None
    services = load_services()
    if isinstance(value, str) and value in services:
        if not services[value].dial_number:
            problems.add(path, "service_without_number", value=value)
        elif services[value].country != country:
            problems.add(path, "service_country", value=value, country=country)
        return value
    number = e164(value, country)
    if number is None:
        problems.add(path, "unknown_target", value=value)
    return number


def check_audio_url(value: Any, path: str, problems: Problems) -> str | None:
    """An absolute http(s) address Twilio can fetch and <Play> (hold music)."""
    if value is None:
        return None
    if not isinstance(value, str) or not re.match(r"^https?://[^\s/]+/\S*$", value):
        problems.add(path, "audio_url")
        return None
    return value
