"""The live board says when Twilio's REST API fails or no scheduler runs: what, since when, what callers get."""

from __future__ import annotations

from datetime import timedelta

import pytest
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

from routing.queueing import ListenerStatus
from store.db import make_engine
from tests.support.calls import Caller, add_listener, qapp, tw  # noqa: F401,F811 — fixtures
from tests.support.console import COORDINATOR_EMAIL, COORDINATOR_PASSWORD, make_account, sign_in, words

EVC = "ecoute-violences-conjugales"
BOARD = f"/console/lines/{EVC}/live"
HEALTH = f"/console/lines/{EVC}/health.json"
NO_SCHEDULER = "Le planificateur ne tourne pas"
TWILIO_DOWN = "Twilio ne répond pas : aucun écoutant ne peut être appelé"


@pytest.fixture
def coordinator(qapp):
    make_account(qapp, COORDINATOR_EMAIL, COORDINATOR_PASSWORD, "coordinator", lines=[EVC], name="Camille")
    client = qapp.test_client()
    sign_in(client, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)
    return client


def scheduler_ran(app, moment) -> None:
    """The job store as a running scheduler leaves it: the sweep's next run at ``moment``."""
    engine = make_engine(app.config["DATABASE_URL"])
    store = SQLAlchemyJobStore(engine=engine, tablename="apscheduler_jobs")
    store.jobs_t.create(engine, checkfirst=True)
    with engine.begin() as connection:
        connection.execute(store.jobs_t.delete())
        connection.execute(store.jobs_t.insert().values(id="sweep", next_run_time=moment.timestamp(), job_state=b""))
    engine.dispose()


def test_a_database_no_scheduler_ever_ran_on_says_so_and_what_callers_miss(qapp, coordinator):
    page = words(coordinator.get(BOARD))
    assert (f"{NO_SCHEDULER} Il n'a jamais tourné sur cette base de données. Ce que les appelants vivent en "
            "attendant : les appels sont reçus et mis en relation normalement, mais les demandes de rappel ne sont "
            "pas composées") in page
    assert "Lancez « helpline scheduler »" in page


def test_a_scheduler_that_stopped_is_shown_with_the_time_it_stopped_in_the_lines_time(qapp, coordinator, clock):
    scheduler_ran(qapp, clock.now + timedelta(seconds=10))  # running: the sweep is due in 10 s
    assert NO_SCHEDULER not in words(coordinator.get(BOARD))
    assert coordinator.get(HEALTH).get_json() == {"health": []}

    clock.now += timedelta(minutes=5)  # nothing ran the sweep since
    page = words(coordinator.get(BOARD))
    assert f"{NO_SCHEDULER} Depuis aujourd'hui à 10:00 (heure de Bruxelles)." in page
    scheduler_ran(qapp, clock.now - timedelta(days=1, minutes=5))  # stopped the day before
    assert (f"{NO_SCHEDULER} Depuis le lundi 23 novembre 2026 à 10:00 (heure de Bruxelles)."
            in words(coordinator.get(BOARD)))
    [banner] = coordinator.get(HEALTH).get_json()["health"]
    assert banner["what"] == "scheduler_stopped" and banner["title"] == NO_SCHEDULER


def test_twilio_failing_is_shown_with_since_when_and_what_callers_get_then_gone_when_it_answers(
        qapp, tw, rest, coordinator, clock):
    scheduler_ran(qapp, clock.now + timedelta(days=1))
    add_listener(qapp, "Noor", "+32470111111", ListenerStatus.AVAILABLE)
    rest.call_create_errors["*"] = (503, 20503)  # Twilio down: the listener's phone cannot be rung
    assert Caller(tw).queued
    page = words(coordinator.get(BOARD))
    assert (f"{TWILIO_DOWN} Depuis aujourd'hui à 10:00 (heure de Bruxelles). Dernière réponse : "
            "HTTP 503 ; 1 échec(s) d'affilée.") in page
    assert ("Ce que les appelants vivent en attendant : ils entendent l'accueil et attendent dans la file (musique "
            "et annonces), mais aucun téléphone d'écoutant ne sonne ; après 5 min 00 s d'attente, la règle suivante "
            "s'applique : si la ligne est ouverte : transférer l'appel vers l'équipe d'écoute.") in page
    assert NO_SCHEDULER not in page

    rest.call_create_errors.clear()  # Twilio answers again: the next dial succeeds
    clock.now += timedelta(seconds=30)
    Caller(tw)
    assert TWILIO_DOWN not in words(coordinator.get(BOARD))


def test_a_refused_listener_number_is_not_twilio_failing(qapp, tw, rest, coordinator, clock):
    scheduler_ran(qapp, clock.now + timedelta(days=1))
    add_listener(qapp, "Noor", "+32470111111", ListenerStatus.AVAILABLE)
    rest.call_create_errors["*"] = (400, 21211)  # "invalid To number": the listener's number, not Twilio
    Caller(tw)
    assert TWILIO_DOWN not in words(coordinator.get(BOARD))


def test_the_banner_is_for_the_lines_coordinators_only(qapp, coordinator):
    make_account(qapp, "other@example.org", "another coordinator's password", "coordinator",
                 lines=["un-premier-pas"], name="Other")
    other = qapp.test_client()
    sign_in(other, "other@example.org", "another coordinator's password")
    assert other.get(HEALTH).status_code == 403
    assert coordinator.get("/console/lines/nowhere/health.json").status_code == 403
