"""What the supervisors of some lines are told: listeners asking for help, calls going on, debriefs due.

One plain dict for the supervisors' desk, for a line's live board (console/live paints it too) and for the JSON
their pages poll. A call appears by its line, reference and facts, never by the caller's number.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import session as flask_session
from sqlalchemy.orm import Session

from console.describe import clock_time
from console.desk.state import DEFAULT_ZONE, call_view, line_of, people
from console.texts import t
from routing.model import Line
from store.desk_calls import debriefs_due, live_calls_on_lines
from store.models import Listener
from store.snapshot import Snapshot

SUPERVISE_MODES = ("listen", "whisper", "join")
PHONE_KEY = "desk_phone"  # the supervisor's own number, remembered in their (signed) session for the next call


def line_alerts(session: Session, snapshot: Snapshot, lines: list[Line], now: datetime) -> dict:
    ids = [snapshot.line_ids[line.slug] for line in lines if line.slug in snapshot.line_ids]
    calls = []
    for call in live_calls_on_lines(session, ids):
        view = call_view(call, line_of(snapshot, call.line_id), now, people(session, call), supervisor=True)
        view["supervisable"] = call.conversation_id is not None
        view["listener"] = call.listener_name
        calls.append(view)
    debriefs = []
    for due in debriefs_due(session, ids, now):
        line = line_of(snapshot, due.line_id)
        zone = ZoneInfo(line.schedule.timezone if line else DEFAULT_ZONE)
        debriefs.append({"id": due.call_id, "reference": t("desk.reference", id=due.call_id),
                         "line": line.name if line else "", "listener": due.listener_name,
                         "marked": clock_time(due.marked_at.astimezone(zone))})
    help_asked = [c for c in calls if c["help_waiting"]]
    data = {
        "help": help_asked,
        "calls": calls,
        "debriefs": debriefs,
        "summary": t("desk.alerts_summary", help=len(help_asked), calls=len(calls), debriefs=len(debriefs)),
        "updated": t("live.updated", time=clock_time(now.astimezone(ZoneInfo(
            lines[0].schedule.timezone if lines else DEFAULT_ZONE)))),
    }
    shape = [[c["id"], c["help_waiting"], c["people"], len(c["history"])] for c in calls] + [d["id"] for d in debriefs]
    data["fingerprint"] = hashlib.sha256(json.dumps(shape, default=str).encode()).hexdigest()[:16]
    return data


def supervisor_phone(session: Session, account) -> str:
    """The number a supervisor is called on: the one they typed last, else their own listener's."""
    if flask_session.get(PHONE_KEY):
        return flask_session[PHONE_KEY]
    listener = session.get(Listener, account.listener_id) if account.listener_id else None
    return listener.phone if listener is not None else ""
