"""What a desk shows of a call, as one plain dict for the first paint and for the JSON the page polls.

Only facts a listener needs: the line, how long the caller waited, language, département, who calls, category,
the console's call reference, who is on the call and what changed. Never the caller's number nor Twilio's ids.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app, url_for
from sqlalchemy.orm import Session

from console.describe import clock_time
from console.roster.words import language_label, skill_label, status_label, wait_words
from console.desk.person_words import key_for
from console.desk.transfer_state import transfer_view
from console.texts import current_language, t
from directory_data.reference import load_departments
from routing.model import Line
from store.desk_calls import DeskCall, listener_call
from store.models import ConsoleAccount, Listener
from store.snapshot import Snapshot

POLL_SECONDS = 3
RELAY = "cases.relay_form"
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


def event_words(kind: str, detail: str, callback: bool = False) -> str:
    """A step of the call in words; a step the desk has no words for yet shows its code, never nothing. On a safe
    callback, a step that names the caller has its own words for the person called back (``…_called_back``)."""
    first = detail.split(" ")[0] if detail else ""
    detail_key = f"desk.detail.{first}"
    shown = t(detail_key) if first and t(detail_key) != detail_key else first
    key = key_for(f"desk.event.{kind}", callback)
    words = t(key, detail=shown)
    return kind if words == key else words.replace(" ()", "")


def history(call: DeskCall, zone: ZoneInfo) -> list[dict]:
    return [{"time": clock_time(at.astimezone(zone)), "text": event_words(kind, detail, call.callback)}
            for at, kind, detail in call.events if kind.startswith(SHOWN_PREFIXES)]


def call_view(call: DeskCall, line: Line | None, now: datetime, people: list[dict] | None = None,
              supervisor: bool = False) -> dict:
    """One call in words, for the listener on it or (``supervisor``) a supervisor of its line."""
    zone = ZoneInfo(line.schedule.timezone if line else DEFAULT_ZONE)
    talking = int((now - call.answered_at).total_seconds()) if call.answered_at and call.live else None
    return {
        "id": call.call_id,
        "reference": t("desk.callback_reference" if call.callback else "desk.reference", id=call.call_id),
        "live": call.live,
        "callback": call.callback,  # a safe callback: the person called back, not "l'appelant·e"
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
    return [{"role": "caller", "text": _caller_words(call)}, {"role": "listener", "text": listener}]


def _caller_words(call: DeskCall) -> str:
    """The caller, or on a callback the person called back — never their number."""
    return t("desk.person.called_back" if call.callback else "desk.person.caller")


def _name(session: Session, model, row_id: int | None) -> str:
    row = session.get(model, row_id) if row_id is not None else None
    return row.name if row is not None else ""


def _state_words(leg, held: bool) -> str:
    """What a participant hears or says, in words: the listener knows who hears the caller."""
    if leg.joined_at is None:
        return t("desk.state.ringing")
    if leg.role == "caller":
        return t("desk.state.on_hold") if held or leg.on_hold else ""
    if leg.role == "supervisor":
        return t(f"desk.state.{leg.mode or 'listen'}")
    return t("desk.state.muted") if leg.muted else ""


def people(session: Session, call: DeskCall, me: int | None = None) -> list[dict]:
    """Who is on the call (the conference's registry), for the listener ``me`` or (None) a supervisor."""
    if not call.legs:
        return default_people(call, supervisor=me is None)
    found = []
    for leg in call.legs:
        if leg.role in ("listener", "binome"):
            text = t("desk.person.you") if leg.listener_id == me else \
                t(f"desk.person.{leg.role}", name=_name(session, Listener, leg.listener_id))
        elif leg.role == "supervisor":
            text = t("desk.person.supervisor", name=_name(session, ConsoleAccount, leg.account_id))
        elif leg.role == "third_party":
            text = t("desk.person.third_party", label=leg.label if leg.label != "third_party" else "")
        else:
            text = _caller_words(call)
        state = _state_words(leg, call.held)
        found.append({"id": leg.id, "role": leg.role, "text": f"{text} — {state}" if state else text,
                      "muted": leg.muted, "joined": leg.joined_at is not None})
    return found


def fingerprint(data: dict) -> str:
    """Changes when the page's forms or lists would change (not with the seconds ticking)."""
    call = data.get("call")
    shape = None if call is None else [call["id"], call["live"], call["difficult"], call["help_waiting"],
                                       call["people"], len(call["history"]), call.get("wrapup_until"),
                                       call.get("held"), call.get("controls"), call.get("transfer")]
    return hashlib.sha256(json.dumps([data["status"], shape], default=str).encode()).hexdigest()[:16]


def listener_desk(session: Session, snapshot: Snapshot, listener: Listener, now: datetime) -> dict:
    call = listener_call(session, listener)
    line = line_of(snapshot, call.line_id) if call else None
    data: dict = {"status": status_label(listener.status), "call": None}
    if call is None:
        data["summary"] = t("desk.no_call")
    else:
        data["call"] = call_view(call, line, now, people(session, call, me=listener.id))
        # The conference's controls are the main listener's (a binôme listens, asks for help, marks it difficult).
        data["call"]["controls"] = call.conversation_id is not None and call.listener_id == listener.id
        data["call"]["held"] = call.held
        data["call"]["transfer"] = transfer_view(session, call.conversation_id, now) if data["call"]["controls"] \
            else None
        data["call"]["categories"] = [{"slug": c.slug, "label": c.label.get(current_language())}
                                      for c in (line.categories if line else ())]
        # Handing the situation to a centre (issue 14 §3) is the `cases` feature's form, when the console has it.
        data["call"]["relay_url"] = url_for(RELAY, call_ref=call.call_id) if RELAY in current_app.view_functions \
            else None
        if not call.live and listener.wrapup_until is not None:
            zone = ZoneInfo(line.schedule.timezone if line else DEFAULT_ZONE)
            data["call"]["wrapup_until"] = clock_time(listener.wrapup_until.astimezone(zone))
        data["summary"] = t("desk.summary_live" if call.live else "desk.summary_ended", line=data["call"]["line"])
    data["latest"] = data["call"]["history"][-1]["text"] if data["call"] and data["call"]["history"] else ""
    if data["latest"]:
        # The summary is the page's one live region: a screen reader hears each change of the call as it comes.
        data["summary"] = t("desk.summary_with_change", summary=data["summary"], change=data["latest"])
    data["fingerprint"] = fingerprint(data)
    return data
