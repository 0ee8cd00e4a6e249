"""Cases as the console shows them: in the reader's words and the line's time zone, never a number."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from console.texts import current_language, t
from routing.model import Line
from store.case_callbacks import callback_state
from store.cases import notes, people, summary, timeline
from store.models import CaseFile

DEFAULT_ZONE = "Europe/Paris"


@dataclass(frozen=True)
class CaseRow:
    id: int
    relayed: str
    line_name: str
    target: str
    caller_role: str
    category: str
    status: str
    status_code: str
    reachable: str  # "rappel possible" or "l'appelant rappellera"


@dataclass(frozen=True)
class NoteView:
    at: str
    author: str
    text: str


@dataclass(frozen=True)
class StepView:
    at: str
    what: str
    by: str


@dataclass(frozen=True)
class CaseView:
    row: CaseRow
    department: str
    since: str
    frequency: str
    people: list[tuple[str, str]]
    summary: str
    notes: list[NoteView]
    steps: list[StepView]
    callback_possible: bool
    window: str
    consent: str  # who recorded the caller's agreement and when, or ""
    callback_state: str


def _zone(line: Line | None) -> ZoneInfo:
    return ZoneInfo(line.schedule.timezone if line else DEFAULT_ZONE)


def when(moment: datetime | None, line: Line | None) -> str:
    return moment.astimezone(_zone(line)).strftime("%Y-%m-%d %H:%M") if moment else "—"


def category_words(case: CaseFile, line: Line | None) -> str:
    if not case.category:
        return "—"
    found = next((c for c in line.categories if c.slug == case.category), None) if line else None
    return found.label.get(current_language()) if found else case.category


def _outcome(code: str) -> str:
    """A call-back's outcome in words (no_answer, busy, machine…); anything else as recorded."""
    key = f"case.outcome.{code}"
    words = t(key)
    return code if words == key else words


def case_row(case: CaseFile, line: Line | None, target: str) -> CaseRow:
    return CaseRow(
        id=case.id, relayed=when(case.relayed_at, line), line_name=line.name if line else "—", target=target,
        caller_role=t(f"case.caller_role.{case.caller_role}"), category=category_words(case, line),
        status=t(f"case.status.{case.status}"), status_code=case.status,
        reachable=t("case.reachable") if case.consent else t("case.will_call_back"),
    )


def case_view(session: Session, config: Mapping[str, Any], case: CaseFile, line: Line | None,
              target: str) -> CaseView:
    steps = [StepView(when(step.at, line), t(f"case.step.{step.kind}", detail=_outcome(step.detail)), step.by or "—")
             for step in timeline(session, case)]
    state = callback_state(session, case)
    return CaseView(
        row=case_row(case, line, target), department=case.department or "—",
        since=t(f"case.since.{case.since}"), frequency=t(f"case.frequency.{case.frequency}"),
        people=[(t(f"case.who.{p.who}"), p.link) for p in people(config, case)], summary=summary(config, case),
        notes=[NoteView(when(note.at, line), note.author, text) for note, text in notes(session, config, case)],
        steps=steps, callback_possible=case.consent and case.number_encrypted is not None,
        window=t(f"case.window.{case.callback_window}"),
        consent=t("case.consent_by", who=case.consent_by or "—", at=when(case.consent_at, line)) if case.consent else "",
        callback_state=t(f"case.callback_state.{state}") if state else "",
    )
