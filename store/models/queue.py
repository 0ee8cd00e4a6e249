"""The queue: waiting callers, offers to listeners and what happened to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base


class QueuedCaller(Base):
    """A caller waiting in a pool's Twilio queue, as the engine tracks it."""

    __tablename__ = "queued_caller"
    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("call.id", ondelete="SET NULL"))
    line_id: Mapped[int | None] = mapped_column(ForeignKey("line.id", ondelete="SET NULL"))
    pool: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), default="waiting", index=True)
    enqueued_at: Mapped[datetime] = mapped_column(index=True)
    # The caller's last sign of life: joining the queue, or Twilio fetching their wait document (which it does
    # again each time the last one has played). Null on rows from before it was kept: enqueued_at stands in.
    last_heard_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    language: Mapped[str] = mapped_column(String(8), default="fr")
    caller_type: Mapped[str | None] = mapped_column(String(32))
    department: Mapped[str | None] = mapped_column(String(8))
    resume_query: Mapped[str] = mapped_column(String(400), default="")  # where the chain goes on if they leave
    best_position: Mapped[int | None]  # announcements only ever improve
    best_wait: Mapped[int | None]
    offered_to: Mapped[int | None] = mapped_column(ForeignKey("listener.id", ondelete="SET NULL"))
    bridged_to: Mapped[int | None] = mapped_column(ForeignKey("listener.id", ondelete="SET NULL"))
    priority: Mapped[int] = mapped_column(default=0)


class Offer(Base):
    """One attempt to give a waiting caller to a listener: the listener's phone rings."""

    __tablename__ = "offer"
    id: Mapped[int] = mapped_column(primary_key=True)
    listener_id: Mapped[int] = mapped_column(ForeignKey("listener.id", ondelete="CASCADE"), index=True)
    queued_caller_id: Mapped[int] = mapped_column(ForeignKey("queued_caller.id", ondelete="CASCADE"), index=True)
    pool: Mapped[str] = mapped_column(String(64))
    call_sid: Mapped[str | None] = mapped_column(String(64), unique=True)  # the listener's leg
    status: Mapped[str] = mapped_column(String(16), default="dialling", index=True)
    created_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    expires_at: Mapped[datetime]


class QueueEvent(Base):
    """Queue history: joined, announced, left, abandoned, offered, missed, bridged, ended — for metrics."""

    __tablename__ = "queue_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    pool: Mapped[str] = mapped_column(String(64))  # indexed with its kind (below)
    line_id: Mapped[int | None] = mapped_column(ForeignKey("line.id", ondelete="SET NULL"), index=True)
    queued_caller_id: Mapped[int | None] = mapped_column(ForeignKey("queued_caller.id", ondelete="SET NULL"),
                                                         index=True)
    listener_id: Mapped[int | None] = mapped_column(ForeignKey("listener.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(24))
    wait_seconds: Mapped[int | None]
    detail: Mapped[str] = mapped_column(String(200), default="")

    # The reports: the callers who joined a line's queues in a period, then each one's events in order.
    # A pool's last talks, asked on every call to an open line with a queue (store/listeners.py POOL_STATE; 0021).
    __table_args__ = (
        Index("ix_queue_event_line_id_kind_at", "line_id", "kind", "at"),
        Index("ix_queue_event_queued_caller_id_at", "queued_caller_id", "at"),
        Index("ix_queue_event_pool_kind_id", "pool", "kind", "id", postgresql_include=["wait_seconds"]),
    )
