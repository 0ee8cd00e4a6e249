"""The reports' shared fixture: November 2026 on Écoute Violences Conjugales, for the pages and the browser."""

from __future__ import annotations

import pytest

from tests.support.month import play_evc_month


@pytest.fixture
def evc_month(live_app, rest, clock):
    return play_evc_month(live_app, rest, clock)
