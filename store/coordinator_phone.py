"""Coordinators' phone access: their number kept only as a keyed HMAC, a PIN hashed like a password, lockouts.

An unknown or withheld caller ID is asked for a PIN like anyone, its wrong PINs are counted and locked out
the same way (per number hash), and it is checked against a dummy hash: nothing in the answers or their
timing tells whether a number belongs to a coordinator.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from store.accounts import FAILURE_LIMIT, LOCKOUT, count_failure, locked, new_throttle, password_hash_method, throttle
from store.audit import record
from phones.numbers import number_hash
from store.models import ConsoleAccount

# A new PIN has 6 to 8 digits (10,000 four-digit codes are too few for an account that can close a line);
# PINs of 4 or 5 digits set before still open the service until their owner sets a new one.
PIN = re.compile(r"^[0-9]{6,8}$")
PIN_ACCEPTED = re.compile(r"^[0-9]{4,8}$")
PHONE_ROLES = ("admin", "coordinator")
_dummy_pin_hash: str | None = None


class PhoneAccessError(ValueError):
    pass


def phone_key(e164: str, pepper: str) -> str:
    return number_hash(e164, pepper)


def set_phone(session: Session, account: ConsoleAccount, e164: str | None, pepper: str) -> None:
    """Register (or with None, forget) the number the account calls from; refused when another account has it."""
    if e164 is None:
        account.phone_hash = None
        return
    key = phone_key(e164, pepper)
    holder = session.scalar(select(ConsoleAccount.id).where(ConsoleAccount.phone_hash == key,
                                                            ConsoleAccount.id != account.id))
    if holder is not None:
        raise PhoneAccessError("this number is already registered for another account")
    account.phone_hash = key


def set_pin(account: ConsoleAccount, pin: str | None) -> None:
    """A new phone PIN (6 to 8 digits), or None to switch phone access off; either way the lockout starts over."""
    if pin is None:
        account.phone_pin_hash = ""
    else:
        if not PIN.match(pin):
            raise PhoneAccessError("the PIN must have 6 to 8 digits")
        account.phone_pin_hash = generate_password_hash(pin, method=password_hash_method())
    account.phone_pin_failures, account.phone_pin_locked_until = 0, None


def has_phone_access(account: ConsoleAccount) -> bool:
    return bool(account.phone_hash and account.phone_pin_hash)


def account_for_caller(session: Session, caller_key: str | None) -> ConsoleAccount | None:
    """The active coordinator or admin whose registered number this is, with phone access set up."""
    if caller_key is None:
        return None
    account = session.scalar(select(ConsoleAccount).where(ConsoleAccount.phone_hash == caller_key)
                             .with_for_update())
    if account is None or not account.active or account.role not in PHONE_ROLES or not account.phone_pin_hash:
        return None
    return account


def check_phone_pin(session: Session, caller_key: str | None, pin: str, now: datetime) -> tuple[str, ConsoleAccount | None]:
    """("ok", account), ("wrong", None) or ("locked", None); wrong PINs count across calls, per account or number.

    A lock is written to the audit log when it happens, for a known account and an unknown number alike.
    """
    account = account_for_caller(session, caller_key)
    pin = pin[:32]
    if account is not None:
        if _phone_locked(account, now):
            return "locked", None
        # The hash is always checked, whatever was typed: the time taken says nothing about the account.
        if check_password_hash(account.phone_pin_hash, pin) and PIN_ACCEPTED.match(pin):
            account.phone_pin_failures, account.phone_pin_locked_until = 0, None
            return "ok", account
        account.phone_pin_failures = (account.phone_pin_failures or 0) + 1
        if account.phone_pin_failures >= FAILURE_LIMIT:
            account.phone_pin_failures, account.phone_pin_locked_until = 0, now + LOCKOUT
            record(session, account, "phone.locked", ("account", str(account.id)), now=now,
                   detail=f"{FAILURE_LIMIT} codes faux de suite au numéro de service : accès par téléphone bloqué "
                          f"{int(LOCKOUT.total_seconds() // 60)} minutes")
            return "locked", None
        return "wrong", None
    check_password_hash(_dummy(), pin)  # the same work as for a registered number
    if caller_key is None:
        return "wrong", None  # a withheld number: nothing to count against, and never a way in
    key = f"phone:{caller_key}"
    found = throttle(session, key)
    if found is not None and locked(found, now):
        return "locked", None
    found = found or new_throttle(session, key, now)
    if count_failure(found, now):
        record(session, None, "phone.locked", None, now=now, email="(numéro inconnu)",
               detail=f"{FAILURE_LIMIT} codes faux de suite au numéro de service depuis un numéro inconnu : "
                      f"bloqué {int(LOCKOUT.total_seconds() // 60)} minutes")
        return "locked", None
    return "wrong", None


def _phone_locked(account: ConsoleAccount, now: datetime) -> bool:
    return account.phone_pin_locked_until is not None and account.phone_pin_locked_until > now


def _dummy() -> str:
    global _dummy_pin_hash
    if _dummy_pin_hash is None:
        _dummy_pin_hash = generate_password_hash(secrets.token_hex(8), method=password_hash_method())
    return _dummy_pin_hash
