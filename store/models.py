"""Database tables: lines, centres and their schedules and chains, calls and their recorded steps."""
# Over 300 lines: every table's mapping shares one metadata, naming convention and UTC column type, which
# Alembic's autogenerate reads; the split by aggregate (calls, listeners, directory, accounts, audit) waits for
# the branches that add columns to it to land (issue 13).

from __future__ import annotations

from datetime import datetime, time, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    TypeDecorator,
    text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (no time zones) and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class DirectoryRevision(Base):
    """A counter bumped by every change to lines, centres or schedules, so workers refresh their cache."""

    __tablename__ = "directory_revision"
    id: Mapped[int] = mapped_column(primary_key=True)
    revision: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime | None]


class DirectoryChange(Base):
    """One version of a line's or centre's document, as its file says it, with who made it, when and why.

    Every change writes one (a load, a console or phone edit, the command line, a restore): the newest is the
    current state, and the newest written by a load tells what the files last said."""

    __tablename__ = "directory_change"
    id: Mapped[int] = mapped_column(primary_key=True)
    target_kind: Mapped[str] = mapped_column(String(16))  # line | centre
    target_slug: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime]
    author: Mapped[str] = mapped_column(String(254))
    source: Mapped[str] = mapped_column(String(16))  # load | console | phone | cli | restore | baseline
    reason: Mapped[str] = mapped_column(String(400), default="")
    document: Mapped[str] = mapped_column(Text)  # the file's exact text ("" once the line is deleted)


class ScheduleRow(Base):
    __tablename__ = "schedule"
    id: Mapped[int] = mapped_column(primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64))
    holiday_country: Mapped[str | None] = mapped_column(String(2))
    holiday_subdivision: Mapped[str | None] = mapped_column(String(16))
    closes_on_holidays: Mapped[bool] = mapped_column(Boolean, default=True)

    shifts: Mapped[list[WeeklyShift]] = relationship(
        cascade="all, delete-orphan", order_by="(WeeklyShift.weekday, WeeklyShift.starts)"
    )
    closures: Mapped[list[ClosureRow]] = relationship(
        cascade="all, delete-orphan", order_by="ClosureRow.starts_at"
    )
    overrides: Mapped[list[OverrideRow]] = relationship(
        cascade="all, delete-orphan", order_by="OverrideRow.starts_at"
    )


class WeeklyShift(Base):
    __tablename__ = "weekly_shift"
    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedule.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)  # <= starts: crosses midnight


class ClosureRow(Base):
    __tablename__ = "closure"
    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedule.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(200))


class OverrideRow(Base):
    __tablename__ = "schedule_override"
    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedule.id", ondelete="CASCADE"), index=True)
    mode: Mapped[str] = mapped_column(String(16))  # open | closed
    starts_at: Mapped[datetime]
    until: Mapped[datetime | None]  # None: until the next scheduled change
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[str] = mapped_column(String(120), default="")


class LineRow(Base):
    __tablename__ = "line"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    display_number: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(8))
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedule.id"))
    # The rest of a line's settings (greeting, menu, voices, alternatives...) as its file describes them.
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    source_file: Mapped[str | None] = mapped_column(String(200))

    schedule: Mapped[ScheduleRow] = relationship(cascade="all, delete-orphan", single_parent=True)
    numbers: Mapped[list[LineNumber]] = relationship(
        cascade="all, delete-orphan", order_by="LineNumber.position"
    )
    rules: Mapped[list[OverflowRuleRow]] = relationship(
        cascade="all, delete-orphan", order_by="OverflowRuleRow.position"
    )


class LineNumber(Base):
    __tablename__ = "line_number"
    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("line.id", ondelete="CASCADE"), index=True)
    e164: Mapped[str] = mapped_column(String(20), unique=True)
    position: Mapped[int] = mapped_column(default=0)


