"""Passwords and PINs are hashed with scrypt in production; the other tests use a cheap scheme to save time."""

from __future__ import annotations

from datetime import datetime, timezone

from werkzeug.security import check_password_hash

from app import create_app
from console.accounts.records import create_account, sign_in
from store.coordinator_phone import set_pin as set_phone_pin
from store.extension import database
from store.listeners import create_listener
from tests.conftest import app_config

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)


def test_an_app_built_without_a_hashing_setting_hashes_passwords_and_pins_with_scrypt(database_url, clock):
    config = app_config(database_url, clock)
    del config["PASSWORD_HASH"]  # as in production, where no environment variable can set it
    app = create_app(config)
    with app.app_context(), database.session() as session:
        account = create_account(session, email="ines@example.org", name="Inès", password="a long passphrase 42",
                                 role="coordinator", now=NOW)
        set_phone_pin(account, "482913")
        listener = create_listener(session, "Noor", "+33612345678", ["main"], "2468", NOW)
        session.flush()
        assert account.password_hash.startswith("scrypt:")
        assert account.phone_pin_hash.startswith("scrypt:")
        assert listener.pin_hash.startswith("scrypt:")
        assert check_password_hash(listener.pin_hash, "2468")
        assert sign_in(session, "ines@example.org", "a long passphrase 42", "203.0.113.9", NOW).outcome == "ok"
        assert sign_in(session, "ines@example.org", "a wrong passphrase", "203.0.113.9", NOW).outcome == "failed"


def test_the_test_apps_use_the_cheap_scheme(app):
    with app.app_context(), database.session() as session:
        account = create_account(session, email="lou@example.org", name="Lou", password="another passphrase 7",
                                 role="admin", now=NOW)
        assert account.password_hash.startswith("pbkdf2:sha256:1$")
