"""Cases relayed to a centre in the database: opening one, notes and steps, who may read it, and its timeline.

A case's people, notes and any number are encrypted at rest (store/crypto.py); the number is there only when
the caller agreed during the call, and its keyed HMAC with it (the caller's access and erasure rights find it)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlalchemy.orm import Session

from phones.numbers import caller_hash
from store.crypto import decrypt_number, decrypt_text, encrypt_number, encrypt_text
from store.models import CallbackAttempt, CaseFile, CaseNote, CaseStep, ConsoleAccount, Listener, QueuedCaller

CALLER_ROLES = ("victim", "relative", "professional", "witness", "author")
PEOPLE_ROLES = ("victim", "accused", "relative", "professional", "witness", "other")
SINCE = ("days", "weeks", "months", "years", "unknown")
FREQUENCY = ("once", "sometimes", "weekly", "daily", "unknown")
STATUSES = ("relayed", "analysed", "closed")
MAX_NOTE = 4000
MAX_PEOPLE = 8


@dataclass(frozen=True)
class Person:
    """Someone concerned by the situation and their link to the victim ("fils", "aide à domicile")."""

    who: str
    link: str


@dataclass(frozen=True)
class CaseFacts:
    """What the listener records when relaying, as checked by the form."""

    target_kind: str
    target_slug: str
    caller_role: str
    since: str
    frequency: str
    category: str | None
    people: tuple[Person, ...]
    summary: str
    callback_window: str = "asap"


@dataclass(frozen=True)
class Step:
    at: datetime
    kind: str  # relayed, analysed, note, callback_tried, reached, not_reached, closed
    by: str
    detail: str = ""


def open_case(session: Session, config: Mapping[str, Any], *, facts: CaseFacts, line_id: int | None,
              call_id: int | None, department: str | None, language: str, number: str | None,
              account: ConsoleAccount, now: datetime) -> CaseFile:
    """Record the case; ``number`` (E.164) only when the caller consented, read from the call, never typed."""
    hashed = caller_hash(number, config["NUMBER_PEPPER"]) if number else None
    kept = number if hashed else None
    case = CaseFile(
        line_id=line_id, call_id=call_id, target_kind=facts.target_kind, target_slug=facts.target_slug,
        department=department, caller_role=facts.caller_role, since=facts.since, frequency=facts.frequency,
        category=facts.category, language=language,
        people_encrypted=encrypt_text(config, json.dumps([[p.who, p.link] for p in facts.people])),
        summary_encrypted=encrypt_text(config, facts.summary) if facts.summary else "",
        consent=kept is not None, consent_by=account.email if kept else None, consent_at=now if kept else None,
        number_encrypted=encrypt_number(config, kept) if kept else None, number_hash=hashed,
        callback_window=facts.callback_window, status="relayed", relayed_at=now, relayed_by=account.email,
        relayed_by_account_id=account.id, updated_at=now,
    )
    session.add(case)
    session.flush()
    add_step(session, case, "relayed", account.email, now, facts.target_slug)
    # The caller's choice, recorded by the listener either way, with who and when.
    add_step(session, case, "consent" if kept else "no_number", account.email, now)
    return case


def add_step(session: Session, case: CaseFile, kind: str, by: str, now: datetime, detail: str = "") -> CaseStep:
    step = CaseStep(case_id=case.id, at=now, kind=kind, by=by[:254], detail=detail[:200])
    session.add(step)
    case.updated_at = now
    return step


def add_note(session: Session, config: Mapping[str, Any], case: CaseFile, text: str, author: str,
             now: datetime) -> CaseNote:
    note = CaseNote(case_id=case.id, at=now, author=author[:254], text_encrypted=encrypt_text(config, text))
    session.add(note)
    add_step(session, case, "note", author, now)
    return note


def set_status(session: Session, case: CaseFile, status: str, by: str, now: datetime) -> bool:
    """Analysed or closed (or reopened to relayed); False when nothing changes."""
    if status not in STATUSES or status == case.status:
        return False
    case.status = status
    case.closed_at = now if status == "closed" else None
    add_step(session, case, {"relayed": "reopened"}.get(status, status), by, now)
    return True


def people(config: Mapping[str, Any], case: CaseFile) -> list[Person]:
    text = decrypt_text(config, case.people_encrypted)
    return [Person(str(who), str(link)) for who, link in json.loads(text or "[]")]


def summary(config: Mapping[str, Any], case: CaseFile) -> str:
    return decrypt_text(config, case.summary_encrypted) or ""


def notes(session: Session, config: Mapping[str, Any], case: CaseFile) -> list[tuple[CaseNote, str]]:
    rows = session.scalars(select(CaseNote).where(CaseNote.case_id == case.id).order_by(CaseNote.at, CaseNote.id))
    return [(note, decrypt_text(config, note.text_encrypted) or "") for note in rows]


def consented_number(config: Mapping[str, Any], case: CaseFile) -> str | None:
    """The number to dial back, decrypted only for the call-back (never shown)."""
    if not case.consent or not case.number_encrypted:
        return None
    return decrypt_number(config, case.number_encrypted)


def timeline(session: Session, case: CaseFile) -> list[Step]:
    """Each step with who and when; the call-back tries come from the callback machinery's own records."""
    steps = [Step(s.at, s.kind, s.by, s.detail) for s in
             session.scalars(select(CaseStep).where(CaseStep.case_id == case.id).order_by(CaseStep.at, CaseStep.id))]
    if case.callback_request_id is not None:
        attempts = session.execute(
            select(CallbackAttempt, Listener.name).outerjoin(Listener, Listener.id == CallbackAttempt.listener_id)
            .where(CallbackAttempt.request_id == case.callback_request_id).order_by(CallbackAttempt.id)).all()
        for attempt, name in attempts:
            if attempt.outcome is not None:
                kind = "reached" if attempt.outcome == "reached" else "not_reached"
                steps.append(Step(attempt.ended_at or attempt.created_at, kind, name or "", attempt.outcome))
            elif attempt.status in ("missed", "cancelled"):
                steps.append(Step(attempt.ended_at or attempt.created_at, "not_taken", name or "", attempt.status))
    return sorted(steps, key=lambda s: s.at)


