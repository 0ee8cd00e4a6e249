"""Every word the console shows, in French (the default) and English, and `text(key, language)` to pick one.

The words live in standard gettext catalogues (words/translations/<language>/LC_MESSAGES/console.po), read with
Babel, so translators can work with their usual PO tools; each msgid is the key the code asks for.

A catalogue is read the first time its words are asked for (``text``, or ``FR``, ``EN`` and ``TEXTS`` imported from
here, as the console does at its start): a webhooks' worker imports this module for the coordinators' phone line
(words/status.py) and would otherwise carry Babel and both catalogues, about 8 MB, for a call it may never take.
"""

from __future__ import annotations

import threading
from pathlib import Path

from words.calendar import MONTHS, WEEKDAYS

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"

TRANSLATIONS = Path(__file__).parent / "translations"
_READ: dict[str, dict[str, str]] = {}  # each language's catalogue, once read
_READING = threading.Lock()

__all__ = ["DEFAULT_LANGUAGE", "EN", "FR", "LANGUAGES", "MONTHS", "TEXTS", "TRANSLATIONS", "WEEKDAYS", "catalogue",
           "known_language", "text"]


def catalogue(language: str) -> dict[str, str]:
    """The PO catalogue for a language (words/translations/<language>/LC_MESSAGES/console.po), read once per process:
    threads asking at the same time wait for the one reading it."""
    found = _READ.get(language)
    if found is None:
        with _READING:
            found = _READ.get(language)
            if found is None:
                found = _READ[language] = _read_catalogue(language)
    return found


def _read_catalogue(language: str) -> dict[str, str]:
    from babel.messages.pofile import read_po

    with (TRANSLATIONS / language / "LC_MESSAGES" / "console.po").open("rb") as file:
        read = read_po(file, locale=language, domain="console")
    return {message.id: message.string for message in read if message.id and message.string}


def __getattr__(name: str):
    # FR, EN and TEXTS as module constants, read on first use (see above) and kept here from then on.
    if name in ("FR", "EN"):
        value = catalogue(name.lower())
    elif name == "TEXTS":
        value = {language: catalogue(language) for language in LANGUAGES}
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def known_language(language: str | None) -> str:
    """``language`` when the catalogues have it, else French."""
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def text(key: str, language: str, **values: object) -> str:
    # A key missing in English falls back to French, and a missing key shows itself rather than crashing.
    french = catalogue(DEFAULT_LANGUAGE)
    words = (catalogue(language) if language in LANGUAGES else french).get(key) or french.get(key) or key
    return words.format(**values) if values else words
