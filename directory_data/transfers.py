"""The `transfer_numbers:` setting of a line file: numbers outside the directory a listener may transfer a call to.

An admin or the line's coordinator lists them (an interpreter, a partner's duty phone) with the words callers
hear, article included; a listener only ever picks one from the list, never types a number.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from directory_data.fields import Problems, check_localized
from phones.numbers import e164
from routing.model import Localized, TransferNumber

MAX_TRANSFER_NUMBERS = 9  # the listener's keypad offers at most nine targets in all
MAX_LABEL = 80  # read out to the listener and the caller: a few words


def check_transfer_numbers(value: Any, country: str, own_numbers: Sequence[str], languages: Sequence[str],
                           problems: Problems, path: str = "transfer_numbers") -> list[dict[str, Any]]:
    """Each entry as ``{number, label: {fr, en}}``: a valid number, listed once, not the line's own, with words in
    every language of the line (the caller hears them)."""
    if value is None:
        return []
    if not isinstance(value, list):
        problems.add(path, "transfer_numbers_shape")
        return []
    if len(value) > MAX_TRANSFER_NUMBERS:
        problems.add(path, "transfer_numbers_count", most=MAX_TRANSFER_NUMBERS, count=len(value))
    entries: list[dict[str, Any]] = []
    for index, raw in enumerate(value):
        entry = _entry(raw, country, own_numbers, [e["number"] for e in entries], f"{path}[{index}]", problems)
        for language in languages if entry is not None else ():
            if not entry["label"].get(language):
                problems.add(f"{path}[{index}].label", "words_missing", value=language)
        if entry is not None:
            entries.append(entry)
    return entries


def _entry(raw: Any, country: str, own_numbers: Sequence[str], listed: list[str], path: str,
           problems: Problems) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        problems.add(path, "transfer_number_shape")
        return None
    for key in raw:
        if key not in ("number", "label"):
            problems.add(f"{path}.{key}", "unknown_setting_of", choices="number, label")
    number = e164(raw.get("number"), country)
    if number is None:
        problems.add(f"{path}.number", "phone_number", value=raw.get("number"))
    elif number in own_numbers:
        problems.add(f"{path}.number", "transfer_number_own", value=number)
        number = None
    elif number in listed:
        problems.add(f"{path}.number", "number_twice", value=number)
        number = None
    label = check_localized(raw.get("label"), f"{path}.label", problems)
    if label is None and raw.get("label") is None:
        problems.add(f"{path}.label", "transfer_label")
    for language, words in (label or {}).items():
        if not words:
            problems.add(f"{path}.label.{language}", "required_text")
        elif len(words) > MAX_LABEL:
            problems.add(f"{path}.label.{language}", "too_long", most=MAX_LABEL)
    if number is None or label is None:
        return None
    return {"number": number, "label": label}


def build_transfer_numbers(entries: Sequence[Mapping[str, Any]] | None) -> tuple[TransferNumber, ...]:
    return tuple(TransferNumber(entry["number"], Localized(fr=entry["label"]["fr"], en=entry["label"].get("en")))
                 for entry in entries or ())
