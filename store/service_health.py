"""Whether the engine's outside dependencies work: Twilio's REST API (written by whichever process calls it) and the
scheduler (read from its own job store), for the banner of the console's live board."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from store.models import ServiceHealth

TWILIO_REST = "twilio_rest"
# A failure older than this, with nothing since, no longer says Twilio is failing now: another process may have
# reached it since without telling (only a process that saw the failure writes that it is over).
STILL_FAILING = timedelta(minutes=10)
# The sweep runs every 15 s; a job store whose sweep is this late means no scheduler is running.
SCHEDULER_LATE = timedelta(seconds=90)
SCHEDULER_JOBS = "apscheduler_jobs"  # jobs/scheduler.py's job store
HEARTBEAT_JOB = "sweep"


@dataclass(frozen=True)
class Trouble:
    what: str  # twilio_rest | scheduler_stopped | scheduler_never
    since: datetime | None  # None: not known (a scheduler that never ran on this database)
    detail: str = ""
    failures: int = 0


def note_rest_failure(session: Session, now: datetime, detail: str) -> None:
    row = session.get(ServiceHealth, TWILIO_REST, with_for_update=True)
    if row is None:
        row = ServiceHealth(name=TWILIO_REST, failures=0, detail="")
        session.add(row)
    if row.failing_since is None or (row.last_failure_at is not None and now - row.last_failure_at > STILL_FAILING):
        row.failing_since, row.failures = now, 0
    row.last_failure_at, row.failures, row.detail = now, (row.failures or 0) + 1, detail[:120]


def note_rest_success(session: Session, now: datetime) -> None:
    row = session.get(ServiceHealth, TWILIO_REST, with_for_update=True)
    if row is None:
        row = ServiceHealth(name=TWILIO_REST, failures=0, detail="")
        session.add(row)
    row.failing_since, row.failures, row.last_success_at = None, 0, now


def rest_trouble(session: Session, now: datetime) -> Trouble | None:
    row = session.get(ServiceHealth, TWILIO_REST)
    if row is None or row.failing_since is None or row.last_failure_at is None:
        return None
    if now - row.last_failure_at > STILL_FAILING:
        return None
    return Trouble(TWILIO_REST, row.failing_since, row.detail, row.failures)


def scheduler_trouble(session: Session, now: datetime) -> Trouble | None:
    """No scheduler has run the sweep lately: its next run time in the job store has long passed (since then),
    or the job store has no sweep at all (no scheduler ever ran on this database)."""
    if not inspect(session.connection()).has_table(SCHEDULER_JOBS):
        return Trouble("scheduler_never", None)
    due = session.execute(text(f"SELECT next_run_time FROM {SCHEDULER_JOBS} WHERE id = :job"),
                          {"job": HEARTBEAT_JOB}).scalar()
    if due is None:
        return Trouble("scheduler_never", None)
    due_at = datetime.fromtimestamp(float(due), tz=timezone.utc)
    return Trouble("scheduler_stopped", due_at) if now - due_at > SCHEDULER_LATE else None


def troubles(session: Session, now: datetime) -> list[Trouble]:
    return [trouble for trouble in (rest_trouble(session, now), scheduler_trouble(session, now)) if trouble]

