"""Public holidays from the ``holidays`` library, named in French where possible, cached per year."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Mapping

import holidays

from schedules.model import HolidayCalendar

PREFERRED_LANGUAGE = "fr"
LIBRARY_LANGUAGE = {"fr": "fr", "en": "en_US"}  # a caller's language as the holidays library names it


@lru_cache(maxsize=64)
def _language_for(country: str, subdivision: str | None, language: str = PREFERRED_LANGUAGE) -> str | None:
    # Unasked, the library picks a language from the process locale, and it silently answers in en_US
    # for an unsupported one; naming the country's default keeps names stable across servers.
    calendar = holidays.country_holidays(country, subdiv=subdivision)
    wanted = LIBRARY_LANGUAGE.get(language, language)
    if wanted in calendar.supported_languages:
        return wanted
    if PREFERRED_LANGUAGE in calendar.supported_languages:
        return PREFERRED_LANGUAGE
    return calendar.default_language


@lru_cache(maxsize=1024)
def holiday_names(country: str, subdivision: str | None, year: int,
                  language: str = PREFERRED_LANGUAGE) -> Mapping[date, str]:
    """Every public holiday of one year, date -> name; deterministic, so cached for the process lifetime.

    An unknown country or subdivision raises (NotImplementedError) so a bad configuration fails loudly
    when the line is saved or first evaluated, not silently open on a holiday.
    """
    calendar = holidays.country_holidays(
        country, subdiv=subdivision, years=year, language=_language_for(country, subdivision, language)
    )
    return MappingProxyType(dict(calendar.items()))


def holiday_name(calendar: HolidayCalendar, day: date, language: str = PREFERRED_LANGUAGE) -> str | None:
    """The holiday's name on ``day`` in ``language`` where the library has it (French otherwise), or None."""
    return holiday_names(calendar.country, calendar.subdivision, day.year, language).get(day)


def upcoming_holidays(calendar: HolidayCalendar, start: date, days: int = 365) -> list[tuple[date, str]]:
    """Holidays from ``start`` (inclusive) over ``days`` days, sorted by date, named in French if possible.

    Listed whether or not ``calendar.closes``: the console shows them either way.
    """
    if days <= 0:
        return []
    stop = start + timedelta(days=days)
    found: list[tuple[date, str]] = []
    for year in range(start.year, stop.year + 1):
        names = holiday_names(calendar.country, calendar.subdivision, year)
        found.extend((day, name) for day, name in names.items() if start <= day < stop)
    found.sort()
    return found