class OverflowRuleRow(Base):
    __tablename__ = "overflow_rule"
    __table_args__ = (UniqueConstraint("line_id", "position"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("line.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    conditions: Mapped[list[Any]] = mapped_column(JSON, default=list)  # ["closed:holiday", "queue_length>=5"]
    action: Mapped[str] = mapped_column(String(32))
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # as written in the line's file


class CentreRow(Base):
    __tablename__ = "centre"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    network: Mapped[str] = mapped_column(String(64))
    number: Mapped[str] = mapped_column(String(20))
    display_number: Mapped[str] = mapped_column(String(40), default="")
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedule.id"))
    fictitious: Mapped[bool] = mapped_column(Boolean, default=False)

    schedule: Mapped[ScheduleRow] = relationship(cascade="all, delete-orphan", single_parent=True)
    departments: Mapped[list[CentreDepartment]] = relationship(
        cascade="all, delete-orphan", order_by="CentreDepartment.department"
    )


class CentreDepartment(Base):
    """Which départements (or provinces) a centre serves; one centre per department in a network."""

    __tablename__ = "centre_department"
    __table_args__ = (UniqueConstraint("network", "department"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id", ondelete="CASCADE"), index=True)
    network: Mapped[str] = mapped_column(String(64))
    department: Mapped[str] = mapped_column(String(8))


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
    # (a few percent of the rows) pay for it on insert.
    __table_args__ = (
        Index("ix_call_event_forward_call_id", "call_id", "id", postgresql_where=text("kind = 'forward'"),
              sqlite_where=text("kind = 'forward'")),
    )


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
    pool: Mapped[str] = mapped_column(String(64), index=True)
    line_id: Mapped[int | None] = mapped_column(ForeignKey("line.id", ondelete="SET NULL"), index=True)
    queued_caller_id: Mapped[int | None] = mapped_column(ForeignKey("queued_caller.id", ondelete="SET NULL"),
                                                         index=True)
    listener_id: Mapped[int | None] = mapped_column(ForeignKey("listener.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(24))
    wait_seconds: Mapped[int | None]
    detail: Mapped[str] = mapped_column(String(200), default="")

    # The reports: the callers who joined a line's queues in a period, then each one's events in order.
    __table_args__ = (
        Index("ix_queue_event_line_id_kind_at", "line_id", "kind", "at"),
        Index("ix_queue_event_queued_caller_id_at", "queued_caller_id", "at"),
    )


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


class ConsoleAccount(Base):
    """A person who signs in to the coordinators' console: an admin, a coordinator or a listener."""

    __tablename__ = "console_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))  # admin | coordinator | listener
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    language: Mapped[str] = mapped_column(String(8), default="fr")
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]
    failed_logins: Mapped[int] = mapped_column(default=0)  # wrong passwords in a row since the last success
    locked_until: Mapped[datetime | None]
    listener_id: Mapped[int | None] = mapped_column(ForeignKey("listener.id", ondelete="SET NULL"))
    # Coordinator phone access (issue 7): only a keyed HMAC of their phone number, and a PIN hashed like a password.
    phone_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    phone_pin_hash: Mapped[str] = mapped_column(String(255), default="")
    phone_pin_failures: Mapped[int] = mapped_column(default=0)  # wrong PINs in a row, across calls
    phone_pin_locked_until: Mapped[datetime | None]

    scopes: Mapped[list[ConsoleAccountScope]] = relationship(
        cascade="all, delete-orphan", order_by="(ConsoleAccountScope.kind, ConsoleAccountScope.slug)"
    )


class ConsoleAccountScope(Base):
    """A line or centre a coordinator may see and edit (by slug, so it survives reloading the directory)."""

    __tablename__ = "console_account_scope"
    __table_args__ = (UniqueConstraint("account_id", "kind", "slug"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("console_account.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # line | centre
    slug: Mapped[str] = mapped_column(String(64))


class ConsoleSession(Base):
    """A signed-in console session. The cookie carries a random token and this table only its SHA-256: signing
    out, a password change or "sign out everywhere" deletes rows, and a copied cookie then opens nothing."""

    __tablename__ = "console_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("console_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]


class ConsoleLoginThrottle(Base):
    """Failed sign-ins per client address, and per typed email that has no account (so a lockout reveals
    nothing about which emails exist)."""

    __tablename__ = "console_login_throttle"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)  # "address:203.0.113.9", "email:x@example.org"
    failed_logins: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]


class AuditEvent(Base):
    """Who did what in the console, when, to what, with the values before and after."""

    __tablename__ = "audit_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("console_account.id", ondelete="SET NULL"),
                                                   index=True)
    account_email: Mapped[str] = mapped_column(String(254), default="")  # kept when the account is deleted
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_kind: Mapped[str | None] = mapped_column(String(16))
    target_slug: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    detail: Mapped[str] = mapped_column(String(400), default="")


# --- Call categories and nuisance callers -----------------------------------------------------------------


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
# --- local associations and the coordinators' service number (issue 7) ---------------------------------------


class AssociationRow(Base):
    """A local victim-support association callers can be oriented to (name, département, number, hours, topics)."""

    # Named to sort after directory_revision: the tests' TRUNCATE then locks tables in the order a snapshot reads them.
    __tablename__ = "local_association"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    department: Mapped[str] = mapped_column(String(8), index=True)
    number: Mapped[str] = mapped_column(String(20))
    display_number: Mapped[str] = mapped_column(String(40), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    hours: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # {"mon": ["09:00-17:00"], ...}
    holidays: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # {"country": "FR", "subdivision": null, "closes": true}
    topics: Mapped[list[Any]] = mapped_column(JSON, default=list)
    fictitious: Mapped[bool] = mapped_column(Boolean, default=False)


class ServiceNumber(Base):
    """A number of this app that is not a helpline: its ``To`` selects a staff flow (the coordinators' phone)."""

    __tablename__ = "service_number"
    id: Mapped[int] = mapped_column(primary_key=True)
    e164: Mapped[str] = mapped_column(String(20), unique=True)
    purpose: Mapped[str] = mapped_column(String(32), default="coordinator")


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

    __table_args__ = (Index("ix_report_caller_first_line_id_first_at", "line_id", "first_at"),)
