"""The documents benchmarks/routing_decision.py decides on: 1,000 lines made from variants of the shipped seed lines
(weekly-hours patterns, holiday calendars, dated closures, chains of 4 to 7 rules) and one centre per French
département, as canonical documents that the loader validates before they are built."""

from __future__ import annotations

import copy
import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from directory_data.reference import load_departments

LINES = 1000
NETWORK = "bench"
YEAR = 2026
HOURS = {
    "mon-fri 9-19": {d: ["09:00-19:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
    "daily 9-21": {d: ["09:00-21:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    "24/7": {d: ["00:00-12:00", "12:00-24:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    "split weekdays": {d: ["09:00-12:30", "13:30-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
    "evenings across midnight": {d: ["18:00-02:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    "weekdays + split weekend": {
        **{d: ["09:00-19:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
        **{d: ["09:00-13:00", "14:00-19:00"] for d in ("sat", "sun")},
    },
    "mon-thu + short friday": {**{d: ["08:30-18:00"] for d in ("mon", "tue", "wed", "thu")}, "fri": ["08:30-12:00"]},
    "weekend only": {d: ["10:00-22:00"] for d in ("sat", "sun")},
}
CENTRE_HOURS = (
    {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
    {d: ["09:00-12:00", "14:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
    {**{d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu")}, "fri": ["09:00-12:00"]},
    {d: ["08:00-20:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat")},
)
FR_HOLIDAYS = (
    {"country": "FR", "subdivision": None, "closes": True},
    {"country": "FR", "subdivision": None, "closes": False},
    {"country": "FR", "subdivision": "6AE", "closes": True},  # Alsace: Good Friday, 26 December
    {"country": "FR", "subdivision": "57", "closes": True},  # Moselle
    None,
)
BE_HOLIDAYS = ({"country": "BE", "subdivision": None, "closes": True}, None)


def rule(action: str, when=(), **options) -> dict:
    doc = {"when": list(when), "action": action, **options}
    if action in ("forward", "handoff"):
        doc.setdefault("timeout", 30 if action == "forward" else 25)
    if action == "forward" and str(doc.get("target", "")).startswith("+"):
        # A forward to a number is named to callers in each of the line's languages (the loader requires it).
        label = doc.get("label")
        doc["label"] = {"fr": label or "l'équipe d'écoute", "en": "the listening team"}
    if action == "handoff":
        doc.setdefault("target", "department")
    return doc


def chain(kind: int, room: str, rescue: str, pool: str) -> list[dict]:
    """Overflow chains of 4 to 7 rules; kinds 1, 3 and 5 start with a département hand-off."""
    busy = rule("message", ["forward_failed"], prompt="all_listeners_busy")
    if kind == 0:  # the Belgian seed line's chain: 6 rules
        return [rule("forward", ["closed"], target=rescue), rule("queue", ["open"], target=pool),
                rule("forward", ["open"], target=room, label="l'équipe"),
                rule("forward", ["open", "forward_failed"], target=rescue), busy, rule("end")]  # fmt: skip
    if kind == 1:  # the 3977's chain: 5 rules
        return [rule("handoff"), rule("queue", ["open"], target=pool),
                rule("forward", ["open"], target=room, label="la plateforme"), busy, rule("end")]  # fmt: skip
    if kind == 2:  # 4 rules
        return [rule("queue", ["open"], target=pool), rule("forward", ["open"], target=room), busy, rule("end")]
    if kind == 3:  # 7 rules: hand-off only when open, listener conditions, holiday message, after-hours email
        return [rule("handoff", ["open"]), rule("forward", ["open", "no_listener_logged_in"], target=room),
                rule("message", ["estimated_wait>=120"], text={"fr": "L'attente est longue.", "en": "Long wait."}),
                rule("queue", ["open"], target=pool), rule("message", ["closed:holiday"], prompt="all_listeners_busy"),
                rule("notify_email", ["closed"]), rule("end")]  # fmt: skip
    if kind == 4:  # 5 rules with a queue threshold and a callback
        return [rule("message", ["queue_length>=5"], prompt="all_listeners_busy"),
                rule("queue", ["open"], target=pool), rule("forward", ["open"], target=room),
                rule("callback", ["closed"]), rule("end")]  # fmt: skip
    # kind 5: 6 rules, hand-off then a forward to a national service when closed
    return [rule("handoff"), rule("queue", ["open"], target=pool), rule("forward", ["open"], target=room),
            rule("forward", ["closed"], target=rescue), busy, rule("end")]  # fmt: skip


def closures(rng: random.Random, zone: str) -> list[dict]:
    tz = ZoneInfo(zone)
    found = []
    for _ in range(rng.choice((0, 0, 1, 2, 3))):
        start = datetime(YEAR, 1, 1, tzinfo=tz) + timedelta(days=rng.randrange(360), hours=rng.choice((0, 9, 13)))
        end = start + timedelta(hours=rng.choice((4, 24, 72, 24 * 7)))
        found.append({"from": start.isoformat(), "to": end.isoformat(), "reason": "formation de l'équipe"})
    return sorted(found, key=lambda c: c["from"])


def line_documents(seeds: list[dict], rng: random.Random) -> list[dict]:
    docs = []
    patterns = list(HOURS)
    for i in range(LINES):
        doc = copy.deepcopy(seeds[i % len(seeds)])
        belgian = doc["country"] == "BE"
        doc["id"] = f"{doc['id']}-v{i:04d}"
        doc["source_file"] = f"{doc['id']}.yaml"
        doc["numbers"] = [f"+3225{i:06d}"] if belgian else [f"+331990{i:05d}"]
        doc["pool"] = doc["id"]
        doc["hours"] = copy.deepcopy(HOURS[patterns[i % len(patterns)]])
        doc["callback"] = {}  # the default windows follow the variant's hours
        doc["holidays"] = rng.choice(BE_HOLIDAYS if belgian else FR_HOLIDAYS)
        doc["closures"] = closures(rng, doc["timezone"])
        kind = rng.randrange(6)
        rescue = "be-107" if belgian else "fr-3919"
        room = f"+3319991{i:04d}" if not belgian else f"+3226{i:06d}"
        doc["overflow"] = chain(kind, room, rescue, doc["id"])
        doc["forward_numbers"] = [room]  # a listening room's number is approved for its line, as an admin would
        doc["handoff_network"] = NETWORK if kind in (1, 3, 5) else None
        doc["emergency_fallback"] = None if i % 7 == 0 else f"+3319992{i:04d}"
        doc["after_hours_email"] = f"ecoute-{i}@example.org"
        docs.append(doc)
    return docs


def centre_documents(rng: random.Random) -> list[dict]:
    departments = [d for d in load_departments().values() if d.country == "FR" and d.code != "975"]
    docs = []
    for index, department in enumerate(departments):
        docs.append({
            "id": f"{NETWORK}-{department.code.lower()}",
            "name": f"Centre d'écoute de {department.name}",
            "network": NETWORK,
            "departments": [department.code],
            "number": f"+3319993{index:04d}",
            "display_number": "",
            "timezone": department.timezone,
            "hours": copy.deepcopy(CENTRE_HOURS[index % len(CENTRE_HOURS)]),
            "holidays": {"country": "FR", "subdivision": department.holidays_subdivision, "closes": True},
            "closures": closures(rng, department.timezone),
            "fictitious": True,
        })  # fmt: skip
    return docs
