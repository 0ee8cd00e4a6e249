"""The day and month names said to callers and shown to coordinators are the Unicode CLDR's, as Babel gives them."""

from __future__ import annotations

import pytest
from babel.dates import get_day_names, get_month_names

from words.calendar import MONTHS, WEEKDAYS


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_names_are_babels_cldr_names(language):
    assert WEEKDAYS[language] == tuple(get_day_names("wide", locale=language)[day] for day in range(7))
    assert MONTHS[language] == tuple(get_month_names("wide", locale=language)[month] for month in range(1, 13))
