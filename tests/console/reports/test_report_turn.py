"""Reports are counted one at a time, so that callers' webhooks never wait behind them (issue 17): a coordinator
whose report cannot start within its wait is told so in words, on a page that reloads itself — never left to the
proxy's 504 — and gets the report once its turn comes."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from store import reports
from store.extension import database
from tests.support.console import make_account, sign_in
from tests.support.console import text as page_text

PAGE = "/console/reports/lines/ecoute-violences-conjugales"


@pytest.fixture
def another_report_counting(app):
    """Another coordinator's report holds the turn (the same advisory lock, held by another connection)."""
    with app.app_context():
        engine = database.engine
        if engine.dialect.name != "postgresql":
            pytest.skip("one report at a time is a PostgreSQL advisory lock; SQLite serialises its writers itself")
        connection = engine.connect()
        connection.execute(text(f"SELECT pg_advisory_lock({reports.REPORTS_ONE_AT_A_TIME_KEY})"))
        yield connection
        connection.execute(text(f"SELECT pg_advisory_unlock({reports.REPORTS_ONE_AT_A_TIME_KEY})"))
        connection.close()


def test_a_report_that_cannot_get_its_turn_says_so_then_comes_once_its_turn_is_there(app, client, monkeypatch,
                                                                                     another_report_counting):
    monkeypatch.setattr(reports, "REPORT_TURN_WAIT_MS", 300)
    make_account(app)
    sign_in(client)
    waiting = client.get(PAGE)
    assert waiting.status_code == 503 and waiting.headers["Retry-After"] == "15"
    words = page_text(waiting)
    assert "Rapport en attente de son tour" in words
    assert "D'autres rapports sont en cours de calcul" in words and "dans 15 secondes" in words
    assert '<meta http-equiv="refresh" content="15">' in waiting.get_data(as_text=True)
    csv = client.get(PAGE + "/summary.csv")
    assert csv.status_code == 503 and csv.mimetype == "text/plain" and "15 secondes" in csv.get_data(as_text=True)
    another_report_counting.execute(text(f"SELECT pg_advisory_unlock({reports.REPORTS_ONE_AT_A_TIME_KEY})"))
    another_report_counting.execute(text(f"SELECT pg_advisory_lock({reports.REPORTS_ONE_AT_A_TIME_KEY} + 1)"))
    served = client.get(PAGE)
    assert served.status_code == 200 and "Rapport en attente" not in page_text(served)
