"""The console's words: both catalogues complete, and every translation fills in the same blanks."""

from __future__ import annotations

import re
from pathlib import Path
from string import Formatter

from babel.messages.pofile import read_po

from console.texts import EN, FR, MONTHS, TRANSLATIONS, WEEKDAYS, t


def blanks(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name}


def test_every_word_exists_in_french_and_in_english():
    assert set(FR) == set(EN), f"only in French: {sorted(set(FR) - set(EN))}; only in English: {sorted(set(EN) - set(FR))}"
    assert all(text.strip() for text in [*FR.values(), *EN.values()])


def test_french_and_english_fill_in_the_same_blanks():
    mismatched = {key: (blanks(FR[key]), blanks(EN[key])) for key in FR if blanks(FR[key]) != blanks(EN[key])}
    assert mismatched == {}


def test_the_catalogues_are_valid_po_files_that_translation_tools_can_read():
    for language in ("fr", "en"):
        with (TRANSLATIONS / language / "LC_MESSAGES" / "console.po").open("rb") as file:
            catalogue = read_po(file, locale=language, domain="console")
        assert str(catalogue.locale) == language
        keys = [m.id for m in catalogue if m.id]
        assert len(keys) == len(set(keys))
        assert all(re.fullmatch(r"[A-Za-z0-9_:-]+(\.[A-Za-z0-9_:-]+)+", key) for key in keys), "msgids are dotted keys"


def test_every_word_the_console_asks_for_by_name_exists_in_both_languages():
    root = Path(__file__).resolve().parents[2] / "console"
    sources = [*root.rglob("*.py"), *root.rglob("templates/**/*.html")]
    # Literal keys only: t('key') or t('key', ...); a key built from parts (t('me.go_' ~ status)) is not seen.
    literal = re.compile(r"\bt\(['\"]([A-Za-z0-9_:-]+(?:\.[A-Za-z0-9_:-]+)+)['\"]\s*[,)]")
    used = {key for path in sources for key in literal.findall(path.read_text())}
    assert len(used) > 300
    for language, table in (("fr", FR), ("en", EN)):
        assert sorted(key for key in used if key not in table) == [], language


def test_a_word_is_given_in_the_language_asked_for_with_its_blanks_filled():
    assert t("login.locked", "fr", minutes=5) == "Trop de tentatives de connexion. Réessayez dans 5 minutes."
    assert t("login.locked", "en", minutes=5) == "Too many sign-in attempts. Try again in 5 minutes."


def test_day_and_month_names_come_from_the_locale_data():
    assert WEEKDAYS["fr"][0] == "lundi" and WEEKDAYS["en"][6] == "Sunday"
    assert MONTHS["fr"][7] == "août" and MONTHS["en"][11] == "December"
