"""The conversation after a listener answers: its Twilio conference and who is on it (the participant registry)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base


class Conversation(Base):
    """One bridged call: a Twilio conference named by internal ids only (never a phone number).

    Its row is the lock every change to the call takes first (hold, binôme, supervisor, end), so that two people
    acting at once on the same call are serialised."""

    __tablename__ = "conversation"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)  # the conference's FriendlyName
    conference_sid: Mapped[str | None] = mapped_column(String(64))
    queued_caller_id: Mapped[int | None] = mapped_column(ForeignKey("queued_caller.id", ondelete="SET NULL"),
                                                         index=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("call.id", ondelete="SET NULL"), index=True)
    line_id: Mapped[int | None] = mapped_column(ForeignKey("line.id", ondelete="SET NULL"), index=True)
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offer.id", ondelete="SET NULL"), index=True)
    # A safe callback's conversation (no queue, no offer): the attempt whose listener called the person back.
    callback_attempt_id: Mapped[int | None] = mapped_column(ForeignKey("callback_attempt.id", ondelete="SET NULL"),
                                                            index=True)
    listener_id: Mapped[int | None] = mapped_column(ForeignKey("listener.id", ondelete="SET NULL"), index=True)
    pool: Mapped[str] = mapped_column(String(64))
    caller_sid: Mapped[str] = mapped_column(String(64), index=True)
    # connecting (listener pressed 1, caller on the way) → live → ended | requeued (the listener's leg dropped)
    status: Mapped[str] = mapped_column(String(16), default="connecting", index=True)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    ended_by: Mapped[str | None] = mapped_column(String(16))  # caller | listener | desk | keypad | dropped
    held_since: Mapped[datetime | None]  # the caller on hold (music) since
    held_by: Mapped[str | None] = mapped_column(String(16))  # desk | keypad | menu (only while the * menu lasts)
    hold_seconds: Mapped[int] = mapped_column(default=0)
    in_menu: Mapped[bool] = mapped_column(Boolean, default=False)  # the listener is in the * menu


class ConferenceLeg(Base):
    """One participant of a conversation's conference, kept true by Twilio's conference status callbacks."""

    __tablename__ = "conference_leg"
    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversation.id", ondelete="CASCADE"), index=True)
    conference: Mapped[str] = mapped_column(String(64), index=True)
    queued_caller_id: Mapped[int | None] = mapped_column(ForeignKey("queued_caller.id", ondelete="SET NULL"))
    call_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(16))  # caller | listener | binome | supervisor | third_party
    listener_id: Mapped[int | None] = mapped_column(ForeignKey("listener.id", ondelete="SET NULL"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("console_account.id", ondelete="SET NULL"))
    label: Mapped[str] = mapped_column(String(200))  # as given (a transfer's target), never a phone number
    mode: Mapped[str | None] = mapped_column(String(16))  # a supervisor's: listen | whisper | join
    muted: Mapped[bool] = mapped_column(Boolean, default=False)
    on_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    coaching: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    joined_at: Mapped[datetime | None]
    left_at: Mapped[datetime | None]
