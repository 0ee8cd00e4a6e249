"""The desk's words about the person on the line: the caller, or on a safe callback the person called back (a
catalogue key's ``<key>_called_back`` wording, where there is one)."""

from __future__ import annotations

from console.texts import FR


def key_for(key: str, callback: bool) -> str:
    """The catalogue key to show: its callback wording on a callback, when the catalogue has one."""
    variant = f"{key}_called_back"
    return variant if callback and variant in FR else key
