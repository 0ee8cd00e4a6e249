"""What a desk shows of a call, as one plain dict for the first paint and for the JSON the page polls.

Only facts a listener needs: the line, how long the caller waited, language, département, who calls, category,
the console's call reference, who is on the call and what changed. Never the caller's number nor Twilio's ids.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from console.describe import clock_time
from console.roster.words import language_label, skill_label, status_label, wait_words
from console.texts import t
from directory_data.reference import load_departments
from routing.model import Line
from store.desk_calls import DeskCall, listener_call
from store.models import Listener
from store.snapshot import Snapshot

POLL_SECONDS = 3
DEFAULT_ZONE = "Europe/Paris"
# The steps of a call the desk tells (the routing before the answer is the call page's business).
SHOWN_PREFIXES = ("conv_", "transfer_", "desk_")


def line_of(snapshot: Snapshot, line_id: int | None) -> Line | None:
    slug = next((s for s, i in snapshot.line_ids.items() if i == line_id), None)
    return snapshot.lines_by_slug.get(slug) if slug else None


def department_words(code: str | None) -> str:
    if not code:
        return t("desk.not_given")
    department = load_departments().get(code)
    return t("desk.department", code=code, name=department.name) if department else code


def event_words(kind: str, detail: str) -> str:
    """A step of the call in words; a step the desk has no words for yet shows its code, never nothing."""
    key = f"desk.event.{kind}"
    words = t(key, detail=detail)
    return kind if words == key else words


def history(call: DeskCall, zone: ZoneInfo) -> list[dict]:
    return [{"time": clock_time(at.astimezone(zone)), "text": event_words(kind, detail.split(" ")[0] if detail else "")}
            for at, kind, detail in call.events if kind.startswith(SHOWN_PREFIXES)]


def call_view(call: DeskCall, line: Line | None, now: datetime, people: list[dict] | None = None,
              supervisor: bool = False) -> dict:
    """One call in words, for the listener on it or (``supervisor``) a supervisor of its line."""
    zone = ZoneInfo(line.schedule.timezone if line else DEFAULT_ZONE)
    talking = int((now - call.answered_at).total_seconds()) if call.answered_at and call.live else None
    return {
        "id": call.call_id,
        "reference": t("desk.reference", id=call.call_id),
        "live": call.live,
        "line": line.name if line else t("desk.not_given"),
        "line_slug": line.slug if line else "",
        "waited": wait_words(call.waited_seconds),
        "talking": wait_words(talking) if talking is not None else "",
        "language": language_label(call.language),
        "department": department_words(call.department),
        "caller_type": skill_label(call.caller_type) if call.caller_type else t("desk.not_given"),
        "category": call.category or t("desk.not_classified"),
        "difficult": call.difficult,
        "help_waiting": call.help_waiting,
        "people": people if people is not None else default_people(call, supervisor),
        "history": history(call, zone),
    }


def default_people(call: DeskCall, supervisor: bool = False) -> list[dict]:
    """Who is on a plain bridged call: the caller and their listener."""
    if not call.live:
        return []
    listener = t("desk.person.listener", name=call.listener_name) if supervisor else t("desk.person.you")
    return [{"role": "caller", "text": t("desk.person.caller")}, {"role": "listener", "text": listener}]


def fingerprint(data: dict) -> str:
    """Changes when the page's forms or lists would change (not with the seconds ticking)."""
    call = data.get("call")
    shape = None if call is None else [call["id"], call["live"], call["difficult"], call["help_waiting"],
                                       call["people"], len(call["history"]), call.get("wrapup_until")]
    return hashlib.sha256(json.dumps([data["status"], shape], default=str).encode()).hexdigest()[:16]


def listener_desk(session: Session, snapshot: Snapshot, listener: Listener, now: datetime) -> dict:
    call = listener_call(session, listener)
    line = line_of(snapshot, call.line_id) if call else None
    data: dict = {"status": status_label(listener.status), "call": None}
    if call is None:
        data["summary"] = t("desk.no_call")
    else:
        data["call"] = call_view(call, line, now)
        if not call.live and listener.wrapup_until is not None:
            zone = ZoneInfo(line.schedule.timezone if line else DEFAULT_ZONE)
            data["call"]["wrapup_until"] = clock_time(listener.wrapup_until.astimezone(zone))
        data["summary"] = t("desk.summary_live" if call.live else "desk.summary_ended", line=data["call"]["line"])
    data["latest"] = data["call"]["history"][-1]["text"] if data["call"] and data["call"]["history"] else ""
    data["fingerprint"] = fingerprint(data)
    return data
