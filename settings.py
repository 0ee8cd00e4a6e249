"""Settings from environment variables, with the documented defaults (see the README's table)."""

from __future__ import annotations

import base64
import binascii
import math
import os
import secrets
from collections import Counter
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
    "CONSOLE": ("HELPLINE_CONSOLE", True, "serve the coordinators' console from this process (gunicorn.conf.py, "
                "the webhooks' pool, turns it off: the console has a pool of its own)"),
    "PRESENCE_NUMBER": ("HELPLINE_PRESENCE_NUMBER", None,
                        "the presence line's number as listeners dial it, shown with a new PIN in the console"),
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
# A name outside this list is refused: a typo ("prod") must not quietly drop production's protections.
ENVIRONMENTS = ("production", "development")
# A secret whose characters (or, for the Fernet key, bytes) carry fewer bits than this is a placeholder or a
# typing exercise, not a secret: 'aaaaaaaaaaaaaaaa' carries none, 32 random hex characters about 110.
MIN_SECRET_BITS = 64
MIN_AUTH_TOKEN_LENGTH = 32  # Twilio's auth tokens are 32 hexadecimal characters


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
    if values["ENVIRONMENT"] not in ENVIRONMENTS:
        raise SettingsError(f"HELPLINE_ENV must be one of {', '.join(ENVIRONMENTS)}, not {values['ENVIRONMENT']!r}")
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
    _check_secrets(values)
    if values["ENVIRONMENT"] == "production" and not _absolute_url(values.get("PUBLIC_URL")):
        raise SettingsError("set HELPLINE_PUBLIC_URL to the https://… address Twilio calls: in production webhook "
                            "signatures are checked against it, never against the Host header a client sends")
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


def secret_bits(value: str | bytes) -> float:
    """The bits a secret's symbols carry, by their frequencies in it: 0 for 'aaaa…', ~110 for 32 random hex."""
    if not value:
        return 0.0
    counts, total = Counter(value), len(value)
    return -total * sum(n / total * math.log2(n / total) for n in counts.values())


def _fernet_key_bytes(key: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(key.encode())
    except (binascii.Error, ValueError):
        return b""


def _check_secrets(values: dict[str, Any]) -> None:
    """Refuse secrets that are set but could be guessed: the whole privacy of callers rests on them."""
    token = values["TWILIO_AUTH_TOKEN"]
    if len(token) < MIN_AUTH_TOKEN_LENGTH:
        raise SettingsError(f"TWILIO_AUTH_TOKEN must be the account's {MIN_AUTH_TOKEN_LENGTH}-character auth token")
    candidates = (("TWILIO_AUTH_TOKEN", token), ("NUMBER_PEPPER", values["NUMBER_PEPPER"]),
                  ("CALLBACK_KEY", _fernet_key_bytes(values["CALLBACK_KEY"])),
                  ("SECRET_KEY", values.get("SECRET_KEY") or None))
    for name, secret in candidates:
        if secret is not None and secret_bits(secret) < MIN_SECRET_BITS:
            raise SettingsError(f"{SETTINGS[name][0]} is too easy to guess: use a random value (for example "
                                "python -c 'import secrets; print(secrets.token_hex(32))'" +
                                (", or new_key() for the Fernet key" if name == "CALLBACK_KEY" else "") + ")")


def _absolute_url(value: str | None) -> bool:
    return bool(value) and value.startswith(("https://", "http://")) and len(value.split("/")[2]) > 0
