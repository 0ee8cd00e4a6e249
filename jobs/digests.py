"""Each line's daily digest: yesterday's calls and callbacks counted in the line's own day, and the outbox row
queued once its local morning has come (jobs/email.py sends it with the rest of the outbox)."""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jobs import email_templates as templates
from routing.model import Line
from store.callbacks import OPEN as OPEN_CALLBACKS
from store.extension import database, directory
from store.models import Call, CallbackRequest, EmailOutbox, LineRow

logger = logging.getLogger(__name__)

DIGEST_AFTER = time(8, 0)  # line time: yesterday is over and the morning team reads it


def count_day(session: Session, line_id: int, line: Line, day: date) -> templates.DayCounts:
    """One local day of a line, from midnight to midnight in its time zone (23 or 25 hours at DST changes)."""
    zone = ZoneInfo(line.schedule.timezone)
    start = datetime.combine(day, time(0), zone)
    end = datetime.combine(day + timedelta(days=1), time(0), zone)
    in_day = (Call.line_id == line_id, Call.started_at >= start, Call.started_at < end)
    outcomes = dict(session.execute(
        select(Call.outcome, func.count()).where(*in_day).group_by(Call.outcome)).all())
    after_hours = session.scalar(select(func.count()).select_from(Call)
                                 .where(*in_day, Call.closed_reason.is_not(None)))
    statuses = dict(session.execute(
        select(CallbackRequest.status, func.count())
        .where(CallbackRequest.line_id == line_id, CallbackRequest.requested_at >= start,
               CallbackRequest.requested_at < end)
        .group_by(CallbackRequest.status)).all())
    open_all_days = session.scalar(
        select(func.count()).select_from(CallbackRequest)
        .where(CallbackRequest.line_id == line_id, CallbackRequest.status.in_(OPEN_CALLBACKS)))
    return templates.DayCounts(
        calls=sum(outcomes.values()), answered=outcomes.get("answered", 0),
        forwarded=outcomes.get("forwarded", 0), handed_off=outcomes.get("handed_off", 0),
        abandoned=outcomes.get("abandoned", 0), after_hours=after_hours or 0,
        callbacks=sum(statuses.values()), callbacks_pending=sum(statuses.get(s, 0) for s in OPEN_CALLBACKS),
        callbacks_reached=statuses.get("reached", 0), callbacks_expired=statuses.get("expired", 0),
        callbacks_open_all_days=open_all_days or 0,
    )


def queue_daily_digests(app: Flask, now: datetime) -> int:
    """Queue yesterday's digest for each line that wants one, once its local morning has come.

    Idempotent: a line has at most one digest per local day, however often (and however many schedulers)
    run this. Days the scheduler did not run at all are not made up for.
    """
    queued = 0
    with app.app_context(), database.session() as session:
        snapshot = directory.get(session, now)
        for slug, line in sorted(snapshot.lines_by_slug.items()):
            if not (line.after_hours_email and line.email.daily_digest):
                continue
            local = now.astimezone(ZoneInfo(line.schedule.timezone))
            if local.time() < DIGEST_AFTER:
                continue
            line_id = snapshot.line_ids[slug]
            day = (local.date() - timedelta(days=1)).isoformat()
            # Check-then-insert under the line's row lock, so two schedulers cannot both insert (SQLite
            # serialises whole transactions already). NO KEY UPDATE leaves calls free to reference the line.
            session.execute(select(LineRow.id).where(LineRow.id == line_id).with_for_update(key_share=True))
            already = session.scalar(
                select(EmailOutbox.id)
                .where(EmailOutbox.line_id == line_id, EmailOutbox.kind == "daily_digest",
                       EmailOutbox.digest_day == day)
                .limit(1))
            if already is None:
                session.add(EmailOutbox(line_id=line_id, kind="daily_digest", digest_day=day, created_at=now))
                session.flush()
                queued += 1
                logger.info("daily digest of %s for %s queued", slug, day)
        session.commit()
    return queued
