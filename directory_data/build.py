"""Turns canonical line and centre documents into the plain objects the routing and schedules code use."""

from __future__ import annotations

from datetime import datetime
from types import MappingProxyType
from typing import Any, Iterable, Mapping

from directory_data.opening import WEEKDAYS, parse_shift
from directory_data.callback_settings import build_callback_settings, build_email_settings
from directory_data.categories import build_categories, build_throttle
from directory_data.pools import build_pool_settings
from directory_data.reference import load_services
from directory_data.transfers import build_transfer_numbers
from routing.model import (
    Action,
    ActionKind,
    Centre,
    Condition,
    Line,
    Localized,
    Menu,
    MenuOption,
    OverflowRule,
    When,
)
from schedules import Closure, HolidayCalendar, Override, OverrideMode, Reason, Schedule, Shift


DEFAULT_RETENTION_DAYS = 365  # call records and callback requests older than this are purged


def localized(value: Mapping[str, str] | None) -> Localized | None:
    if not value:
        return None
    return Localized(fr=value["fr"], en=value.get("en"))


def build_schedule(
    timezone: str,
    hours: Mapping[str, list[str]],
    holidays: Mapping[str, Any] | None,
    closures: Iterable[Mapping[str, str]] = (),
    overrides: Iterable[Override] = (),
) -> Schedule:
    shifts = []
    for day, ranges in hours.items():
        for text in ranges:
            start, end = parse_shift(text)
            shifts.append(Shift(WEEKDAYS.index(day), start, end))
    calendar = None
    if holidays:
        calendar = HolidayCalendar(holidays["country"], holidays.get("subdivision"), holidays.get("closes", True))
    return Schedule(
        timezone=timezone,
        shifts=tuple(sorted(shifts, key=lambda s: (s.weekday, s.start))),
        holidays=calendar,
        closures=tuple(
            Closure(datetime.fromisoformat(c["from"]), datetime.fromisoformat(c["to"]), c["reason"])
            for c in closures
        ),
        overrides=tuple(overrides),
    )


def parse_condition(text: str) -> When:
    if ">=" in text:
        name, _, threshold = text.partition(">=")
        return When(Condition(name), threshold=int(threshold))
    name, _, reason = text.partition(":")
    return When(Condition(name), reason=Reason(reason) if reason else None)


def resolve_target(target: str | None) -> tuple[str | None, str | None]:
    """(number to dial, short name for the call's record) for a service id or an E.164 number."""
    if target is None:
        return None, None
    service = load_services().get(target)
    if service is not None:
        return service.dial_number, service.number
    return target, target


def build_rule(doc: Mapping[str, Any], line_pool: str) -> OverflowRule:
    kind = ActionKind(doc["action"])
    number, name = resolve_target(doc.get("target")) if kind is ActionKind.FORWARD else (None, None)
    label = doc.get("label")
    action = Action(
        kind=kind,
        number=number,
        target=(doc.get("target") or line_pool) if kind is ActionKind.QUEUE else doc.get("target"),
        # A service is named by its own spoken words ("le 107, Télé-Accueil"); a number by the rule's label.
        label=localized({"fr": label} if isinstance(label, str) else label),
        name=name,
        timeout=doc.get("timeout", 20),
        text=localized(doc.get("text")),
        prompt=doc.get("prompt"),
    )
    return OverflowRule(tuple(parse_condition(c) for c in doc.get("when", [])), action)


def build_menu(doc: Mapping[str, Any] | None) -> Menu | None:
    if not doc:
        return None
    options = tuple(
        MenuOption(
            digit=digit,
            then=spec.get("then", "route"),
            caller_type=spec.get("caller_type"),
            language=spec.get("language"),
            say=localized(spec.get("say")),
        )
        for digit, spec in sorted(doc["options"].items())
    )
    return Menu(localized(doc["prompt"]), options, doc.get("timeout", 6), doc.get("retries", 2))


def build_line(doc: Mapping[str, Any], overrides: Iterable[Override] = ()) -> Line:
    fallback_number, fallback_label = resolve_target(doc.get("emergency_fallback"))
    return Line(
        slug=doc["id"],
        name=doc["name"],
        country=doc["country"],
        numbers=tuple(doc["numbers"]),
        display_number=doc.get("display_number") or "",
        language=doc["language"],
        languages=tuple(doc["languages"]),
        voices=MappingProxyType(dict(doc.get("voices") or {})),
        schedule=build_schedule(doc["timezone"], doc["hours"], doc.get("holidays"), doc.get("closures", ()), overrides),
        rules=tuple(build_rule(rule, doc["pool"]) for rule in doc["overflow"]),
        greeting=localized(doc["greeting"]),
        danger_notice=doc.get("danger_notice", True),
        menu=build_menu(doc.get("menu")),
        quick_exit_key=doc.get("quick_exit_key"),
        alternatives=tuple(doc.get("alternatives") or ()),
        closed_message=localized(doc.get("closed_message")),
        emergency_fallback=fallback_number,
        emergency_fallback_label=fallback_label,
        after_hours_email=doc.get("after_hours_email"),
        caller_id_policy=doc.get("caller_id", "line"),
        handoff_network=doc.get("handoff_network"),
        department_retries=doc.get("department_retries", 2),
        pool=doc["pool"],
        queue=build_pool_settings(doc.get("queue")),
        callback=build_callback_settings(doc.get("callback"), doc["hours"]),
        email=build_email_settings(doc.get("email")),
        retention_days=doc.get("retention_days") or DEFAULT_RETENTION_DAYS,
        categories=build_categories(doc.get("categories")),
        throttle=build_throttle(doc.get("throttle")),
        hold_music=doc.get("hold_music"),
        transfer_numbers=build_transfer_numbers(doc.get("transfer_numbers")),
    )


def build_centre(doc: Mapping[str, Any], overrides: Iterable[Override] = ()) -> Centre:
    return Centre(
        slug=doc["id"],
        name=doc["name"],
        network=doc["network"],
        departments=tuple(doc["departments"]),
        number=doc["number"],
        display_number=doc.get("display_number") or "",
        schedule=build_schedule(doc["timezone"], doc["hours"], doc.get("holidays"), doc.get("closures", ()), overrides),
    )


def build_override(mode: str, starts_at: datetime, until: datetime | None, reason: str) -> Override:
    return Override(OverrideMode(mode), starts_at, until, reason)
