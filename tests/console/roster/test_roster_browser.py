"""In a real browser: the live board follows a call without reloading, a listener pauses from their page,
a coordinator adds a listener and is refused another line's board."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from console.accounts.records import create_account
from routing.queueing import ListenerStatus
from store.extension import database
from store.listeners import create_listener, set_status
from store.models import Listener
from tests.conftest import SignedTwilio, at_brussels
from tests.support.calls import Caller
from tests.support.console import COORDINATOR_EMAIL, COORDINATOR_PASSWORD, make_account, sign_in_page
from tests.support.live_server import served

EVC = "ecoute-violences-conjugales"
POLL_WAIT = 20_000  # ms: the board polls every 5 s, and the machine is shared


def add_listener(app, name, phone, status, pool) -> int:
    with app.app_context(), database.session() as session:
        now = app.config["CLOCK"]()
        listener = create_listener(session, name, phone, [pool], "1234", now)
        set_status(session, listener, status, now, "chosen by test")
        session.commit()
        return listener.id


@pytest.fixture
def calling_server(live_app, clock):
    """The app that queues callers and dials listeners (through the loopback Twilio server), served over HTTP."""
    clock.now = at_brussels(2026, 11, 24, 10, 0)
    with served(live_app, "live-board-server") as base:
        yield base


def test_the_live_board_shows_a_caller_arrive_and_leave_without_reloading(live_app, calling_server, page,
                                                                           artifacts_dir):
    add_listener(live_app, "Noor Haddad", "+32470111111", ListenerStatus.PAUSED, EVC)  # keeps the queue open
    add_listener(live_app, "Sam Peeters", "+32470222222", ListenerStatus.OFFLINE, EVC)
    make_account(live_app, "evc@example.org", COORDINATOR_PASSWORD, "coordinator", lines=[EVC],
                 name="Coordination EVC")
    sign_in_page(page, calling_server, "evc@example.org", COORDINATOR_PASSWORD)
    page.get_by_role("link", name="En direct").click()
    page.get_by_role("link", name="Tableau en direct : Écoute Violences Conjugales").click()
    expect(page.get_by_role("heading", name="En direct : Écoute Violences Conjugales")).to_be_visible()
    summary = page.locator("#live-summary")
    expect(summary).to_have_text("En attente : 0 · Écoutants disponibles : 0")
    expect(summary).to_have_attribute("aria-live", "polite")
    expect(page.get_by_text("Personne n'attend.")).to_be_visible()
    expect(page.get_by_role("region", name="En pause (1)")).to_contain_text("Noor Haddad")
    expect(page.get_by_role("region", name="Hors ligne (1)")).to_contain_text("Sam Peeters")
    page.evaluate("window.boardNeverReloaded = true")

    caller = Caller(SignedTwilio(live_app.test_client()))  # a signed incoming call that queues
    assert caller.queued
    rows = page.locator("#live-waiting tbody tr")
    expect(rows).to_have_count(1, timeout=POLL_WAIT)
    expect(rows.first).to_contain_text("ecoute-violences-conjugales")
    expect(rows.first).to_contain_text("français")
    expect(summary).to_have_text("En attente : 1 · Écoutants disponibles : 0")
    expect(page.get_by_text("Personne n'attend.")).to_be_hidden()
    expect(page.locator("#live-today [data-field=offered]")).to_have_text("1")
    page.screenshot(path=str(artifacts_dir / "console-live-board.png"), full_page=True)

    caller.queue_result("hangup")
    expect(rows).to_have_count(0, timeout=POLL_WAIT)
    expect(page.get_by_text("Personne n'attend.")).to_be_visible()
    expect(summary).to_have_text("En attente : 0 · Écoutants disponibles : 0")
    expect(page.locator("#live-today [data-field=abandoned]")).to_have_text("1")
    assert page.evaluate("window.boardNeverReloaded") is True  # updated in place, never reloaded


def test_a_listener_pauses_from_their_own_page(app, live_server, page, artifacts_dir):
    noor = add_listener(app, "Noor Haddad", "+33611111111", ListenerStatus.AVAILABLE, "un-premier-pas")
    with app.app_context(), database.session() as session:
        create_account(session, email="noor@example.org", name="Noor Haddad", password="Noor's own password",
                       role="listener", listener_id=noor, now=app.config["CLOCK"]())
        session.commit()
    sign_in_page(page, live_server, "noor@example.org", "Noor's own password")
    expect(page.get_by_role("heading", name="Ma disponibilité", level=1)).to_be_visible()
    expect(page.locator(".my-status")).to_contain_text("disponible")
    expect(page.get_by_role("navigation")).not_to_contain_text("Tableau de bord")
    expect(page.get_by_role("button", name="Disponible")).to_have_attribute("aria-pressed", "true")

    page.get_by_role("button", name="En pause").click()
    expect(page.get_by_role("status")).to_have_text("Vous êtes en pause.")
    expect(page.locator(".my-status")).to_contain_text("en pause")
    expect(page.get_by_role("button", name="En pause")).to_have_attribute("aria-pressed", "true")
    with app.app_context(), database.session() as session:
        assert session.scalar(select(Listener.status).where(Listener.id == noor)) == "paused"
    page.screenshot(path=str(artifacts_dir / "console-listener-page.png"), full_page=True)

    response = page.goto(f"{live_server}/console/roster")
    assert response.status == 403


def test_a_coordinator_adds_a_listener_then_is_refused_another_lines_board(app, live_server, page, artifacts_dir):
    make_account(app, COORDINATOR_EMAIL, COORDINATOR_PASSWORD, "coordinator", lines=["un-premier-pas"],
                 name="Camille Coordination")
    sign_in_page(page, live_server, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)
    page.get_by_role("link", name="Écoutants").click()
    page.get_by_role("link", name="Ajouter un écoutant").click()
    page.get_by_label("Nom").fill("Lou Bernard")
    page.get_by_label("Téléphone").fill("06 12 34")
    page.get_by_role("button", name="Ajouter l'écoutant").click()
    expect(page.locator("#phone-error")).to_contain_text("Ce n'est pas un numéro de téléphone")
    expect(page.get_by_label("Téléphone")).to_have_attribute("aria-invalid", "true")
    page.screenshot(path=str(artifacts_dir / "console-roster-errors.png"), full_page=True)

    page.get_by_label("Téléphone").fill("06 12 34 56 78")
    page.get_by_role("button", name="Ajouter l'écoutant").click()
    expect(page.get_by_role("heading", name="Code PIN de Lou Bernard")).to_be_visible()
    expect(page.locator(".pin strong")).to_have_text(re.compile(r"^\d{6}$"))
    page.screenshot(path=str(artifacts_dir / "console-roster-pin.png"), full_page=True)

    page.get_by_role("link", name="Écoutants").click()
    listed = page.get_by_role("row", name="Lou Bernard")
    expect(listed).to_contain_text("+33 6 •• •• •• 78")
    expect(listed).to_contain_text("hors ligne")
    page.screenshot(path=str(artifacts_dir / "console-roster.png"), full_page=True)

    listed.get_by_role("link", name="Lou Bernard").click()
    page.get_by_label("Jour").select_option(label="mardi")
    page.get_by_label("Début").fill("09:00")
    page.get_by_label("Fin", exact=True).fill("13:00")
    page.get_by_role("button", name="Ajouter la plage").click()
    expect(page.get_by_role("status")).to_have_text("La plage est ajoutée.")
    expect(page.locator(".shifts li")).to_have_text(re.compile(r"mardi 09:00–13:00 \(heure de Paris\)"))
    page.screenshot(path=str(artifacts_dir / "console-roster-listener.png"), full_page=True)

    response = page.goto(f"{live_server}/console/lines/3977/live")
    assert response.status == 403
    expect(page.get_by_role("alert")).to_have_text("Vous n'avez pas accès à cette page.")
    response = page.goto(f"{live_server}/console/lines/un-premier-pas/live")
    assert response.status == 200
