"""Pure reference types (départements, provinces, complementary services) and the keypad-to-department resolver."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from routing.model import Localized

__all__ = [
    "Department",
    "Localized",
    "Service",
    "departments_by_code",
    "departments_for_country",
    "normalize_keypad_digits",
    "resolve_department",
    "services_for_country",
]

_ASCII_DIGITS = frozenset("0123456789")
# Characters a caller (or Twilio) may leave around the code: the '#' that ends
# a <Gather>, a stray '*', whitespace.  Anything else inside the input is garbage.
_STRIPPABLE = " \t\r\n#*"
# Longer inputs are garbage whatever they contain; avoids scanning huge strings.
_MAX_INPUT = 64


@dataclass(frozen=True, slots=True)
class Department:
    """A French département (incl. 2A/2B, 971–976) or a Belgian province (ISO 3166-2:BE)."""

    code: str
    name: str
    country: str
    timezone: str
    holidays_subdivision: str | None
    postal_ranges: tuple[tuple[int, int], ...] = ()
    name_nl: str | None = None
    region: str | None = None  # orientation looks for an open association here when the département has none

    def covers_postal_code(self, postal_code: int) -> bool:
        """True when ``postal_code`` falls in one of this province's inclusive ranges."""
        return any(lo <= postal_code <= hi for lo, hi in self.postal_ranges)


@dataclass(frozen=True, slots=True)
class Service:
    """A complementary service callers may be told about (3919, 115, 107...)."""

    id: str
    number: str
    country: str
    sms_only: bool
    dial_number: str | None
    fictitious_dial_number: bool
    name: Localized
    spoken: Localized
    description: Localized
    hours: Localized

    @property
    def can_forward(self) -> bool:
        """True when a call can be forwarded to this service (a long number exists, not SMS-only)."""
        return self.dial_number is not None and not self.sms_only


def departments_by_code(departments: Iterable[Department]) -> dict[str, Department]:
    """Index departments by code; raises ValueError on a duplicate code."""
    out: dict[str, Department] = {}
    for dep in departments:
        if dep.code in out:
            raise ValueError(f"duplicate department code {dep.code!r}")
        out[dep.code] = dep
    return out


def departments_for_country(
    departments: Mapping[str, Department], country: str
) -> tuple[Department, ...]:
    """Departments of one country (FR or BE), in table order."""
    cc = country.upper() if isinstance(country, str) else ""
    return tuple(d for d in departments.values() if d.country == cc)


def services_for_country(services: Mapping[str, Service], country: str) -> tuple[Service, ...]:
    """Services of one country (FR or BE), in table order."""
    cc = country.upper() if isinstance(country, str) else ""
    return tuple(s for s in services.values() if s.country == cc)


def normalize_keypad_digits(digits: object) -> str | None:
    """ASCII digits a caller typed, with '#', '*' and whitespace removed at the ends; None if anything else."""
    if not isinstance(digits, str) or len(digits) > _MAX_INPUT:
        return None
    core = digits.strip(_STRIPPABLE)
    if not core or not _ASCII_DIGITS.issuperset(core):
        return None
    return core


def _french_code(core: str) -> str | None:
    """Département code for a French keypad entry (postal code or département number)."""
    n = len(core)
    if n == 2:
        # "20" is ambiguous (Corse-du-Sud or Haute-Corse); 00 and 96–99 do not exist.
        return core if "01" <= core <= "95" and core != "20" else None
    if n == 3:
        return core if "971" <= core <= "976" else None
    if n != 5:
        return None
    prefix = core[:2]
    if prefix == "20":
        # Corsica: 200xx–201xx are Corse-du-Sud, 202xx–209xx Haute-Corse.
        return "2A" if core[2] in "01" else "2B"
    if prefix == "97":
        # Overseas: 971xx–976xx; 97133 Saint-Barthélemy and 97150 Saint-Martin fall in 971.
        code = core[:3]
        return code if "971" <= code <= "976" else None
    # 00xxx (military), 96xxx (unused), 98xxx (Monaco, Pacific) → None.
    return prefix if "01" <= prefix <= "95" else None


def _belgian_province(core: str, departments: Mapping[str, Department]) -> Department | None:
    """Belgian province whose postal ranges cover a 4-digit postal code."""
    if len(core) != 4 or core[0] == "0":
        return None
    postal = int(core)
    for dep in departments.values():
        if dep.country == "BE" and dep.covers_postal_code(postal):
            return dep
    return None


def resolve_department(
    digits: str, country: str, departments: Mapping[str, Department]
) -> Department | None:
    """Department for what a caller typed on the keypad, or None; never raises on garbage.

    FR: a 5-digit postal code, a 2-digit département number (01–95, not "20")
    or a 3-digit overseas number (971–976).  BE: a 4-digit postal code.
    """
    core = normalize_keypad_digits(digits)
    if core is None or not isinstance(country, str):
        return None
    cc = country.strip().upper()
    if cc == "FR":
        code = _french_code(core)
        if code is None:
            return None
        dep = departments.get(code)
        return dep if dep is not None and dep.country == "FR" else None
    if cc == "BE":
        return _belgian_province(core, departments)
    return None
