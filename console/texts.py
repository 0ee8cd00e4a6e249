"""The console's words in the signed-in account's language: `t(key)` picks one from the catalogues of words/.

The catalogues themselves (PO files, day and month names) are in words.catalogue, below the console, so that the
coordinators' phone line writes the same words in the audit log; here is only how the console picks a language.
"""

from __future__ import annotations

from flask import g, has_request_context, request, session

from words.catalogue import DEFAULT_LANGUAGE, EN, FR, LANGUAGES, MONTHS, TEXTS, TRANSLATIONS, WEEKDAYS, text

# What the console's modules read from here, as they did before the catalogues moved to words/.
__all__ = ["DEFAULT_LANGUAGE", "EN", "FR", "LANGUAGES", "MONTHS", "TEXTS", "TRANSLATIONS", "WEEKDAYS",
           "current_language", "t"]


def current_language() -> str:
    """The signed-in account's choice, else the one picked on the login page, else the browser's; French."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    account = g.get("account")
    if account is not None and account.language in LANGUAGES:
        return account.language
    chosen = session.get("language")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE)


def t(key: str, language: str | None = None, **values: object) -> str:
    return text(key, language or current_language(), **values)
