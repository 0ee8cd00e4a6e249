"""Calls and their recorded steps, categories and caller flags, and the email outbox that reports them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.models.base import Base


class Call(Base):
    """One call as the engine saw it.  The caller's number is never stored: only its keyed HMAC."""

    __tablename__ = "call"
    id: Mapped[int] = mapped_column(primary_key=True)
    sid: Mapped[str] = mapped_column(String(64), unique=True)
    line_id: Mapped[int | None] = mapped_column(ForeignKey("line.id", ondelete="SET NULL"), index=True)
    caller_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    caller_withheld: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime] = mapped_column(index=True)
    ended_at: Mapped[datetime | None]
    duration: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(32), default="in-progress")
    outcome: Mapped[str | None] = mapped_column(String(64))  # forwarded, handed_off, ended_closed...
    closed_reason: Mapped[str | None] = mapped_column(String(32))
    department: Mapped[str | None] = mapped_column(String(8))
    caller_type: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str | None] = mapped_column(String(8))

    events: Mapped[list[CallEvent]] = relationship(
        cascade="all, delete-orphan", order_by="CallEvent.id", back_populates="call"
    )

    # The reports: a line's calls over a period, and whether a keyed number called the line before.
    __table_args__ = (
        Index("ix_call_line_id_started_at", "line_id", "started_at"),
        Index("ix_call_line_id_caller_hash_started_at", "line_id", "caller_hash", "started_at"),
    )


# The rarer call steps reports look for by kind, indexed apart (migration 0018): those store/report_conversation.py
# counts, and the hand-offs that pick a centre's calls (store.reports.centre_where).
REPORT_STEP_KINDS = (
    "conv_bridged", "conv_hold", "conv_binome_joined", "conv_binome_paired", "conv_supervisor", "desk_help_asked",
    "desk_difficult",
    "desk_debrief_done", "transfer_started", "transfer_answered", "transfer_completed", "transfer_returned",
    "transfer_caller_gone", "handoff")
REPORT_STEP_WHERE = "kind IN (" + ", ".join(f"'{kind}'" for kind in REPORT_STEP_KINDS) + ")"


class CallEvent(Base):
    """A routing step or outcome of a call, with the human-readable reason."""

    __tablename__ = "call_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(32))
    rule_index: Mapped[int | None]
    detail: Mapped[str] = mapped_column(Text, default="")

    call: Mapped[Call] = relationship(back_populates="events")

    # The reports' forward targets: each forwarded call's last "forward" step. Partial: only those steps
    # (a few percent of the rows) pay for it on insert. The same for the steps reports look for by kind
    # (migration 0018): without it each of a line's conversation queries and a centre's calls read every step.
    __table_args__ = (
        Index("ix_call_event_forward_call_id", "call_id", "id", postgresql_where=text("kind = 'forward'"),
              sqlite_where=text("kind = 'forward'")),
        Index("ix_call_event_report_kind", "kind", "call_id", "id",
              postgresql_where=text(REPORT_STEP_WHERE), sqlite_where=text(REPORT_STEP_WHERE)),
    )


class CallCategory(Base):
    """How a call was classified after it: by the listener's keypad during wrap-up, or in the console."""

    __tablename__ = "call_category"
    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"), unique=True)
    line_id: Mapped[int | None] = mapped_column(ForeignKey("line.id", ondelete="SET NULL"), index=True)
    category: Mapped[str] = mapped_column(String(64), index=True)
    label: Mapped[str] = mapped_column(String(200))  # the French label when chosen: reports survive a renamed list
    classified_at: Mapped[datetime]
    via: Mapped[str] = mapped_column(String(16))  # keypad | console
    listener_id: Mapped[int | None] = mapped_column(ForeignKey("listener.id", ondelete="SET NULL"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("console_account.id", ondelete="SET NULL"))


class CallerFlag(Base):
    """A coordinator's decision about a nuisance caller on a line, known only by the keyed HMAC of the number."""

    __tablename__ = "caller_flag"
    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("line.id", ondelete="CASCADE"), index=True)
    caller_hash: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(16))  # message_end | low_priority
    reason: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    created_by: Mapped[str] = mapped_column(String(254), default="")
    account_id: Mapped[int | None] = mapped_column(ForeignKey("console_account.id", ondelete="SET NULL"))
    call_id: Mapped[int | None] = mapped_column(ForeignKey("call.id", ondelete="SET NULL"))  # flagged from this call
    lifted_at: Mapped[datetime | None]
    lifted_by: Mapped[str] = mapped_column(String(254), default="")


class EmailOutbox(Base):
    """Emails the engine owes someone; written in the call's transaction, sent by the scheduler."""

    __tablename__ = "email_outbox"
    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int | None] = mapped_column(ForeignKey("line.id", ondelete="SET NULL"), index=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("call.id", ondelete="SET NULL"))
    callback_id: Mapped[int | None] = mapped_column(ForeignKey("callback_request.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(32))  # after_hours_call, callback_request, daily_digest
    created_at: Mapped[datetime] = mapped_column(index=True)
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(200))
    digest_day: Mapped[str | None] = mapped_column(String(10))  # YYYY-MM-DD: one digest a line a day
