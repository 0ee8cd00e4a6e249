"""The roster as the console edits it: who sees which listeners, saving them, their shifts, PINs and calls."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any, Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from store.listeners import create_listener, masked_phone, normalised_phone, set_pin
from store.dispatch import WAITING
from store.models import CallbackAttempt, Listener, ListenerPool, ListenerShift, QueuedCaller, QueueEvent

DAY_CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PIN_DIGITS = 6


@dataclass(frozen=True)
class ListenerFields:
    """What a coordinator gave for a listener, already checked."""

    name: str
    phone: str  # E.164
    pools: tuple[str, ...]
    languages: tuple[str, ...]
    skills: tuple[str, ...]
    follows_shifts: bool


def listeners_in_pools(session: Session, pools: Iterable[str] | None, active: bool | None = None) -> list[Listener]:
    """Listeners with at least one of ``pools`` (None: every listener), by name."""
    query = (select(Listener).options(selectinload(Listener.pools), selectinload(Listener.shifts))
             .order_by(func.lower(Listener.name), Listener.id))
    if pools is not None:
        query = query.where(Listener.id.in_(select(ListenerPool.listener_id).where(ListenerPool.pool.in_(list(pools)))))
    if active is not None:
        query = query.where(Listener.active.is_(active))
    return list(session.scalars(query))


def listener_in_pools(session: Session, listener_id: int, pools: Iterable[str] | None) -> Listener | None:
    """The listener, if it has one of ``pools`` (None: any): others are as good as absent to this account."""
    listener = session.get(Listener, listener_id)
    if listener is None or pools is None:
        return listener
    return listener if {p.pool for p in listener.pools} & set(pools) else None


def phone_owner(session: Session, phone: str) -> Listener | None:
    return session.scalar(select(Listener).where(Listener.phone == phone))


def as_record(listener: Listener) -> dict[str, Any]:
    """The listener as the audit log keeps it: the phone masked (personal data), never the PIN."""
    return {
        "name": listener.name,
        "phone": masked_phone(listener.phone),
        "pools": sorted(p.pool for p in listener.pools),
        "languages": list(listener.languages or []),
        "skills": list(listener.skills or []),
        "follows_shifts": bool(listener.follows_shifts),
        "active": bool(listener.active),
        "shifts": [shift_code(s) for s in listener.shifts],
    }


def shift_code(shift: ListenerShift) -> str:
    return f"{DAY_CODES[shift.weekday]} {shift.starts:%H:%M}-{shift.ends:%H:%M} {shift.timezone}"


def new_pin() -> str:
    """Six random digits; shown once to the coordinator, kept only as a hash."""
    return "".join(str(secrets.randbelow(10)) for _ in range(PIN_DIGITS))


def add_listener(session: Session, fields: ListenerFields, now: datetime) -> tuple[Listener, str]:
    """A new listener, offline, with a fresh PIN returned to be shown once."""
    pin = new_pin()
    listener = create_listener(session, fields.name, fields.phone, fields.pools, pin, now,
                               languages=fields.languages, skills=fields.skills,
                               follows_shifts=fields.follows_shifts)
    return listener, pin


def update_listener(listener: Listener, fields: ListenerFields, editable_pools: Iterable[str]) -> None:
    """Apply the form; pools outside ``editable_pools`` (another line's, or one no line queues to) are kept."""
    listener.name = fields.name
    listener.phone = normalised_phone(fields.phone)
    listener.languages = list(fields.languages)
    listener.skills = list(fields.skills)
    listener.follows_shifts = fields.follows_shifts
    editable = set(editable_pools)
    kept = [p.pool for p in listener.pools if p.pool not in editable]
    chosen = dict.fromkeys(kept + [p for p in fields.pools if p in editable])
    current = {p.pool: p for p in listener.pools}  # the same rows are kept: no delete and re-insert
    listener.pools = [current.get(pool) or ListenerPool(pool=pool) for pool in chosen]


def reset_pin(listener: Listener) -> str:
    """A new PIN replaces the old one (and lifts a lock from wrong guesses); returned to be shown once."""
    pin = new_pin()
    set_pin(listener, pin)
    listener.pin_failures = 0
    listener.pin_locked_until = None
    return pin


def add_shift(listener: Listener, weekday: int, starts: time, ends: time, timezone: str) -> bool:
    """False when the listener already has exactly this shift."""
    for known in listener.shifts:
        if (known.weekday, known.starts, known.ends, known.timezone) == (weekday, starts, ends, timezone):
            return False
    listener.shifts.append(ListenerShift(weekday=weekday, starts=starts, ends=ends, timezone=timezone))
    return True


def remove_shift(session: Session, listener: Listener, shift_id: int) -> bool:
    shift = next((s for s in listener.shifts if s.id == shift_id), None)
    if shift is None:
        return False
    listener.shifts.remove(shift)
    session.flush()
    return True


def calls_taken(session: Session, listener_id: int, since: datetime, until: datetime) -> int:
    """Conversations the listener had in [since, until]: callers bridged to them and callbacks that reached
    the person."""
    bridged = session.scalar(
        select(func.count()).select_from(QueueEvent)
        .where(QueueEvent.listener_id == listener_id, QueueEvent.kind == "bridged",
               QueueEvent.at >= since, QueueEvent.at <= until)) or 0
    called_back = session.scalar(
        select(func.count()).select_from(CallbackAttempt)
        .where(CallbackAttempt.listener_id == listener_id, CallbackAttempt.outcome == "reached",
               CallbackAttempt.created_at >= since, CallbackAttempt.created_at <= until)) or 0
    return bridged + called_back


def waiting_in_pools(session: Session, pools: Iterable[str]) -> list[QueuedCaller]:
    """Callers still in a queue (a listener's phone may be ringing for them), in the order they are served:
    priority, then arrival — the order the wait announcements count positions in."""
    return list(session.scalars(
        select(QueuedCaller).where(QueuedCaller.pool.in_(list(pools)), QueuedCaller.status.in_(WAITING))
        .order_by(QueuedCaller.pool, QueuedCaller.priority.desc(), QueuedCaller.enqueued_at, QueuedCaller.id)))
