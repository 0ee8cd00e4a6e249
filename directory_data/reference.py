"""Load and validate the département/province and complementary-service reference tables (YAML); how a table
is read and its plain values checked: reference_yaml.py."""

from __future__ import annotations

import functools
import re
import zoneinfo
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import phonenumbers
import yaml

from directory_data.reference_yaml import (
    Context,
    ReferenceDataError,
    bool_value,
    checked_keys,
    country_value,
    read_table,
    text_value,
)
from routing.reference import Department, Localized, Service
from schedules.holiday_calendar import subdivisions

__all__ = [
    "DEPARTMENTS_PATH",
    "SERVICES_PATH",
    "ReferenceDataError",
    "load_departments",
    "load_services",
    "safety_countries",
]

_HERE = Path(__file__).resolve().parent
DEPARTMENTS_PATH = _HERE / "departments.yaml"
SERVICES_PATH = _HERE / "services.yaml"
PROMPTS_DIR = _HERE / "prompts"

_FR_CODE = re.compile(r"(?:0[1-9]|1\d|2[1-9AB]|[3-8]\d|9[0-5]|97[1-6])")
_BE_CODE = re.compile(r"[A-Z]{3}")
_SERVICE_ID = re.compile(r"[a-z]{2}-[0-9a-z][0-9a-z-]*")
_SHORT_NUMBER = re.compile(r"\d{2,6}")

_DEPARTMENT_KEYS = {"code", "name", "country", "timezone", "holidays_subdivision"}
_DEPARTMENT_OPTIONAL = {"postal_ranges", "name_nl", "region"}
_SERVICE_KEYS = {
    "id", "number", "country", "sms_only", "dial_number", "fictitious_dial_number",
    "name", "spoken", "description", "hours",
}
_LOCALIZED_FIELDS = ("name", "spoken", "description", "hours")
_LANGS = ("fr", "en")


def _timezone(ctx: Context, key: str, value: Any) -> str:
    text_value(ctx, key, value)
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise ctx.error(key, f"unknown IANA timezone {value!r}") from None
    return value


