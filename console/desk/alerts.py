"""What the supervisors of some lines are told: listeners asking for help, calls going on, debriefs due.

One plain dict for the supervisors' desk, for a line's live board (console/live paints it too) and for the JSON
their pages poll. A call appears by its line, reference and facts, never by the caller's number.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from console.describe import clock_time
from console.desk.state import DEFAULT_ZONE, call_view, line_of
from console.texts import t
from routing.model import Line
from store.desk_calls import debriefs_due, live_calls_on_lines
from store.snapshot import Snapshot

SUPERVISE_MODES = ("listen", "whisper", "join")


def line_alerts(session: Session, snapshot: Snapshot, lines: list[Line], now: datetime,
                people=None) -> dict:
    """``people``: call id → who is on that call (the conference's participants), when known."""
    ids = [snapshot.line_ids[line.slug] for line in lines if line.slug in snapshot.line_ids]
    calls = []
    for call in live_calls_on_lines(session, ids):
        view = call_view(call, line_of(snapshot, call.line_id), now, people(call) if people else None, supervisor=True)
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
