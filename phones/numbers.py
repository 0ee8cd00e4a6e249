"""Phone numbers: read into E.164, shown nationally or internationally, masked, withheld or not, hashed."""

from __future__ import annotations

import hmac
from typing import Any

import phonenumbers

WITHHELD = {"", "anonymous", "restricted", "unknown", "private", "unavailable", "blocked"}
# Twilio's placeholders for withheld caller IDs ("+266696687" spells ANONYMOUS on a keypad, and friends).
WITHHELD_PLACEHOLDERS = {"+266696687", "+7378742833", "+2562533", "+8656696", "+86282452253"}


def parsed(value: Any, region: str | None = None) -> phonenumbers.PhoneNumber | None:
    """The number as phonenumbers reads it (national forms in ``region``), or None when it does not parse."""
    if not isinstance(value, (str, int)):
        return None
    try:
        return phonenumbers.parse(str(value), region)
    except phonenumbers.NumberParseException:
        return None


def e164(value: Any, region: str | None = None) -> str | None:
    """The number in E.164, or None when it is not a possible phone number."""
    number = parsed(value, region)
    if number is None or not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalised(value: str) -> str:
    """A number as Twilio sends it (``To``, ``From``) in E.164 when it parses, else as given (stripped)."""
    number = parsed(value)
    if number is None:
        return value.strip()
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def national(number: str) -> str:
    """How a caller knows their own number: 06 12 34 56 78 for a French mobile."""
    return phonenumbers.format_number(phonenumbers.parse(number, None), phonenumbers.PhoneNumberFormat.NATIONAL)


def shown_from(number: str, country: str) -> str | None:
    """National form for a number of ``country``, international for any other; None when it does not parse."""
    read = parsed(number)
    if read is None:
        return None
    home = phonenumbers.region_code_for_number(read) == country
    shape = phonenumbers.PhoneNumberFormat.NATIONAL if home else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(read, shape)


def is_withheld(number: str | None) -> bool:
    if number is None:
        return True
    cleaned = number.strip()
    return cleaned.lower() in WITHHELD or cleaned in WITHHELD_PLACEHOLDERS or not any(map(str.isdigit, cleaned))


def number_hash(e164: str, pepper: str) -> str:
    """A keyed HMAC-SHA256 of the number's digits: recognises a number, cannot be reversed without the pepper."""
    # A number already in E.164 (ASCII digits after "+") is its own digits: hashed as it is, every webhook.
    plain = e164[:1] == "+" and e164[1:].isdigit() and e164.isascii()
    digits = e164 if plain else "+" + "".join(c for c in e164 if c.isdigit())
    return hmac.digest(pepper.encode(), digits.encode(), "sha256").hex()


def caller_hash(number: str | None, pepper: str) -> str | None:
    """The keyed HMAC that stands for a caller's number (None when withheld)."""
    if is_withheld(number):
        return None
    return number_hash(number, pepper)
