"""Console accounts, their scopes, sessions and sign-in throttle."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.models.base import Base


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
