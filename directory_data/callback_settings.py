"""The `callback:`, `email:` and `retention_days` settings of a line file."""

from __future__ import annotations

from typing import Any, Mapping

from directory_data.fields import Problems, check_bool, check_int
from directory_data.opening import parse_shift
from routing.callbacks import WINDOWS, CallbackSettings, EmailSettings

CALLBACK_NUMBERS = {"max_attempts": (1, 10), "retry_minutes": (5, 1440), "priority": (0, 10), "max_tries": (1, 5),
                    "expire_after_days": (1, 90)}
CALLBACK_FLAGS = ("international", "machine_detection")
DEFAULT_WINDOWS = CallbackSettings().windows
EMAIL_FLAGS = ("on_callback_request", "on_after_hours_call", "daily_digest", "include_number")


def check_callback(value: Any, problems: Problems) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.add("callback", "callback_shape")
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
                problems.add(path, "callback_windows", choices=", ".join(WINDOWS))
            elif len(raw) > 8:
                problems.add(path, "callback_windows_count")
            else:
                settings[key] = list(dict.fromkeys(raw))
        else:
            problems.add(path, "unknown_callback_setting")
    return settings


def check_email_settings(value: Any, problems: Problems) -> dict[str, bool]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.add("email", "email_shape")
        return {}
    settings = {}
    for key, raw in value.items():
        if key in EMAIL_FLAGS:
            settings[key] = check_bool(raw, f"email.{key}", problems)
        else:
            problems.add(f"email.{key}", "unknown_email_setting")
    return settings


def check_retention(value: Any, problems: Problems) -> int | None:
    return None if value is None else check_int(value, "retention_days", problems, 7, 3650)


def window_meets_hours(window: str, hours: Mapping[str, list[str]]) -> bool:
    """Is the window inside the line's weekly hours at least once a week (both in the line's local time)?"""
    bounds = WINDOWS.get(window)
    for shifts in hours.values():
        for text in shifts:
            shift = parse_shift(text)
            if shift is None:
                continue
            if bounds is None:
                return True
            start, end = shift
            if end <= start:  # runs past midnight (or "24:00"): start..midnight, then midnight..end
                if start < bounds[1] or bounds[0] < end:
                    return True
            elif start < bounds[1] and bounds[0] < end:
                return True
    return False


def window_words(window: str) -> str:
    """'evening' (17:00-21:00), as the directory check names a window."""
    bounds = WINDOWS.get(window)
    return f"{window!r} ({bounds[0]:%H:%M}-{bounds[1]:%H:%M})" if bounds else f"{window!r} (whenever open)"


def build_callback_settings(doc: Mapping[str, Any] | None, hours: Mapping[str, list[str]]) -> CallbackSettings:
    """Without ``windows``, a line offers the usual windows that meet its hours (no evening for a 9h-17h line)."""
    doc = dict(doc or {})
    if "windows" in doc:
        doc["windows"] = tuple(doc["windows"])
    else:
        meeting = tuple(w for w in DEFAULT_WINDOWS if window_meets_hours(w, hours))
        doc["windows"] = meeting or DEFAULT_WINDOWS[:1]  # never open at all: nothing to meet
    return CallbackSettings(**doc)


def build_email_settings(doc: Mapping[str, Any] | None) -> EmailSettings:
    return EmailSettings(**dict(doc or {}))
