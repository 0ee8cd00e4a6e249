"""The retention purge: records older than their line's retention_days are anonymised or deleted, in small batches."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Callable

from flask import Flask
from sqlalchemy import ColumnElement, Select, String, cast, delete, literal, or_, select, true, update
from sqlalchemy.orm import Session

from directory_data.build import DEFAULT_RETENTION_DAYS
from store.callbacks import OPEN
from store.extension import database, directory
from store.flags import purge_ended_flags
from store.models import Call, CallbackAttempt, CallbackRequest, CallEvent, CaseFile, CaseNote, CaseStep, EmailOutbox, QueuedCaller
from store.snapshot import Snapshot

logger = logging.getLogger(__name__)

BATCH_SIZE = 500  # rows per transaction: a big purge never holds locks for long
SENT_EMAIL_DAYS = 30
PURGED = "purged-"  # Twilio call SIDs are replaced by "purged-<row id>": unique, and says nothing

LineFilter = Callable[[ColumnElement], ColumnElement]


@dataclass
class PurgeReport:
    """How many rows each step touched."""

    call_events_deleted: int = 0
    calls_anonymised: int = 0
    queued_callers_anonymised: int = 0
    callback_requests_deleted: int = 0
    callback_attempts_deleted: int = 0
    outbox_unlinked: int = 0
    outbox_deleted: int = 0
    caller_flags_deleted: int = 0
    cases_deleted: int = 0

    def counts(self) -> dict[str, int]:
        return asdict(self)

    @property
    def total(self) -> int:
        return sum(self.counts().values())


@dataclass(frozen=True)
class RetentionGroup:
    """Records of these lines (``on_lines`` filters a line_id column) started before ``cutoff`` are due."""

    cutoff: datetime
    on_lines: LineFilter


def purged_sid(column) -> ColumnElement:
    return literal(PURGED) + cast(column, String)


def retention_groups(snapshot: Snapshot, now: datetime) -> list[RetentionGroup]:
    """One group per retention period the lines use, and one for records whose line is unknown or gone."""
    by_days: dict[int, list[int]] = {}
    for slug, line in snapshot.lines_by_slug.items():
        if slug in snapshot.line_ids:
            by_days.setdefault(line.retention_days, []).append(snapshot.line_ids[slug])
    groups = [
        RetentionGroup(now - timedelta(days=days), lambda column, ids=tuple(ids): column.in_(ids))
        for days, ids in sorted(by_days.items())
    ]
    known = tuple(id_ for ids in by_days.values() for id_ in ids)
    # A record with no line (or a line since removed) is kept as long as the longest-kept line's.
    longest = max(by_days, default=DEFAULT_RETENTION_DAYS)
    groups.append(RetentionGroup(
        now - timedelta(days=longest),
        lambda column: or_(column.is_(None), column.not_in(known)) if known else true(),
    ))
    return groups


def in_batches(candidates: Select, apply: Callable[[Session, list[int]], None], size: int) -> int:
    """Select up to ``size`` ids, apply, commit; again until none is left.

    ``apply`` must take its rows out of ``candidates``, or this would never end.
    """
    done = 0
    while True:
        with database.session() as session:
            ids = list(session.scalars(candidates.limit(size)))
            if ids:
                apply(session, ids)
                session.commit()
        done += len(ids)
        if len(ids) < size:
            return done


def purge_calls(group: RetentionGroup, report: PurgeReport, size: int) -> None:
    old_call = select(Call.id).where(group.on_lines(Call.line_id), Call.started_at < group.cutoff)
    events = select(CallEvent.id).where(CallEvent.call_id.in_(old_call)).order_by(CallEvent.id)
    report.call_events_deleted += in_batches(
        events, lambda session, ids: session.execute(delete(CallEvent).where(CallEvent.id.in_(ids))), size)

    calls = (
        select(Call.id)
        .where(group.on_lines(Call.line_id), Call.started_at < group.cutoff,
               or_(Call.caller_hash.is_not(None), Call.sid.not_like(f"{PURGED}%")))
        .order_by(Call.id)
    )
    report.calls_anonymised += in_batches(
        calls, lambda session, ids: anonymise_calls(session, Call.id.in_(ids)), size)


def anonymise_calls(session: Session, which: ColumnElement) -> int:
    """Keep what statistics need (line, times, status, outcome, department, caller type); drop what links."""
    return session.execute(
        update(Call).where(which).values(caller_hash=None, sid=purged_sid(Call.id))
        .execution_options(synchronize_session=False)).rowcount


def anonymise_queued_callers(session: Session, which: ColumnElement) -> int:
    """The rows stay, so queue metrics still group each caller's events; nothing points back to the call."""
    return session.execute(
        update(QueuedCaller).where(which)
        .values(call_sid=purged_sid(QueuedCaller.id), call_id=None, resume_query="")
        .execution_options(synchronize_session=False)).rowcount


