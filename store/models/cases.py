"""Cases (dossiers) a national line relays to a département centre or a local association, their notes and steps."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base


class CaseFile(Base):
    """The situation a listener hands over after a call: structured facts, encrypted people and number.

    The caller's number is here only when they agreed during the call (``consent_by``/``consent_at`` say who
    recorded that choice and when), encrypted and as a keyed HMAC; otherwise both are empty and the case says
    that the caller will call back. Who may read a case: the national line's staff and the target's accounts.
    """

    __tablename__ = "case_file"
    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int | None] = mapped_column(ForeignKey("line.id", ondelete="SET NULL"), index=True)
    # A call is relayed once (a second relay of the same call finds the first case).
    call_id: Mapped[int | None] = mapped_column(ForeignKey("call.id", ondelete="SET NULL"), index=True, unique=True)
    target_kind: Mapped[str] = mapped_column(String(16))  # centre | association
    target_slug: Mapped[str] = mapped_column(String(64))
    department: Mapped[str | None] = mapped_column(String(8))
    caller_role: Mapped[str] = mapped_column(String(16))  # victim | relative | professional | witness | author
    since: Mapped[str] = mapped_column(String(16), default="unknown")  # days | weeks | months | years | unknown
    frequency: Mapped[str] = mapped_column(String(16), default="unknown")  # once | sometimes | weekly | daily
    category: Mapped[str | None] = mapped_column(String(64))
    people_encrypted: Mapped[str] = mapped_column(Text, default="")  # JSON list of {who, link}, Fernet
    summary_encrypted: Mapped[str] = mapped_column(Text, default="")  # the listener's free notes, Fernet
    language: Mapped[str] = mapped_column(String(8), default="fr")
    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_by: Mapped[str | None] = mapped_column(String(254))
    consent_at: Mapped[datetime | None]
    number_encrypted: Mapped[str | None] = mapped_column(Text)
    number_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    callback_window: Mapped[str] = mapped_column(String(16), default="asap")
    callback_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("callback_request.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="relayed", index=True)  # relayed | analysed | closed
    relayed_at: Mapped[datetime] = mapped_column(index=True)
    relayed_by: Mapped[str] = mapped_column(String(254), default="")
    relayed_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("console_account.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime]
    first_callback_at: Mapped[datetime | None]  # the first call-back tried: the reports' delay
    closed_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_case_file_target_kind_target_slug", "target_kind", "target_slug"),)


class CaseNote(Base):
    """A note added by the listener or a referent; its text is encrypted at rest."""

    __tablename__ = "case_note"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    author: Mapped[str] = mapped_column(String(254), default="")
    text_encrypted: Mapped[str] = mapped_column(Text)


class CaseStep(Base):
    """One step of a case with who and when: relayed, analysed, call-back tried, reached, not reached, closed."""

    __tablename__ = "case_step"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(24))
    by: Mapped[str] = mapped_column(String(254), default="")
    detail: Mapped[str] = mapped_column(String(200), default="")
