"""Callback rules: which numbers may be called back, in which time windows, and how often to try."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import PhoneNumberType

from schedules import Schedule, status_at

# Windows a caller may choose, in the line's local time; "asap" is any time the line is open.
WINDOWS: dict[str, tuple[time, time] | None] = {
    "asap": None,
    "morning": (time(9, 0), time(12, 0)),
    "afternoon": (time(12, 0), time(17, 0)),
    "evening": (time(17, 0), time(21, 0)),
}
REFUSED_TYPES = {
    PhoneNumberType.PREMIUM_RATE: "premium",
    PhoneNumberType.SHARED_COST: "premium",
    PhoneNumberType.UAN: "premium",
    PhoneNumberType.PAGER: "invalid",
}
# Regions whose numbers count as national for a line of the country: France's overseas departments and
# Saint-Pierre-et-Miquelon, Saint-Barthélemy and Saint-Martin share its numbering plan (0692... from Paris).
NATIONAL_REGIONS: dict[str, tuple[str, ...]] = {"FR": ("GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF")}


@dataclass(frozen=True, slots=True)
class CallbackSettings:
    windows: tuple[str, ...] = ("asap", "morning", "afternoon", "evening")
    max_attempts: int = 3
    retry_minutes: int = 30
    international: bool = False  # accept numbers of other countries
    machine_detection: bool = True  # a machine answering is hung up on: never a voicemail
    priority: int = 0  # 0: by request time among live callers; higher: ahead of them
    max_tries: int = 3  # tries at typing a number before the caller is told how to call again
    expire_after_days: int = 14  # a request still pending after this long expires


@dataclass(frozen=True, slots=True)
class EmailSettings:
    on_callback_request: bool = True
    on_after_hours_call: bool = False
    daily_digest: bool = True
    include_number: bool = False  # emails say that someone asked, never whom, unless the line allows it


@dataclass(frozen=True, slots=True)
class NumberCheck:
    number: str | None  # E.164 when acceptable
    problem: str | None  # invalid, short, emergency, premium, international, own_line


def check_callback_number(text: str, country: str, international: bool, own_numbers: tuple[str, ...] = ()) -> NumberCheck:
    """A number a listener may call back: a real, ordinary number of the line's country (or abroad if allowed)."""
    digits = "".join(c for c in text if c.isdigit() or c == "+")[:20]
    if len(digits.lstrip("+")) < 6:
        short = digits and phonenumbers.is_emergency_number(digits, country)
        return NumberCheck(None, "emergency" if short else "short")
    if phonenumbers.is_emergency_number(digits, country):
        return NumberCheck(None, "emergency")
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    parsed = _parse_valid(digits, country)
    if parsed is None:
        return NumberCheck(None, "invalid")
    region = phonenumbers.region_code_for_number(parsed)
    if region != country and region not in NATIONAL_REGIONS.get(country, ()) and not international:
        return NumberCheck(None, "international")
    problem = REFUSED_TYPES.get(phonenumbers.number_type(parsed))
    if problem:
        return NumberCheck(None, problem)
    number = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if number in own_numbers:
        return NumberCheck(None, "own_line")
    return NumberCheck(number, None)


def _parse_valid(digits: str, country: str) -> phonenumbers.PhoneNumber | None:
    """The first valid reading: as dialled in ``country``, then (typed nationally) in each region sharing its plan."""
    regions = (country,) if digits.startswith("+") else (country, *NATIONAL_REGIONS.get(country, ()))
    for region in regions:
        try:
            parsed = phonenumbers.parse(digits, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return parsed
    return None



def window_open(window: str, schedule: Schedule, now: datetime) -> bool:
    """The line is open now and, for a chosen window, now is inside it (line's local time)."""
    if not status_at(schedule, now).is_open:
        return False
    bounds = WINDOWS.get(window)
    if bounds is None:
        return True
    local = now.astimezone(ZoneInfo(schedule.timezone)).time()
    return bounds[0] <= local < bounds[1]


def next_try(now: datetime, settings: CallbackSettings, attempts: int) -> datetime | None:
    """When to try again after a failed attempt; None once the attempts are used up (the request expires)."""
    if attempts >= settings.max_attempts:
        return None
    return now + timedelta(minutes=settings.retry_minutes)
