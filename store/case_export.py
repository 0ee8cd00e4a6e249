"""A caller's cases for their right of access: found by their number's keyed HMAC, directly or through the call."""

from __future__ import annotations

from typing import Any, Mapping

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from store.cases import notes, people, summary, timeline
from store.models import Call, CaseFile


def cases_of(session: Session, hashed: str) -> list[CaseFile]:
    """Cases holding this number (consented) or relayed from a call of this number (the caller will call back)."""
    calls = select(Call.id).where(Call.caller_hash == hashed)
    return list(session.scalars(select(CaseFile).where(or_(CaseFile.number_hash == hashed,
                                                           CaseFile.call_id.in_(calls)))
                                .order_by(CaseFile.relayed_at, CaseFile.id)))


def case_record(session: Session, config: Mapping[str, Any], case: CaseFile, slugs: Mapping[int, str]) -> dict[str, Any]:
    """What the case says about the caller, notes included; who wrote them is the staff's data, not theirs."""
    return {
        "line": slugs.get(case.line_id),
        "relayed_to": f"{case.target_kind}:{case.target_slug}",
        "relayed_at": case.relayed_at.isoformat(),
        "status": case.status,
        "department": case.department,
        "caller_role": case.caller_role,
        "since": case.since,
        "frequency": case.frequency,
        "category": case.category,
        "people": [{"who": p.who, "link": p.link} for p in people(config, case)],
        "summary": summary(config, case),
        "number_kept_encrypted": case.number_encrypted is not None,
        "consent_recorded_at": case.consent_at.isoformat() if case.consent_at else None,
        "callback_window": case.callback_window if case.consent else None,
        "notes": [{"at": note.at.isoformat(), "text": text} for note, text in notes(session, config, case)],
        "steps": [{"at": step.at.isoformat(), "step": step.kind} for step in timeline(session, case)],
    }
