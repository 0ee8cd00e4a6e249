"""Callers' numbers protected: encrypted at rest (Fernet) to dial them back, keyed HMACs everywhere else; a case's
notes are encrypted with the same key."""

from __future__ import annotations

from typing import Any, Mapping

from cryptography.fernet import Fernet, InvalidToken


class NumberKeyError(RuntimeError):
    pass


def _fernet(config: Mapping[str, Any]) -> Fernet:
    key = config.get("CALLBACK_KEY")
    if not key:
        raise NumberKeyError("HELPLINE_CALLBACK_KEY is not set")
    try:
        return Fernet(key.encode() if isinstance(key, str) else key)
    except ValueError as error:
        raise NumberKeyError("HELPLINE_CALLBACK_KEY is not a Fernet key") from error


def encrypt_number(config: Mapping[str, Any], e164: str) -> str:
    return _fernet(config).encrypt(e164.encode()).decode()


def decrypt_number(config: Mapping[str, Any], token: str, max_age: int | None = None) -> str | None:
    """The number, or None if the token is not ours, was tampered with, or is older than ``max_age`` seconds."""
    try:
        return _fernet(config).decrypt(token.encode(), ttl=max_age).decode()
    except (InvalidToken, ValueError, TypeError):
        return None


def encrypt_text(config: Mapping[str, Any], text: str) -> str:
    return _fernet(config).encrypt(text.encode()).decode()


def decrypt_text(config: Mapping[str, Any], token: str) -> str | None:
    """The text, or None for a token that is not ours (an empty token is an empty text)."""
    if not token:
        return ""
    return decrypt_number(config, token)


def new_key() -> str:
    return Fernet.generate_key().decode()
