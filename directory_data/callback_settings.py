"""The `callback:`, `email:` and `retention_days` settings of a line file."""

from __future__ import annotations

from typing import Any, Mapping

from directory_data.fields import Problems, check_bool, check_int
from routing.callbacks import WINDOWS, CallbackSettings, EmailSettings

CALLBACK_NUMBERS = {"max_attempts": (1, 10), "retry_minutes": (5, 1440), "priority": (0, 10), "max_tries": (1, 5)}
CALLBACK_FLAGS = ("international", "machine_detection")
EMAIL_FLAGS = ("on_callback_request", "on_after_hours_call", "daily_digest", "include_number")


def check_callback(value: Any, problems: Problems) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.add("callback", "must be a mapping of callback settings")
        return {}
    settings: dict[str, Any] = {}
    for key, raw in value.items():
        path = f"callback.{key}"
        if key in CALLBACK_NUMBERS:
            settings[key] = check_int(raw, path, problems, *CALLBACK_NUMBERS[key])
        elif key in CALLBACK_FLAGS:
            settings[key] = check_bool(raw, path, problems)
        elif key == "windows":
            if not isinstance(raw, list) or not raw or any(w not in WINDOWS for w in raw):
                problems.add(path, f"must list windows among {', '.join(WINDOWS)}")
            elif len(raw) > 8:
                problems.add(path, "at most 8 windows: each is a key on the phone")
            else:
                settings[key] = list(dict.fromkeys(raw))
        else:
            problems.add(path, "unknown callback setting")
    return settings


def check_email_settings(value: Any, problems: Problems) -> dict[str, bool]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.add("email", "must be a mapping of email settings")
        return {}
    settings = {}
    for key, raw in value.items():
        if key in EMAIL_FLAGS:
            settings[key] = check_bool(raw, f"email.{key}", problems)
        else:
            problems.add(f"email.{key}", "unknown email setting")
    return settings


def check_retention(value: Any, problems: Problems) -> int | None:
    return None if value is None else check_int(value, "retention_days", problems, 7, 3650)


def build_callback_settings(doc: Mapping[str, Any] | None) -> CallbackSettings:
    doc = dict(doc or {})
    if "windows" in doc:
        doc["windows"] = tuple(doc["windows"])
    return CallbackSettings(**doc)


def build_email_settings(doc: Mapping[str, Any] | None) -> EmailSettings:
    return EmailSettings(**dict(doc or {}))
