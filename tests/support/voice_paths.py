"""Every webhook the app serves under /voice, read from the URL map: what the fuzzing and hostile tests walk."""

from __future__ import annotations

from app import create_app
from tests.conftest import AUTH_TOKEN, PEPPER


def voice_paths() -> list[str]:
    """Every webhook the app serves, whichever module adds it (read from a throwaway app's URL map)."""
    app = create_app({"ENVIRONMENT": "development", "DATABASE_URL": "sqlite://", "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                      "NUMBER_PEPPER": PEPPER, "LOG_LEVEL": "WARNING"})
    return sorted({rule.rule for rule in app.url_map.iter_rules()
                   if rule.rule.startswith("/voice/") and not rule.arguments})


PATHS = voice_paths()
