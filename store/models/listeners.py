"""Listeners, their pools, shifts and status changes."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    String,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.models.base import Base


class Listener(Base):
    """An écoutant: a person who takes bridged calls on their own phone."""

    __tablename__ = "listener"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(20), unique=True)  # staff number, E.164: dialled for offers
    languages: Mapped[list[Any]] = mapped_column(JSON, default=list)  # ["fr", "en"]
    skills: Mapped[list[Any]] = mapped_column(JSON, default=list)  # caller types: victim, witness...
    pin_hash: Mapped[str] = mapped_column(String(200), default="")
    pin_failures: Mapped[int] = mapped_column(default=0)  # wrong PINs in a row, across calls
    pin_locked_until: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="offline", index=True)
    status_since: Mapped[datetime]
    idle_since: Mapped[datetime | None]  # last time they finished a call or became available: longest idle first
    wrapup_until: Mapped[datetime | None]
    last_offered_at: Mapped[datetime | None]  # round robin takes turns by it
    missed_in_row: Mapped[int] = mapped_column(default=0)
    # Their phone leg that may still be live (a goodbye playing after a call), and until when at most: they are
    # never dialled meanwhile. Twilio's status callback for that leg ends it (until then null: the leg is over).
    leg_sid: Mapped[str | None] = mapped_column(String(64))
    leg_live_until: Mapped[datetime | None]
    follows_shifts: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    pools: Mapped[list[ListenerPool]] = relationship(cascade="all, delete-orphan", order_by="ListenerPool.pool")
    shifts: Mapped[list[ListenerShift]] = relationship(
        cascade="all, delete-orphan", order_by="(ListenerShift.weekday, ListenerShift.starts)"
    )


class ListenerPool(Base):
    __tablename__ = "listener_pool"
    __table_args__ = (UniqueConstraint("listener_id", "pool"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    listener_id: Mapped[int] = mapped_column(ForeignKey("listener.id", ondelete="CASCADE"), index=True)
    pool: Mapped[str] = mapped_column(String(64), index=True)


class ListenerShift(Base):
    """A recurring weekly shift, in the time zone of the listener's first pool's line."""

    __tablename__ = "listener_shift"
    id: Mapped[int] = mapped_column(primary_key=True)
    listener_id: Mapped[int] = mapped_column(ForeignKey("listener.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")


class ListenerStatusChange(Base):
    """Every status change, for reports (time available, paused, on call...)."""

    __tablename__ = "listener_status_change"
    id: Mapped[int] = mapped_column(primary_key=True)
    listener_id: Mapped[int] = mapped_column(ForeignKey("listener.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(16))
    previous: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(120), default="")
