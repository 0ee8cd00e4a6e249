"""A throwaway engine: the same app on a private in-memory database, for previews and scripts that keep nothing.

Its REST base URL and mail server are closed loopback ports and its dispatch is off, so nobody is dialled and
nothing is sent; its pepper and keys are made for it alone, so a hash made there matches nothing ever stored.
The database, and every row a simulated call wrote, goes when the engine is disposed.
"""

from __future__ import annotations

import secrets
from contextlib import contextmanager
from datetime import datetime
from typing import Callable, Iterator

from flask import Flask
from sqlalchemy.orm import Session

from store.crypto import new_key
from store.directory import load_documents
from store.documents import export_documents
from store.extension import database
from store.models import Base

CLOSED_PORT = "http://127.0.0.1:9"  # nothing listens there: a REST call or an email fails at once, unsent


def sandbox_config(real: Flask, clock: Callable[[], datetime]) -> dict:
    return {
        "ENVIRONMENT": "production",
        "DATABASE_URL": "sqlite://",
        "TWILIO_ACCOUNT_SID": real.config.get("TWILIO_ACCOUNT_SID") or "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": secrets.token_hex(16),
        "NUMBER_PEPPER": secrets.token_hex(16),
        "CALLBACK_KEY": new_key(),
        "SECRET_KEY": secrets.token_hex(32),
        "PUBLIC_URL": real.config.get("PUBLIC_URL") or "http://localhost",
        "TWILIO_API_BASE_URL": CLOSED_PORT,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": 9,
        "EMERGENCY_FALLBACK": real.config.get("EMERGENCY_FALLBACK"),
        "DIRECTORY_CHECK_SECONDS": 0.0,
        "LOG_LEVEL": real.config.get("LOG_LEVEL", "INFO"),
        "DISPATCH_MODE": "off",
        "CLOCK": clock,
    }


@contextmanager
def sandbox(real: Flask, real_session: Session, clock: Callable[[], datetime], moment: datetime) -> Iterator[Flask]:
    """An app like ``real`` holding a copy of the lines and centres ``real_session`` reads, gone on exit."""
    factory = real.extensions["app_factory"]
    app = factory(sandbox_config(real, clock))
    try:
        with app.app_context():
            Base.metadata.create_all(database.engine)
            with database.session() as copy:
                load_documents(copy, export_documents(real_session), now=moment)
                copy.commit()
        yield app
    finally:
        with app.app_context():
            database.engine.dispose()
