"""Every word the console shows, in French (the default) and English, and `text(key, language)` to pick one.

The words live in standard gettext catalogues (words/translations/<language>/LC_MESSAGES/console.po), read with
Babel, so translators can work with their usual PO tools; each msgid is the key the code asks for.

A catalogue is read the first time its words are asked for (``text``, or ``FR``, ``EN`` and ``TEXTS`` imported from
here, as the console does at its start): a webhooks' worker imports this module for the coordinators' phone line
(words/status.py) and would otherwise carry Babel and both catalogues, about 8 MB, for a call it may never take.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from words.calendar import MONTHS, WEEKDAYS

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"

TRANSLATIONS = Path(__file__).parent / "translations"

__all__ = ["DEFAULT_LANGUAGE", "EN", "FR", "LANGUAGES", "MONTHS", "TEXTS", "TRANSLATIONS", "WEEKDAYS", "catalogue",
           "known_language", "text"]


@cache
def catalogue(language: str) -> dict[str, str]:
    """The PO catalogue for a language (words/translations/<language>/LC_MESSAGES/console.po), read once."""
    from babel.messages.pofile import read_po

    with (TRANSLATIONS / language / "LC_MESSAGES" / "console.po").open("rb") as file:
        read = read_po(file, locale=language, domain="console")
    return {message.id: message.string for message in read if message.id and message.string}


def __getattr__(name: str):
    # FR, EN and TEXTS as module constants, read on first use (see above).
    if name in ("FR", "EN"):
        return catalogue(name.lower())
    if name == "TEXTS":
        return {language: catalogue(language) for language in LANGUAGES}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def known_language(language: str | None) -> str:
    """``language`` when the catalogues have it, else French."""
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def text(key: str, language: str, **values: object) -> str:
    # A key missing in English falls back to French, and a missing key shows itself rather than crashing.
    french = catalogue(DEFAULT_LANGUAGE)
    words = (catalogue(language) if language in LANGUAGES else french).get(key) or french.get(key) or key
    return words.format(**values) if values else words
