"""Callback requests (with consent) and the attempts to call back."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base


class CallbackRequest(Base):
    """A caller's request to be called back, kept only with their consent.

    The number is stored encrypted (decrypted only to dial) and as a keyed HMAC (to merge duplicates and
    answer access or erasure requests); nowhere in clear.
    """

    __tablename__ = "callback_request"
    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int | None] = mapped_column(ForeignKey("line.id", ondelete="SET NULL"), index=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("call.id", ondelete="SET NULL"))
    pool: Mapped[str] = mapped_column(String(64), index=True)
    number_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    number_encrypted: Mapped[str | None] = mapped_column(Text)
    window: Mapped[str] = mapped_column(String(16), default="asap")
    message_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str] = mapped_column(String(8), default="fr")
    caller_type: Mapped[str | None] = mapped_column(String(32))
    department: Mapped[str | None] = mapped_column(String(8))
    requested_at: Mapped[datetime] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(index=True)
    last_outcome: Mapped[str | None] = mapped_column(String(24))
    priority: Mapped[int] = mapped_column(default=0)
    closed_at: Mapped[datetime | None]


class CallbackAttempt(Base):
    """One try at calling someone back: the listener first, then the caller, and what came of it."""

    __tablename__ = "callback_attempt"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("callback_request.id", ondelete="CASCADE"), index=True)
    listener_id: Mapped[int | None] = mapped_column(ForeignKey("listener.id", ondelete="SET NULL"))
    listener_call_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="dialling", index=True)
    outcome: Mapped[str | None] = mapped_column(String(24))  # reached, no_answer, busy, wrong_number, cancelled...
    created_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    expires_at: Mapped[datetime]
