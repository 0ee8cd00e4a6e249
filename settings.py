"""Settings from environment variables, with the documented defaults (see the README's table)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, Mapping

# name -> (environment variable, default, what it is for)
SETTINGS: dict[str, tuple[str, Any, str]] = {
    "ENVIRONMENT": ("HELPLINE_ENV", "production", "production, or development (demo secrets are generated)"),
    "DATABASE_URL": ("HELPLINE_DATABASE_URL", None, "SQLAlchemy URL; default a SQLite file in the instance folder"),
    "TWILIO_ACCOUNT_SID": ("TWILIO_ACCOUNT_SID", None, "Twilio account SID (AC...)"),
    "TWILIO_AUTH_TOKEN": ("TWILIO_AUTH_TOKEN", None, "Twilio auth token: signs webhooks, authenticates REST calls"),
    "PUBLIC_URL": ("HELPLINE_PUBLIC_URL", None, "public base URL Twilio calls, e.g. https://ivr.example.org"),
    "TWILIO_API_BASE_URL": ("TWILIO_API_BASE_URL", "https://api.twilio.com", "REST API base URL"),
    "NUMBER_PEPPER": ("HELPLINE_NUMBER_PEPPER", None, "secret key of the HMAC that stands for callers' numbers"),
    "EMERGENCY_FALLBACK": ("HELPLINE_EMERGENCY_FALLBACK", None, "E.164 number dialled when all else fails"),
    "CALLBACK_KEY": ("HELPLINE_CALLBACK_KEY", None, "Fernet key that encrypts callback numbers at rest"),
    "SECRET_KEY": ("HELPLINE_SECRET_KEY", None, "signs the console's session cookies (32+ random characters)"),
    "PROXY_COUNT": ("HELPLINE_PROXY_COUNT", 0, "reverse proxies in front of the app (X-Forwarded-*)"),
    "LOG_LEVEL": ("HELPLINE_LOG_LEVEL", "INFO", "logging level"),
    "LOG_FORMAT": ("HELPLINE_LOG_FORMAT", "text", "text, or json: one JSON object per line for a log collector"),
    "DIRECTORY_CHECK_SECONDS": ("HELPLINE_DIRECTORY_CHECK_SECONDS", 2.0, "how often a worker checks for edits"),
    "SMTP_HOST": ("HELPLINE_SMTP_HOST", "localhost", "mail server that relays the engine's emails"),
    "SMTP_PORT": ("HELPLINE_SMTP_PORT", 25, "its port (587 with STARTTLS, usually)"),
    "SMTP_USERNAME": ("HELPLINE_SMTP_USERNAME", None, "login on the mail server, if it asks for one"),
    "SMTP_PASSWORD": ("HELPLINE_SMTP_PASSWORD", None, "password for that login"),
    "SMTP_STARTTLS": ("HELPLINE_SMTP_STARTTLS", False, "upgrade the connection with STARTTLS (1/true/yes)"),
    "SMTP_FROM": ("HELPLINE_SMTP_FROM", "helpline@localhost", "sender address of the engine's emails"),
    "SMTP_TIMEOUT": ("HELPLINE_SMTP_TIMEOUT", 10.0, "seconds to wait for the mail server"),
    "SCHEDULER_GRACE_SECONDS": ("HELPLINE_SCHEDULER_GRACE_SECONDS", 60,
                                "how late a periodic job may still run; a run missed by more is skipped"),
    "SCHEDULER_STANDBY_POLL_SECONDS": ("HELPLINE_SCHEDULER_STANDBY_POLL_SECONDS", 5.0,
                                       "how often a standby scheduler tries to take over, and the active one "
                                       "checks it still holds the lock"),
}
DEMO_ACCOUNT_SID = "AC" + "0" * 32


class SettingsError(RuntimeError):
    pass


def load_settings(instance_path: Path, overrides: Mapping[str, Any] | None = None,
                  environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    environ = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    values: dict[str, Any] = {}
    for name, (variable, default, _) in SETTINGS.items():
        if name in overrides:
            values[name] = overrides.pop(name)
        elif variable in environ:
            values[name] = _coerce(environ[variable], default)
        else:
            values[name] = default
    values.update(overrides)
    if not values["DATABASE_URL"]:
        values["DATABASE_URL"] = f"sqlite:///{instance_path / 'helpline.sqlite3'}"
    if values["ENVIRONMENT"] == "development":
        _fill_development_secrets(values, instance_path)
    _check(values)
    return values


def _coerce(raw: str, default: Any) -> Any:
    """An environment string as the type of its default; bool first, since bool("false") is True."""
    if isinstance(default, bool):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(default, (int, float)):
        return type(default)(raw)
    return raw


def _fill_development_secrets(values: dict[str, Any], instance_path: Path) -> None:
    """Development and demo: generate secrets once and keep them in the instance folder (never committed)."""
    instance_path.mkdir(parents=True, exist_ok=True)
    values["TWILIO_ACCOUNT_SID"] = values["TWILIO_ACCOUNT_SID"] or DEMO_ACCOUNT_SID
    for name, filename, make in (("TWILIO_AUTH_TOKEN", "demo-auth-token", lambda: secrets.token_hex(16)),
                                 ("NUMBER_PEPPER", "demo-pepper", lambda: secrets.token_hex(16)),
                                 ("CALLBACK_KEY", "demo-callback-key", _fernet_key),
                                 ("SECRET_KEY", "demo-secret-key", lambda: secrets.token_hex(32))):
        if values[name]:
            continue
        path = instance_path / filename
        if not path.exists():
            path.write_text(make())
            path.chmod(0o600)
        values[name] = path.read_text().strip()


def _fernet_key() -> str:
    from store.crypto import new_key

    return new_key()


def _check(values: dict[str, Any]) -> None:
    missing = [SETTINGS[n][0] for n in ("TWILIO_AUTH_TOKEN", "NUMBER_PEPPER", "CALLBACK_KEY") if not values.get(n)]
    if missing:
        raise SettingsError(f"set {', '.join(missing)} (or HELPLINE_ENV=development for generated demo secrets)")
    from store.crypto import NumberKeyError, encrypt_number

    try:
        encrypt_number(values, "+33100000000")
    except NumberKeyError as error:
        raise SettingsError(f"{error} (make one with: python -c 'from store.crypto import new_key; print(new_key())')")
    if len(values["NUMBER_PEPPER"]) < 16:
        raise SettingsError("HELPLINE_NUMBER_PEPPER must be at least 16 characters: it protects callers' numbers")
    if values.get("LOG_FORMAT", "text") not in ("text", "json"):
        raise SettingsError("HELPLINE_LOG_FORMAT must be text or json")
    fallback = values.get("EMERGENCY_FALLBACK")
    if fallback:
        import phonenumbers  # here: `helpline --help` should not wait for the numbering plans

        try:
            ok = phonenumbers.is_possible_number(phonenumbers.parse(fallback, None))
        except phonenumbers.NumberParseException:
            ok = False
        if not ok:
            raise SettingsError("HELPLINE_EMERGENCY_FALLBACK must be an E.164 number such as +33123456789")
