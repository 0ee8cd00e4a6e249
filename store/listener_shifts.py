"""Listeners who follow their shifts: available when one starts, offline when it ends, unless they chose otherwise
(the sweep applies this every minute; the shifts themselves are edited in the roster)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from routing.queueing import ListenerStatus
from store.listeners import set_status
from store.models import Listener, ListenerStatusChange

@dataclass(frozen=True)
class ShiftChange:
    listener: str
    status: str


def _shift_edges(listener: Listener, now: datetime) -> tuple[datetime | None, datetime | None]:
    """(start of the shift under way or None, end of the latest shift already over or None)."""
    started = last_end = None
    for shift in listener.shifts:
        zone = ZoneInfo(shift.timezone)
        local = now.astimezone(zone)
        for day_offset in range(0, -8, -1):
            day = (local + timedelta(days=day_offset)).date()
            if day.weekday() != shift.weekday:
                continue
            start = datetime.combine(day, shift.starts, tzinfo=zone)
            end = datetime.combine(day + timedelta(days=1 if shift.ends <= shift.starts else 0), shift.ends, tzinfo=zone)
            if start <= local < end:
                started = start if started is None else min(started, start)
            elif end <= local and (last_end is None or end > last_end):
                last_end = end
    return started, last_end


def _chose_since(session: Session, listener: Listener, moment: datetime) -> bool:
    """Did the listener themselves choose a status after ``moment`` (extra hours are theirs to give)?"""
    latest = session.scalar(select(func.max(ListenerStatusChange.at)).where(
        ListenerStatusChange.listener_id == listener.id, ListenerStatusChange.reason.like("chosen%")))
    return latest is not None and latest >= moment


def apply_shifts(session: Session, now: datetime) -> list[ShiftChange]:
    """Listeners who follow their shifts go available when one starts and offline when it ends.

    A pause or a log-off chosen during the shift is respected (only a status older than the shift's start is
    changed), and so is a listener who chose to be available after the shift ended. A listener on a call
    when the shift ends goes offline once the call and its wrap-up are over.
    """
    changes = []
    listeners = session.scalars(
        select(Listener).options(selectinload(Listener.shifts))
        .where(Listener.follows_shifts.is_(True), Listener.active.is_(True))
        .with_for_update(skip_locked=True, of=Listener)
    ).all()
    for listener in listeners:
        started, last_end = _shift_edges(listener, now)
        if started is not None:
            if listener.status == ListenerStatus.OFFLINE.value and listener.status_since < started:
                set_status(session, listener, ListenerStatus.AVAILABLE, now, "shift started")
                listener.idle_since = now
                listener.missed_in_row = 0  # a new shift starts with a clean slate
                changes.append(ShiftChange(listener.name, "available"))
        elif (last_end is not None
              and listener.status in (ListenerStatus.AVAILABLE.value, ListenerStatus.PAUSED.value,
                                      ListenerStatus.WRAP_UP.value)
              and not _chose_since(session, listener, last_end)):
            set_status(session, listener, ListenerStatus.OFFLINE, now, "shift ended")
            changes.append(ShiftChange(listener.name, "offline"))
    return changes