def _holidays_subdivision(ctx: Context, key: str, value: Any, country: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ctx.error(key, f"expected a quoted string or null, got {value!r}")
    accepted, aliases = subdivisions(country)
    if value not in accepted:
        alias = aliases.get(value)
        hint = f" (use the code {alias!r})" if alias else ""
        raise ctx.error(
            key, f"{value!r} is not a `holidays` subdivision of {country}{hint}; accepted: {list(accepted)}"
        )
    return value


def _postal_ranges(ctx: Context, key: str, value: Any, country: str) -> tuple[tuple[int, int], ...]:
    if value is None:
        value = []
    if not isinstance(value, list):
        raise ctx.error(key, f"expected a list of [low, high] pairs, got {value!r}")
    if country == "FR" and value:
        raise ctx.error(key, "French départements are resolved by postal-code prefix; leave postal_ranges out")
    if country == "BE" and not value:
        raise ctx.error(key, "a Belgian province needs at least one postal range")
    out = []
    for i, pair in enumerate(value):
        k = f"{key}[{i}]"
        if (
            not isinstance(pair, list)
            or len(pair) != 2
            or not all(isinstance(n, int) and not isinstance(n, bool) for n in pair)
        ):
            raise ctx.error(k, f"expected [low, high] integers, got {pair!r}")
        lo, hi = pair
        if not (1000 <= lo <= hi <= 9999):
            raise ctx.error(k, f"expected 1000 <= low <= high <= 9999, got {pair!r}")
        out.append((lo, hi))
    return tuple(out)


def _parse_department(ctx: Context, where: str, entry: Any) -> Department:
    entry = checked_keys(ctx, where, entry, _DEPARTMENT_KEYS, _DEPARTMENT_OPTIONAL)
    country = country_value(ctx, f"{where}.country", entry["country"])
    code = entry["code"]
    if not isinstance(code, str):
        raise ctx.error(f"{where}.code", f"expected a quoted string (e.g. \"01\"), got {code!r}")
    pattern = _FR_CODE if country == "FR" else _BE_CODE
    if not pattern.fullmatch(code):
        expected = "01-95, 2A, 2B or 971-976" if country == "FR" else "an ISO 3166-2:BE code such as 'WLG'"
        raise ctx.error(f"{where}.code", f"{code!r} is not a valid {country} code (expected {expected})")
    name_nl = entry.get("name_nl")
    region = entry.get("region")
    return Department(
        code=code,
        name=text_value(ctx, f"{where}.name", entry["name"]),
        country=country,
        timezone=_timezone(ctx, f"{where}.timezone", entry["timezone"]),
        holidays_subdivision=_holidays_subdivision(
            ctx, f"{where}.holidays_subdivision", entry["holidays_subdivision"], country
        ),
        postal_ranges=_postal_ranges(ctx, f"{where}.postal_ranges", entry.get("postal_ranges"), country),
        name_nl=None if name_nl is None else text_value(ctx, f"{where}.name_nl", name_nl),
        region=None if region is None else text_value(ctx, f"{where}.region", region),
    )


def _parse_departments(path: Path) -> dict[str, Department]:
    ctx, items = read_table(path, "departments")
    out: dict[str, Department] = {}
    owner: list[tuple[int, int, str]] = []  # (lo, hi, code) of every Belgian range seen
    for i, entry in enumerate(items):
        where = f"departments[{i}]"
        dep = _parse_department(ctx, where, entry)
        if dep.code in out:
            raise ctx.error(f"{where}.code", f"duplicate code {dep.code!r}")
        for j, (lo, hi) in enumerate(dep.postal_ranges):
            for olo, ohi, ocode in owner:
                if lo <= ohi and olo <= hi:
                    raise ctx.error(
                        f"{where}.postal_ranges[{j}]",
                        f"[{lo}, {hi}] overlaps [{olo}, {ohi}] of {ocode!r}",
                    )
            owner.append((lo, hi, dep.code))
        out[dep.code] = dep
    return out


def _localized(ctx: Context, key: str, value: Any) -> Localized:
    if not isinstance(value, dict):
        raise ctx.error(key, f"expected a mapping {{fr: ..., en: ...}}, got {value!r}")
    for lang in _LANGS:
        if lang not in value:
            raise ctx.error(f"{key}.{lang}", "required key is missing")
    unknown = sorted(map(str, set(value) - set(_LANGS)))
    if unknown:
        raise ctx.error(f"{key}.{unknown[0]}", f"unknown language (allowed: {list(_LANGS)})")
    return Localized(fr=text_value(ctx, f"{key}.fr", value["fr"]), en=text_value(ctx, f"{key}.en", value["en"]))


def _dial_number(ctx: Context, key: str, value: Any, country: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.startswith("+"):
        raise ctx.error(key, f"expected an E.164 number such as '+3225550107' or null, got {value!r}")
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise ctx.error(key, f"{value!r} does not parse as a phone number ({exc})") from None
    if not phonenumbers.is_possible_number(parsed):
        raise ctx.error(key, f"{value!r} is not a possible phone number")
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if e164 != value:
        raise ctx.error(key, f"{value!r} is not in E.164 form (expected {e164!r})")
    region = phonenumbers.region_code_for_country_code(parsed.country_code)
    if region != country:
        raise ctx.error(key, f"{value!r} is a {region} number but the service country is {country}")
    return value


def _parse_service(ctx: Context, where: str, entry: Any) -> Service:
    entry = checked_keys(ctx, where, entry, _SERVICE_KEYS, set())
    sid = text_value(ctx, f"{where}.id", entry["id"])
    if not _SERVICE_ID.fullmatch(sid):
        raise ctx.error(f"{where}.id", f"{sid!r} is not of the form '<country>-<number>' (e.g. 'fr-3919')")
    number = entry["number"]
    if not isinstance(number, str) or not _SHORT_NUMBER.fullmatch(number):
        raise ctx.error(f"{where}.number", f"expected a quoted string of 2-6 digits, got {number!r}")
    country = country_value(ctx, f"{where}.country", entry["country"])
    if not sid.startswith(country.lower() + "-"):
        raise ctx.error(f"{where}.id", f"{sid!r} should start with {country.lower()!r}-")
    sms_only = bool_value(ctx, f"{where}.sms_only", entry["sms_only"])
    dial = _dial_number(ctx, f"{where}.dial_number", entry["dial_number"], country)
    fictitious = bool_value(ctx, f"{where}.fictitious_dial_number", entry["fictitious_dial_number"])
    if fictitious and dial is None:
        raise ctx.error(f"{where}.fictitious_dial_number", "is true but dial_number is null")
    if sms_only and dial is not None:
        raise ctx.error(f"{where}.dial_number", "an SMS-only service cannot have a number to forward calls to")
    return Service(
        id=sid,
        number=number,
        country=country,
        sms_only=sms_only,
        dial_number=dial,
        fictitious_dial_number=fictitious,
        **{f: _localized(ctx, f"{where}.{f}", entry[f]) for f in _LOCALIZED_FIELDS},
    )


def _parse_services(path: Path) -> dict[str, Service]:
    ctx, items = read_table(path, "services")
    out: dict[str, Service] = {}
    for i, entry in enumerate(items):
        where = f"services[{i}]"
        svc = _parse_service(ctx, where, entry)
        if svc.id in out:
            raise ctx.error(f"{where}.id", f"duplicate id {svc.id!r}")
        out[svc.id] = svc
    return out


@functools.lru_cache(maxsize=1)
def _default_departments() -> Mapping[str, Department]:
    return _parse_departments(DEPARTMENTS_PATH)


@functools.lru_cache(maxsize=1)
def _default_services() -> Mapping[str, Service]:
    return _parse_services(SERVICES_PATH)


def load_departments(path: str | Path | None = None) -> dict[str, Department]:
    """Départements/provinces by code, in file order; the default file is parsed once and cached."""
    if path is None:
        return dict(_default_departments())
    return _parse_departments(Path(path))


def load_services(path: str | Path | None = None) -> dict[str, Service]:
    """Complementary services by id, in file order; the default file is parsed once and cached."""
    if path is None:
        return dict(_default_services())
    return _parse_services(Path(path))


@functools.cache
def safety_countries() -> frozenset[str]:
    """The countries that every per-country prompt (danger notice, goodbye…) has, in every language.

    A caller must never hear another country's emergency numbers, so a line's country must be one of these."""
    countries: set[str] | None = None
    for path in sorted(PROMPTS_DIR.glob("*.yaml")):
        for entry in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).values():
            if isinstance(entry, dict):
                countries = set(entry) if countries is None else countries & set(entry)
    return frozenset(countries or ())
