"""Console accounts' rules kept with their rows: who may see a line or centre, and counting failed sign-ins.

The console's sign-in and the coordinators' phone line both lock after FAILURE_LIMIT failures, with the very same
counters, so both import them from here."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.models import ConsoleAccount, ConsoleLoginThrottle

FAILURE_LIMIT = 5
LOCKOUT = timedelta(minutes=15)  # the longest delay, and the window over which failures are counted
FIRST_DELAY = timedelta(minutes=1)
PASSWORD_HASH = "scrypt"  # for passwords and PINs; an app's PASSWORD_HASH may say otherwise (the tests' cheap one)


def password_hash_method() -> str:
    """The hashing scheme for a new password or PIN: scrypt, unless the app was built with another PASSWORD_HASH.

    Only create_app(config) can change it (it is no environment setting). The tests do, since scrypt made most of
    the console tests' time; tests/production/test_password_scheme.py checks that an app built without it uses scrypt."""
    return current_app.config.get("PASSWORD_HASH", PASSWORD_HASH) if has_app_context() else PASSWORD_HASH


def scope_allows(account: ConsoleAccount | None, kind: str, slug: str) -> bool:
    """Admins see everything; coordinators their lines and centres; listeners no line or centre page."""
    if account is None or not account.active:
        return False
    if account.role == "admin":
        return True
    if account.role != "coordinator":
        return False
    return any(s.kind == kind and s.slug == slug for s in account.scopes)


def locked(holder: ConsoleAccount | ConsoleLoginThrottle, now: datetime) -> bool:
    return holder.locked_until is not None and holder.locked_until > now


def count_failure(holder: ConsoleAccount | ConsoleLoginThrottle, now: datetime) -> timedelta | None:
    """One more failure; from the limit on, a delay that doubles with each further failure (1, 2, 4, 8 then
    15 minutes at most). Returns the delay this failure set, if any."""
    if isinstance(holder, ConsoleLoginThrottle) and holder.window_started_at + LOCKOUT <= now:
        # Addresses, devices and unknown emails never succeed, so their count is per window, not "in a row".
        holder.failed_logins, holder.window_started_at = 0, now
    holder.failed_logins = (holder.failed_logins or 0) + 1
    if holder.failed_logins < FAILURE_LIMIT:
        return None
    delay = min(LOCKOUT, FIRST_DELAY * 2 ** min(holder.failed_logins - FAILURE_LIMIT, 8))
    holder.locked_until = now + delay
    return delay


def throttle(session: Session, key: str) -> ConsoleLoginThrottle | None:
    return session.scalar(select(ConsoleLoginThrottle).where(ConsoleLoginThrottle.key == key).with_for_update())


def new_throttle(session: Session, key: str, now: datetime) -> ConsoleLoginThrottle:
    row = ConsoleLoginThrottle(key=key, failed_logins=0, window_started_at=now)
    try:
        with session.begin_nested():  # another worker may count the same address at the same moment
            session.add(row)
    except IntegrityError:
        row = throttle(session, key)
        assert row is not None
    return row
