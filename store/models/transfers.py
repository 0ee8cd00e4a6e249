"""Transfers of a call in progress to a third party (warm or cold), as the engine tracks them until they end."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base


class Transfer(Base):
    """One transfer of a conversation: who it goes to (a target key of routing/transfer.py, never a typed number),
    warm or cold, and where it stands. The reports read the call events it writes, not this table."""

    __tablename__ = "transfer"
    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(index=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"), index=True)
    listener_id: Mapped[int | None]
    leg_id: Mapped[int | None]  # the third party's conference leg
    third_party_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    target_key: Mapped[str] = mapped_column(String(80))
    target_kind: Mapped[str] = mapped_column(String(16))
    label_fr: Mapped[str] = mapped_column(String(200))  # the target as said, article included (no caller data)
    label_en: Mapped[str] = mapped_column(String(200))
    mode: Mapped[str] = mapped_column(String(8))  # warm | cold
    # dialling → talking (warm: the listener with the third party, the caller on hold) → together | completed;
    # or returned (the caller back with the listener) | caller_gone; talking → parked when the caller's hold limit
    # came first (the third party on hold, the caller back with the listener), then together | completed | returned
    status: Mapped[str] = mapped_column(String(16), index=True)
    started_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    deadline_at: Mapped[datetime]  # the caller is brought back by then if nothing was heard from Twilio
    outcome: Mapped[str | None] = mapped_column(String(32))
