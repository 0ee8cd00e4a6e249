"""Fixtures of the store's tests: a generated year of calls for the report counts."""

from __future__ import annotations

import pytest

from tests.support.report_year import load_year


@pytest.fixture
def year(app):
    return load_year(app)
