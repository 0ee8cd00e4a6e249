"""The roster's forms: what a coordinator typed for a listener or a shift, checked, with errors in words."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Mapping

from werkzeug.datastructures import MultiDict

from console.texts import t
from ivr.spoken import CALLER_TYPES
from store.listeners import ListenerError, normalised_phone
from store.roster import ListenerFields

MAX_NAME = 120  # the column's size
LANGUAGE_CODES = ("fr", "en")  # the languages callers are answered in (prompts exist for these)
SKILL_CODES = tuple(CALLER_TYPES["fr"])
TIME_FORMATS = ("%H:%M", "%H:%M:%S")  # what <input type="time"> sends


class Refused(Exception):
    """A value no form control offers (another line's pool, a made-up language): not a typing mistake."""


@dataclass
class ListenerForm:
    name: str = ""
    phone: str = ""
    pools: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=lambda: ["fr"])
    skills: list[str] = field(default_factory=list)
    follows_shifts: bool = False
    errors: dict[str, str] = field(default_factory=dict)

    def error_links(self) -> list[tuple[str, str]]:
        """The errors in the form's order, each with the field (or a group's first box) to go to."""
        fields = {"name": "name", "phone": "phone", "pools": "pool-1", "languages": f"language-{LANGUAGE_CODES[0]}"}
        return [(fields[name], self.errors[name]) for name in fields if name in self.errors]

    @classmethod
    def of(cls, listener) -> "ListenerForm":
        """The form filled with a listener's values; the phone stays empty (it is shown masked beside it)."""
        return cls(name=listener.name, pools=[p.pool for p in listener.pools],
                   languages=list(listener.languages or []), skills=list(listener.skills or []),
                   follows_shifts=bool(listener.follows_shifts))


def read_listener_form(values: MultiDict, pools: Mapping[str, str], phone_required: bool,
                       country: str = "FR", known_skills: tuple[str, ...] = ()) -> tuple[ListenerForm, ListenerFields | None]:
    """The form as typed, and the checked fields when it is valid. ``pools`` maps the pools this account may
    give to the line each belongs to; the phone may be left empty when editing (the number is kept)."""
    form = ListenerForm(
        name=" ".join(values.get("name", "").split()),
        phone=values.get("phone", "").strip()[:40],
        pools=list(dict.fromkeys(values.getlist("pools"))),
        languages=list(dict.fromkeys(values.getlist("languages"))),
        skills=list(dict.fromkeys(values.getlist("skills"))),
        follows_shifts=values.get("follows_shifts") == "1",
    )
    if any(p not in pools for p in form.pools):
        raise Refused("pool")
    if any(code not in LANGUAGE_CODES for code in form.languages):
        raise Refused("language")
    if any(code not in SKILL_CODES and code not in known_skills for code in form.skills):
        raise Refused("skill")
    if not form.name:
        form.errors["name"] = t("roster.name_missing")
    elif len(form.name) > MAX_NAME:
        form.errors["name"] = t("roster.name_too_long", n=MAX_NAME)
    phone = ""
    if form.phone:
        try:
            phone = normalised_phone(form.phone, country)
        except ListenerError:
            form.errors["phone"] = t("roster.phone_invalid")
    elif phone_required:
        form.errors["phone"] = t("roster.phone_missing")
    if not form.pools:
        form.errors["pools"] = t("roster.pools_missing")
    if not form.languages:
        form.errors["languages"] = t("roster.languages_missing")
    if form.errors:
        return form, None
    return form, ListenerFields(form.name, phone, tuple(form.pools), tuple(form.languages), tuple(form.skills),
                                form.follows_shifts)


@dataclass
class ShiftForm:
    day: str = "0"
    starts: str = ""
    ends: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def error_links(self) -> list[tuple[str, str]]:
        return [(name, self.errors[name]) for name in ("starts", "ends") if name in self.errors]


def read_shift_form(values: Mapping[str, str]) -> tuple[ShiftForm, tuple[int, time, time] | None]:
    form = ShiftForm(day=values.get("day", ""), starts=values.get("starts", "").strip()[:8],
                     ends=values.get("ends", "").strip()[:8])
    if form.day not in tuple(str(d) for d in range(7)):
        raise Refused("day")
    starts, ends = _clock(form.starts), _clock(form.ends)
    for name, typed, value in (("starts", form.starts, starts), ("ends", form.ends, ends)):
        if not typed:
            form.errors[name] = t(f"shift.{name}_missing")
        elif value is None:
            form.errors[name] = t("shift.time_invalid")
    if starts is not None and ends is not None and starts == ends:
        form.errors["ends"] = t("shift.same_times")
    if form.errors:
        return form, None
    return form, (int(form.day), starts, ends)


def _clock(typed: str) -> time | None:
    for pattern in TIME_FORMATS:
        try:
            return datetime.strptime(typed, pattern).time().replace(second=0)
        except ValueError:
            continue
    return None