# --- who may read a case -----------------------------------------------------------------------------------


def _scoped(account: ConsoleAccount, kind: str, slug: str) -> bool:
    return any(s.kind == kind and s.slug == slug for s in account.scopes)


def may_read(account: ConsoleAccount | None, case: CaseFile, line_slug: str | None) -> bool:
    """The national line's staff (admins, its coordinators), the target's coordinators and referents, and the
    listener who relayed it; nobody else, whatever the case's number."""
    if account is None or not account.active:
        return False
    if account.role == "admin":
        return True
    if account.role in ("coordinator", "referent") and _scoped(account, case.target_kind, case.target_slug):
        return True
    if account.role == "coordinator" and line_slug is not None and _scoped(account, "line", line_slug):
        return True
    return account.role == "listener" and case.relayed_by_account_id == account.id


def visible(account: ConsoleAccount, line_ids: Mapping[str, int]) -> ColumnElement[bool]:
    """The same rule as ``may_read``, as a condition on CaseFile for the lists (``line_ids``: slug → row id)."""
    if account.role == "admin":
        return true()
    if account.role == "listener":
        return CaseFile.relayed_by_account_id == account.id
    if account.role not in ("coordinator", "referent"):
        return false()
    targets = [and_(CaseFile.target_kind == s.kind, CaseFile.target_slug == s.slug)
               for s in account.scopes if s.kind in ("centre", "association")]
    if account.role == "coordinator":
        ids = [line_ids[s.slug] for s in account.scopes if s.kind == "line" and s.slug in line_ids]
        if ids:
            targets.append(CaseFile.line_id.in_(ids))
    return or_(*targets) if targets else false()


def case_list(session: Session, account: ConsoleAccount, line_ids: Mapping[str, int],
              status: str | None = None, limit: int = 200) -> list[CaseFile]:
    """Cases to analyse first (relayed, then analysed, then closed), oldest relay first within each."""
    query = select(CaseFile).where(visible(account, line_ids))
    if status in STATUSES:
        query = query.where(CaseFile.status == status)
    else:
        query = query.where(CaseFile.status != "closed")
    return list(session.scalars(query.order_by(CaseFile.status.desc(), CaseFile.relayed_at, CaseFile.id).limit(limit)))


def calls_to_relay(session: Session, listener_id: int, since: datetime) -> list[int]:
    """The calls a listener was bridged to since ``since`` and not relayed yet (their ids, newest first)."""
    relayed = select(CaseFile.call_id).where(CaseFile.call_id.is_not(None))
    return list(session.scalars(
        select(QueuedCaller.call_id)
        .where(QueuedCaller.bridged_to == listener_id, QueuedCaller.call_id.is_not(None),
               QueuedCaller.enqueued_at >= since, QueuedCaller.call_id.not_in(relayed))
        .order_by(QueuedCaller.enqueued_at.desc()).limit(20)))
