"""Public holidays from the ``holidays`` library, named in French where possible, cached per year.

The library loads all of its ~250 countries (17 MB in every process that imports it) to give one country's days.
What it answers is fixed for a given version of it, so the answers are also kept on disk (holiday_files): a
webhooks' worker reads the few years its lines need from there and never imports the library, unless a year is
asked for that no process has computed yet.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Mapping

from schedules import holiday_files
from schedules.model import HolidayCalendar

PREFERRED_LANGUAGE = "fr"
LIBRARY_LANGUAGE = {"fr": "fr", "en": "en_US"}  # a caller's language as the holidays library names it


@lru_cache(maxsize=64)
def _language_for(country: str, subdivision: str | None, language: str = PREFERRED_LANGUAGE) -> str | None:
    # Unasked, the library picks a language from the process locale, and it silently answers in en_US
    # for an unsupported one; naming the country's default keeps names stable across servers.
    import holidays

    calendar = holidays.country_holidays(country, subdiv=subdivision)
    wanted = LIBRARY_LANGUAGE.get(language, language)
    if wanted in calendar.supported_languages:
        return wanted
    if PREFERRED_LANGUAGE in calendar.supported_languages:
        return PREFERRED_LANGUAGE
    return calendar.default_language


def _computed(country: str, subdivision: str | None, year: int, language: str) -> dict[date, str]:
    import holidays

    calendar = holidays.country_holidays(
        country, subdiv=subdivision, years=year, language=_language_for(country, subdivision, language)
    )
    return dict(calendar.items())


@lru_cache(maxsize=1024)
def holiday_names(country: str, subdivision: str | None, year: int,
                  language: str = PREFERRED_LANGUAGE) -> Mapping[date, str]:
    """Every public holiday of one year, date -> name; deterministic, so cached for the process lifetime (and on
    disk, for the other processes, when holiday_files has a folder).

    An unknown country or subdivision raises (NotImplementedError) so a bad configuration fails loudly
    when the line is saved or first evaluated, not silently open on a holiday.
    """
    key = (country, subdivision, year, language)
    names = holiday_files.read(key)
    if names is None:
        names = _computed(country, subdivision, year, language)
        holiday_files.write(key, names)
    return MappingProxyType(names)


def subdivisions(country: str) -> tuple[tuple[str, ...], dict[str, str]]:
    """The subdivision codes the library knows for ``country``, and the aliases it maps to them; an unknown country
    raises (NotImplementedError), as the library does."""
    kept = holiday_files.read_subdivisions(country)
    if kept is None:
        import holidays

        calendar = holidays.country_holidays(country).__class__
        kept = (tuple(getattr(calendar, "subdivisions", ())), dict(getattr(calendar, "subdivisions_aliases", {})))
        holiday_files.write_subdivisions(country, *kept)
    return kept


def prepare(calendars: set[HolidayCalendar], years: range) -> int:
    """Compute (or find) the named years of ``calendars`` in both languages and keep each on disk, so that the
    processes that read them from there need not import the library; returns how many were asked for."""
    asked = 0
    for country in {calendar.country for calendar in calendars}:
        subdivisions(country)  # the directory's check of a département's subdivision reads them too
    for calendar in calendars:
        for year in years:
            for language in LIBRARY_LANGUAGE:
                key = (calendar.country, calendar.subdivision, year, language)
                names = holiday_names(*key)  # this process may have them already: then only the file is missing
                if holiday_files.read(key) is None:
                    holiday_files.write(key, dict(names))
                asked += 1
    return asked


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
