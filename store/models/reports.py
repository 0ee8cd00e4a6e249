"""Reports' shared cache and the summary rows kept by database triggers (migration 0012)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base


class ReportCache(Base):
    """A computed report, kept a minute so that every console worker reads what one of them counted."""

    __tablename__ = "report_cache"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of what was asked and the data mark
    computed_at: Mapped[datetime] = mapped_column(index=True)
    payload: Mapped[str] = mapped_column(Text)  # JSON (store/report_cache.py)


class ReportHour(Base):
    """A line's calls per UTC hour, outcome and closed reason, kept by database triggers on `call` (migration
    0012) in the transaction that writes the call: a yearly report adds up thousands of rows, not every call."""

    __tablename__ = "report_hour"
    line_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    hour: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # floor(epoch seconds / 3600)
    outcome: Mapped[str] = mapped_column(String(64), primary_key=True)  # "" for none yet
    closed_reason: Mapped[str] = mapped_column(String(32), primary_key=True)  # "" for none
    calls: Mapped[int] = mapped_column(BigInteger)
    withheld: Mapped[int] = mapped_column(BigInteger)
    not_kept: Mapped[int] = mapped_column(BigInteger)  # not withheld, and no keyed number kept


UNUSUAL_QUEUED_CALLER = "joined_line_min <> joined_line_max OR joined_last_at <> joined_at OR first_event_at < joined_at"


class ReportQueueCaller(Base):
    """One queued caller's events summed up (the first `joined` and first outcome by instant then id), kept by
    triggers on `queue_event` (migration 0012): a yearly report reads one row a caller, not every event."""

    __tablename__ = "report_queue_caller"
    queued_caller_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    first_event_at: Mapped[datetime]
    joined_at: Mapped[datetime | None]  # the first `joined`
    joined_last_at: Mapped[datetime | None]
    joined_line_min: Mapped[int | None]  # equal to the max when every `joined` names the same line
    joined_line_max: Mapped[int | None]
    joins: Mapped[int]
    pool: Mapped[str | None] = mapped_column(String(64))  # the first `joined`'s
    outcomes: Mapped[int]
    outcome: Mapped[str | None] = mapped_column(String(24))  # the first outcome's kind
    outcome_wait: Mapped[int | None]  # its wait_seconds
    outcome_at: Mapped[datetime | None]  # the earliest outcome's instant
    talks: Mapped[int]
    talk_total: Mapped[int]
    offers: Mapped[int]
    missed: Mapped[int]

    # The few callers a report cannot take summed up (store/report_queue_callers.py): joins on two lines or at
    # two instants, events before the join. Every other caller is inside a period or outside it (migration 0018).
    __table_args__ = (Index("ix_report_queue_caller_unusual", "joined_line_min", "joined_at",
                            postgresql_where=text(UNUSUAL_QUEUED_CALLER), sqlite_where=text(UNUSUAL_QUEUED_CALLER)),)


class ReportCallForward(Base):
    """A forwarded call and its last "forward to" step's text, kept by triggers on `call` and `call_event`
    (migration 0012): a report's forward targets without joining every call to its steps."""

    __tablename__ = "report_call_forward"
    call_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    line_id: Mapped[int | None]
    started_at: Mapped[datetime]
    detail: Mapped[str | None] = mapped_column(Text)  # None: no forward step

    __table_args__ = (Index("ix_report_call_forward_line_id_started_at", "line_id", "started_at"),)


class ReportCallerFirst(Base):
    """A keyed number's first call on a line (any call, and the first not withheld), kept by triggers on
    `call` (migration 0012): first-time callers counted without reading every caller's history."""

    __tablename__ = "report_caller_first"
    line_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    caller_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    first_at: Mapped[datetime]
    first_shown_at: Mapped[datetime | None]  # the first call with caller_withheld false

    # A report counts a line's first-time callers from this index alone (first_shown_at in it: migration 0018).
    __table_args__ = (Index("ix_report_caller_first_line_id_first_at_shown", "line_id", "first_at", "first_shown_at"),)
