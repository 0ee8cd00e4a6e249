"""The route preview: one simulated call through the real signed webhooks, in a throwaway copy of the directory.

How a preview leaves no trace: ``helpline call`` (ivr/simulator.py) writes what any call writes — a Call
row and its routing events, queued callers, callback requests, outbox emails, offers to listeners — and
switches the app's clock. The preview does none of that to the real app or database. It builds a second
app on a private in-memory SQLite database (``sqlite://``, dropped when the engine is disposed), copies
into it the current lines, centres and coordinators' overrides, and the pool staffing the coordinator
chose (fictitious listeners), then plays the call there with its own clock. Its REST base URL and mail
server are closed loopback ports and its dispatch is off, so nobody is dialled and nothing is sent. The
number typed is given to that app only: its keyed hash uses a pepper made for this preview alone and the
database holding it is gone when the preview returns; the number is never logged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Iterable

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.simulator import CallSimulator, SimulatedClock, Transcript
from store.extension import database
from ivr.sandbox import sandbox
from store.documents import centres_query, lines_query
from store.listeners import pool_state
from store.models import CentreRow, Listener, ListenerPool, LineRow, OverrideRow
from store.calls import find_call

STAFFING = ("now", "none", "busy", "available")
FICTITIOUS_PHONE = "+331990{:05d}"  # ARCEP's fiction range 01 99 0x xx xx: never a real listener's phone


@dataclass
class PreviewResult:
    transcript: Transcript
    reasons: list[tuple[str, str]] = field(default_factory=list)  # the engine's own log, in English
    steps: list[tuple[str, int | None, datetime]] = field(default_factory=list)  # (kind, rule index, moment)
    outcome: str | None = None


def run_preview(session: Session, to: str, start: datetime, caller: str, presses: list[str],
                outcomes: dict[str, str], staffing: str, pools: Iterable[str]) -> PreviewResult:
    """Play one call to ``to`` at ``start`` in a copy of the directory ``session`` reads; nothing is kept."""
    staff = _staffing(session, list(pools), staffing, start)
    clock = SimulatedClock(start)
    with sandbox(current_app._get_current_object(), session, clock, start) as app, app.app_context():
        with database.session() as copy:
            _copy_overrides(session, copy)
            _add_listeners(copy, staff, start)
            copy.commit()
        simulator = CallSimulator(app, to=to, caller=caller, presses=presses, outcomes=outcomes, clock=clock)
        transcript = simulator.run()
        with database.session() as copy:
            call = find_call(copy, transcript.call_sid)
            events = list(call.events) if call is not None else []
            reasons = [(e.kind, e.detail) for e in events]
            steps = [(e.kind, e.rule_index, e.at) for e in events]
            outcome = call.outcome if call is not None else None
            if call is not None:
                reasons.append(("outcome", call.outcome or "-"))
    return PreviewResult(transcript, reasons, steps, outcome)


def _copy_overrides(real: Session, copy: Session) -> None:
    """The coordinators' decisions in force: the copy's files hold the hours, not the decisions."""
    schedules = {("line", row.slug): row.schedule for row in copy.scalars(select(LineRow))}
    schedules.update({("centre", row.slug): row.schedule for row in copy.scalars(select(CentreRow))})
    owners = [("line", row) for row in real.scalars(lines_query())] + \
             [("centre", row) for row in real.scalars(centres_query())]
    for kind, row in owners:
        for override in row.schedule.overrides:
            schedules[(kind, row.slug)].overrides.append(OverrideRow(
                mode=override.mode, starts_at=override.starts_at, until=override.until, reason=override.reason,
                created_by=override.created_by))


def _staffing(session: Session, pools: list[str], staffing: str, moment: datetime) -> dict[str, list[str]]:
    """The statuses of the listeners to put in each pool: as they are now, or the coordinator's case."""
    if staffing == "none":
        return {}
    if staffing in ("busy", "available"):
        return {pool: ["on_call" if staffing == "busy" else "available"] for pool in pools}
    staff = {}
    for pool in pools:
        state = pool_state(session, pool, moment)
        staff[pool] = (["available"] * state.available + ["on_call"] * (state.staffed - state.available)
                       + ["paused"] * (state.logged_in - state.staffed))
    return staff


def _add_listeners(copy: Session, staff: dict[str, list[str]], moment: datetime) -> None:
    number = 0
    for pool, statuses in staff.items():
        for status in statuses:
            number += 1
            copy.add(Listener(name=f"preview {number}", phone=FICTITIOUS_PHONE.format(number), status=status,
                              status_since=moment - timedelta(minutes=5), idle_since=moment - timedelta(minutes=5),
                              pools=[ListenerPool(pool=pool)]))