def purge_queued_callers(group: RetentionGroup, report: PurgeReport, size: int) -> None:
    waiting = (
        select(QueuedCaller.id)
        .where(group.on_lines(QueuedCaller.line_id), QueuedCaller.enqueued_at < group.cutoff,
               QueuedCaller.call_sid.not_like(f"{PURGED}%"))
        .order_by(QueuedCaller.id)
    )
    report.queued_callers_anonymised += in_batches(
        waiting, lambda session, ids: anonymise_queued_callers(session, QueuedCaller.id.in_(ids)), size)


def delete_callback_requests(session: Session, ids: list[int], report: PurgeReport) -> None:
    report.callback_attempts_deleted += session.execute(
        delete(CallbackAttempt).where(CallbackAttempt.request_id.in_(ids))).rowcount
    report.outbox_unlinked += session.execute(
        update(EmailOutbox).where(EmailOutbox.callback_id.in_(ids)).values(callback_id=None)
        .execution_options(synchronize_session=False)).rowcount
    session.execute(delete(CallbackRequest).where(CallbackRequest.id.in_(ids)))


def purge_callback_requests(group: RetentionGroup, report: PurgeReport, size: int) -> None:
    # An open request is a promise to call someone back: it goes only once closed.
    closed = (
        select(CallbackRequest.id)
        .where(group.on_lines(CallbackRequest.line_id), CallbackRequest.requested_at < group.cutoff,
               CallbackRequest.status.not_in(OPEN))
        .order_by(CallbackRequest.id)
    )
    report.callback_requests_deleted += in_batches(
        closed, lambda session, ids: delete_callback_requests(session, ids, report), size)


def purge_cases(group: RetentionGroup, report: PurgeReport, size: int) -> None:
    """A case goes, notes and steps with it, once both its relay and its last step are older than its line's
    retention: a case still being worked on is kept."""
    old = (
        select(CaseFile.id)
        .where(group.on_lines(CaseFile.line_id), CaseFile.relayed_at < group.cutoff,
               CaseFile.updated_at < group.cutoff)
        .order_by(CaseFile.id)
    )
    report.cases_deleted += in_batches(old, lambda session, ids: delete_cases(session, ids, report), size)


def delete_cases(session: Session, ids: list[int], report) -> int:
    """Cases with their notes and steps, and the call-back request that holds their encrypted number."""
    requests = [i for i in session.scalars(select(CaseFile.callback_request_id).where(
        CaseFile.id.in_(ids), CaseFile.callback_request_id.is_not(None)))]
    session.execute(delete(CaseNote).where(CaseNote.case_id.in_(ids)))
    session.execute(delete(CaseStep).where(CaseStep.case_id.in_(ids)))
    deleted = session.execute(delete(CaseFile).where(CaseFile.id.in_(ids))).rowcount
    if requests:
        delete_callback_requests(session, requests, report)
        report.callback_requests_deleted += len(requests)
    return deleted


def purge_sent_emails(now: datetime, report: PurgeReport, size: int) -> None:
    sent = (
        select(EmailOutbox.id)
        .where(EmailOutbox.sent_at < now - timedelta(days=SENT_EMAIL_DAYS))
        .order_by(EmailOutbox.id)
    )
    report.outbox_deleted += in_batches(
        sent, lambda session, ids: session.execute(delete(EmailOutbox).where(EmailOutbox.id.in_(ids))), size)


def purge(app: Flask, batch_size: int = BATCH_SIZE) -> PurgeReport:
    """Apply every line's retention period once; running it again right after changes nothing."""
    report = PurgeReport()
    with app.app_context():
        now = app.config["CLOCK"]()
        with database.session() as session:
            groups = retention_groups(directory.get(session, now), now)
        for group in groups:
            purge_cases(group, report, batch_size)  # first: a case points at its callback request
            purge_callback_requests(group, report, batch_size)
            purge_calls(group, report, batch_size)
            purge_queued_callers(group, report, batch_size)
        purge_sent_emails(now, report, batch_size)
        with database.session() as session:
            report.caller_flags_deleted = purge_ended_flags(session, now)
            session.commit()
    logger.info("retention purge: %s", ", ".join(f"{name} {count}" for name, count in report.counts().items()))
    return report
