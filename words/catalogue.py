"""Every word the console shows, in French (the default) and English, and `text(key, language)` to pick one.

The words live in standard gettext catalogues (words/translations/<language>/LC_MESSAGES/console.po), read with
Babel, so translators can work with their usual PO tools; each msgid is the key the code asks for.
"""

from __future__ import annotations

from pathlib import Path

from babel.dates import get_day_names, get_month_names
from babel.messages.pofile import read_po

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"

TRANSLATIONS = Path(__file__).parent / "translations"


def _read_catalogue(language: str) -> dict[str, str]:
    """The PO catalogue for a language (words/translations/<language>/LC_MESSAGES/console.po)."""
    with (TRANSLATIONS / language / "LC_MESSAGES" / "console.po").open("rb") as file:
        catalogue = read_po(file, locale=language, domain="console")
    return {message.id: message.string for message in catalogue if message.id and message.string}


FR: dict[str, str] = _read_catalogue("fr")
EN: dict[str, str] = _read_catalogue("en")

TEXTS = {"fr": FR, "en": EN}
# Day and month names from the Unicode CLDR, as Babel gives them (Monday first).
WEEKDAYS = {language: tuple(get_day_names("wide", locale=language)[day] for day in range(7))
            for language in LANGUAGES}
MONTHS = {language: tuple(get_month_names("wide", locale=language)[month] for month in range(1, 13))
          for language in LANGUAGES}


def known_language(language: str | None) -> str:
    """``language`` when the catalogues have it, else French."""
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def text(key: str, language: str, **values: object) -> str:
    # A key missing in English falls back to French, and a missing key shows itself rather than crashing.
    words = TEXTS.get(language, FR).get(key) or FR.get(key) or key
    return words.format(**values) if values else words
