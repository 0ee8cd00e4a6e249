"""Console accounts: creation, passwords, scopes, and sign-in with lockouts that reveal nothing."""

from __future__ import annotations

import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from store.accounts import LOCKOUT, password_hash_method, scope_allows  # noqa: F401 — scope_allows: the console's views import it from here
from store.accounts import count_failure as _count_failure, locked as _locked, new_throttle as _new_throttle, \
    throttle as _throttle
from store.console_sessions import end_all_sessions
from store.models import ConsoleAccount, ConsoleAccountScope, ConsoleLoginThrottle

ROLES = ("admin", "coordinator", "listener", "referent")
SCOPE_KINDS = ("line", "centre", "association")
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # hashing megabytes of "password" on every attempt would be a cheap denial of service
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_dummy_hash: str | None = None


class AccountError(ValueError):
    pass


def normalised_email(email: str) -> str:
    return email.strip().lower()


def valid_email(email: str) -> str:
    email = normalised_email(email)
    if len(email) > 254 or not EMAIL.match(email):
        raise AccountError(f"{email!r} is not an email address")
    return email


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at most {MAX_PASSWORD_LENGTH} characters")


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=password_hash_method())


def find_account(session: Session, email: str, for_update: bool = False) -> ConsoleAccount | None:
    query = select(ConsoleAccount).where(ConsoleAccount.email == normalised_email(email))
    return session.scalar(query.with_for_update() if for_update else query)


def create_account(session: Session, *, email: str, name: str, password: str, role: str, now: datetime,
                   lines: Iterable[str] = (), centres: Iterable[str] = (), listener_id: int | None = None,
                   language: str = "fr", associations: Iterable[str] = ()) -> ConsoleAccount:
    email = valid_email(email)
    if role not in ROLES:
        raise AccountError(f"the role must be one of {', '.join(ROLES)}")
    if not name.strip():
        raise AccountError("give the person's name")
    check_new_password(password)
    if find_account(session, email) is not None:
        raise AccountError(f"an account already uses {email}")
    account = ConsoleAccount(email=email, name=name.strip(), password_hash=hash_password(password), role=role,
                             active=True, language=language, created_at=now, failed_logins=0,
                             listener_id=listener_id)
    account.scopes = [ConsoleAccountScope(kind="line", slug=s) for s in dict.fromkeys(lines)] + \
                     [ConsoleAccountScope(kind="centre", slug=s) for s in dict.fromkeys(centres)] + \
                     [ConsoleAccountScope(kind="association", slug=s) for s in dict.fromkeys(associations)]
    session.add(account)
    session.flush()
    return account


def set_password(session: Session, account: ConsoleAccount, password: str) -> None:
    """A new password ends every session of the account: whoever had a copy of a cookie is out."""
    check_new_password(password)
    account.password_hash = hash_password(password)
    end_all_sessions(session, account.id)


@dataclass(frozen=True)
class SignIn:
    outcome: str  # ok | failed | locked
    account: ConsoleAccount | None = None
    retry_minutes: int = 0
    locks: tuple[tuple[str, int], ...] = ()  # what this failure locked: (account|email|address|device, minutes)


def sign_in(session: Session, email: str, password: str, address: str, now: datetime,
            device: tuple[int, str] | None = None) -> SignIn:
    """Check a sign-in attempt, throttled with growing delays rather than a long hard lock.

    From a browser that signed in to this very account before (``device``: the account id and device id of
    its signed cookie) only that device's own failures count: nobody who knows the address, nor a colleague's
    typing behind the same proxy, can keep the right password out. From anywhere else failures count per
    account (or typed email) and per client address. An email without an account is counted and delayed
    exactly like one with an account, and its password is checked against a dummy hash, so neither the
    message nor the time taken tells them apart.
    """
    email = normalised_email(email)[:254]
    account = find_account(session, email, for_update=True)
    known_device = device is not None and account is not None and device[0] == account.id
    if known_device:
        keys = (f"device:{device[1]}"[:300],)
        holders = [_throttle(session, keys[0])]
    else:
        keys = (f"address:{address}"[:300], f"email:{email}")
        holders = [_throttle(session, keys[0]), account if account is not None else _throttle(session, keys[1])]
    locks = [h.locked_until for h in holders if h is not None and _locked(h, now)]
    if locks:
        return SignIn("locked", account, _minutes_until(max(locks), now))
    matches = len(password) <= MAX_PASSWORD_LENGTH and check_password_hash(
        account.password_hash if account else _dummy(), password)
    if account is not None and account.active and matches:
        account.failed_logins, account.locked_until, account.last_login_at = 0, None, now
        return SignIn("ok", account)
    _forget_stale_throttles(session, now, keep=keys)
    holders = [holder or _new_throttle(session, key, now) for holder, key in zip(holders, keys)]
    locked = []
    for holder in holders:
        delay = _count_failure(holder, now)
        if delay is not None:
            kind = "account" if isinstance(holder, ConsoleAccount) else holder.key.split(":", 1)[0]
            locked.append((kind, _minutes_until(now + delay, now)))
    return SignIn("failed", account, locks=tuple(locked))


def _minutes_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds() / 60))


def _forget_stale_throttles(session: Session, now: datetime, keep: tuple[str, ...]) -> None:
    """Counters whose window and lock are over say nothing any more (the ones in use are counted on)."""
    session.execute(
        delete(ConsoleLoginThrottle)
        .where(ConsoleLoginThrottle.window_started_at < now - LOCKOUT, ConsoleLoginThrottle.key.not_in(keep),
               or_(ConsoleLoginThrottle.locked_until.is_(None), ConsoleLoginThrottle.locked_until < now))
        .execution_options(synchronize_session=False)
    )


def _dummy() -> str:
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = hash_password(secrets.token_hex(16))
    return _dummy_hash
