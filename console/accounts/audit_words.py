"""The audit log read as sentences: who did what to which line, when in that line's time, and each value changed.

The events keep the values as JSON (console/audit.py); this puts them in the reader's words: "Horaires de la
semaine : lundi–vendredi 09:00–17:00 → lundi–vendredi 09:00–19:00", never a JSON object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.describe import moment_words, zone_city
from console.texts import WEEKDAYS, current_language, t
from store.models import AuditEvent, ConsoleAccount, Listener
from store.snapshot import Snapshot

DEFAULT_ZONE = "Europe/Paris"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_WORDS = 400  # a value longer than this is cut: the line's history page has the whole file


@dataclass(frozen=True)
class EventView:
    at: str  # "mardi 24 novembre 2026 à 10:00 (heure de Bruxelles)"
    iso: str
    sentence: str  # "admin@example.org : horaires modifiés — ligne « Un premier pas, Val-de-Marne »."
    changes: list[str]
    detail: str


def event_views(session: Session, snapshot: Snapshot, events: list[AuditEvent]) -> list[EventView]:
    names, zones = _targets(session, snapshot)
    return [_view(event, names, zones) for event in events]


def _targets(session: Session, snapshot: Snapshot) -> tuple[dict, dict]:
    """Each line's and centre's name and time zone, by (kind, slug)."""
    names: dict[tuple[str, str], str] = {}
    zones: dict[tuple[str, str], str] = {}
    for line in snapshot.lines_by_slug.values():
        names[("line", line.slug)], zones[("line", line.slug)] = line.name, line.schedule.timezone
    for centre in snapshot.centres.values():
        names[("centre", centre.slug)], zones[("centre", centre.slug)] = centre.name, centre.schedule.timezone
    for account_id, email in session.execute(select(ConsoleAccount.id, ConsoleAccount.email)):
        names[("account", str(account_id))] = email
    for listener in session.query(Listener):
        names[("listener", str(listener.id))] = listener.name
        line = next((snapshot.line_for_pool(p.pool) for p in listener.pools if snapshot.line_for_pool(p.pool)), None)
        if line is not None:
            zones[("listener", str(listener.id))] = line.schedule.timezone
    return names, zones


def _view(event: AuditEvent, names: dict, zones: dict) -> EventView:
    key = (event.target_kind or "", event.target_slug or "")
    zone = zones.get(key, DEFAULT_ZONE)
    at = t("audit.at_words", moment=moment_words(event.at.astimezone(ZoneInfo(zone))), zone=zone_city(zone))
    what = _label(event.action)
    if event.target_kind:
        target = t(f"audit.target.{event.target_kind}", name=names.get(key, event.target_slug or ""))
        sentence = t("audit.sentence_target", who=event.account_email, what=what, target=target)
    else:
        sentence = t("audit.sentence", who=event.account_email, what=what)
    # An override's detail repeats its status change in the file's terms (mode, UTC instant): the change says it.
    detail = "" if event.action.startswith("override.") else event.detail
    return EventView(at, event.at.isoformat(), sentence, changes(event.before, event.after), detail)


def _label(action: str) -> str:
    words = t(f"event.{action}")
    return action if words == f"event.{action}" else words


def changes(before: Any, after: Any) -> list[str]:
    """One line per value that changed: "Label : before → after" ("—" for none)."""
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    lines = []
    for name in list(dict.fromkeys([*before, *after])):
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        label = field_label(name)
        if isinstance(old, list) and isinstance(new, list) and name not in ("pools", "languages", "skills"):
            lines += [t("audit.change_item", field=label, n=index + 1, before=value_words(a), after=value_words(b))
                      for index, (a, b) in enumerate(_pairs(old, new)) if a != b]
        else:
            lines.append(t("audit.change", field=label, before=value_words(old), after=value_words(new)))
    return lines


def _pairs(old: list, new: list) -> list[tuple[Any, Any]]:
    length = max(len(old), len(new))
    return [(old[i] if i < len(old) else None, new[i] if i < len(new) else None) for i in range(length)]


def field_label(name: str) -> str:
    words = t(f"audit.field.{name}")
    return name if words == f"audit.field.{name}" else words


def value_words(value: Any) -> str:
    """A value as words: days in the reader's language, lists with commas, settings as "name: value"."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return t("audit.yes") if value else t("audit.no")
    if isinstance(value, dict):
        words = " ; ".join(f"{_key_words(k)} {value_words(v)}" for k, v in value.items())
    elif isinstance(value, list):
        words = ", ".join(value_words(item) for item in value)
    else:
        words = str(value).replace("-", "–") if _is_time_range(value) else _condition_words(str(value))
    return words if len(words) <= MAX_WORDS else words[:MAX_WORDS] + "…"


def _key_words(key: Any) -> str:
    """A file's key in words: "mon-fri" → "lundi–vendredi", "when" → "quand :"."""
    text = str(key)
    days = WEEKDAYS[current_language()]
    parts = text.split("-")
    if all(part in DAYS for part in parts):
        return "–".join(days[DAYS.index(part)] for part in parts)
    return t("audit.key", name=field_label(text))


def _condition_words(text: str) -> str:
    """An overflow rule's condition as the chain editor words it ("open" → "ouverte"); other text as it is."""
    for key in (f"chain.state.{text}", f"cond.{text}"):
        words = t(key)
        if words != key:
            return words
    return text


def _is_time_range(value: Any) -> bool:
    text = str(value)
    return len(text) == 11 and text[2] == ":" and text[5] == "-" and text[8] == ":"
