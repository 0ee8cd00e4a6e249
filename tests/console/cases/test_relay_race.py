"""The same call relayed twice at once — two tabs of the console, or the listener and a coordinator — makes one case:
both pages end on it, one relay is audited, the centre has one case to analyse."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

import console.cases.views as relay_views
from store.extension import database
from store.models import AuditEvent, CaseFile, CaseStep
from tests.conftest import TEST_DATABASE_URL, at_paris
from tests.support.cases import CALLER, PASSWORD, PLATFORM, national_call, platform_coordinator, relay_fields
from tests.support.console import csrf_token, sign_in

EVENING = at_paris(2026, 11, 24, 17, 15)


def _tab(app):
    """A signed-in console page on the relay form (its own session, like a second browser)."""
    client = app.test_client()
    sign_in(client, PLATFORM, PASSWORD)
    return client


def _relay_together(app, call_id: int, tabs, **changes) -> list:
    """Each tab submits the relay form at the same moment, each on its own thread; their answers."""
    path = f"/console/cases/relay/{call_id}"
    forms = [{**relay_fields(**changes), "csrf_token": csrf_token(tab, path)} for tab in tabs]
    start = threading.Barrier(len(tabs))
    answers: list = [None] * len(tabs)

    def submit(index: int) -> None:
        start.wait(timeout=10)
        answers[index] = tabs[index].post(path, data=forms[index])

    threads = [threading.Thread(target=submit, args=(index,)) for index in range(len(tabs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def _one_case(app) -> int:
    with app.app_context(), database.session() as session:
        cases = list(session.scalars(select(CaseFile.id)))
        assert len(cases) == 1, cases
        relays = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "case.relay"))
        steps = [s.kind for s in session.scalars(select(CaseStep).order_by(CaseStep.id))]
    assert relays == 1
    assert steps.count("relayed") == 1
    return cases[0]


@pytest.fixture
def both_past_the_check(monkeypatch):
    """Each request reaches the insert only once both have found the call not relayed yet: the race at its worst.

    On PostgreSQL only: on SQLite a console POST holds the write lock from its first read (store/db.py begins every
    writing transaction IMMEDIATE), so the second request cannot even read before the first commits — waiting for
    it there would only deadlock the test."""
    met: list[bool] = []
    if TEST_DATABASE_URL == "sqlite":
        return met
    arrived = threading.Barrier(2)
    real = relay_views.open_case

    def open_case_when_both_are_here(*args, **kwargs):
        try:
            arrived.wait(timeout=5)
            met.append(True)
        except threading.BrokenBarrierError:
            pass  # the other one was refused earlier (the race lost before the insert): go on alone
        return real(*args, **kwargs)

    monkeypatch.setattr(relay_views, "open_case", open_case_when_both_are_here)
    return met


@pytest.mark.parametrize("consent", ["no", "yes"])
def test_two_tabs_relaying_the_same_call_at_the_same_moment_make_one_case(live_app, clock, rest, both_past_the_check,
                                                                         consent):
    call_id, sid = national_call(live_app, clock, EVENING)
    rest.add_inbound_call(sid, from_number=CALLER)
    platform_coordinator(live_app)
    answers = _relay_together(live_app, call_id, [_tab(live_app), _tab(live_app)], consent=consent)
    assert [answer.status_code for answer in answers] == [302, 302]
    case_id = _one_case(live_app)
    assert {answer.headers["Location"] for answer in answers} == {f"/console/cases/{case_id}"}
    assert both_past_the_check == ([] if TEST_DATABASE_URL == "sqlite" else [True, True])  # the race did happen


def test_four_tabs_racing_without_any_help_still_make_one_case(live_app, clock, rest):
    call_id, _ = national_call(live_app, clock, EVENING)
    platform_coordinator(live_app)
    answers = _relay_together(live_app, call_id, [_tab(live_app) for _ in range(4)], consent="no")
    assert [answer.status_code for answer in answers] == [302] * 4
    case_id = _one_case(live_app)
    assert {answer.headers["Location"] for answer in answers} == {f"/console/cases/{case_id}"}
