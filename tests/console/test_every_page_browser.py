"""Every page of the console, in a real browser at 360 px wide: nothing wider than the screen, and axe-core finds
no accessibility violation (as admin, as a centre's coordinator, as a listener, and signed out)."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select

from routing.queueing import ListenerStatus
from store.extension import database
from store.listeners import create_listener, set_status
from store.models import AssociationRow, Call
from tests.support.console import (ADMIN_EMAIL, ADMIN_PASSWORD, CHAIN, COORDINATOR_PASSWORD, make_account,
                                   sign_in_page)

PHONE = {"width": 360, "height": 740}
UPP = "un-premier-pas"
EVC = "ecoute-violences-conjugales"


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(locale="fr-FR", viewport=PHONE, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def problems_on(page, path: str) -> list[str]:
    """What is wrong with the page as it stands: too wide for the phone, or axe-core's violations."""
    found = []
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > PHONE["width"]:
        wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > 361).slice(0, 3)
            .map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').trim().slice(0, 40))""")
        found.append(f"{path}: {width} px wide, e.g. {wide}")
    results = Axe().run(page)
    if results.violations_count:
        found.append(f"{path}: {results.generate_report()}")
    return found


def visit(page, base: str, paths: list[str]) -> list[str]:
    found = []
    for path in paths:
        response = page.goto(f"{base}{path}")
        assert response.status == 200, path
        found += problems_on(page, path)
    return found


def some_data(app, call) -> tuple[int, int, str]:
    """A listener, a call in the log and an association: the pages that show one have something to show."""
    call("+33199009494")
    with app.app_context(), database.session() as session:
        now = app.config["CLOCK"]()
        listener = create_listener(session, "Lou Bernard", "+33612345678", [UPP], "246810", now)
        set_status(session, listener, ListenerStatus.PAUSED, now, "chosen by test")
        session.commit()
        call_id = session.scalar(select(Call.id).order_by(Call.id))
        association = session.scalar(select(AssociationRow.slug).order_by(AssociationRow.slug))
        return listener.id, call_id, association


def test_every_page_an_admin_opens_fits_a_phone_and_passes_axe(app, live_server, phone_page, call):
    listener_id, call_id, association = some_data(app, call)
    make_account(app)
    sign_in_page(phone_page, live_server, ADMIN_EMAIL, ADMIN_PASSWORD)
    line = f"/console/lines/{UPP}"
    paths = ["/console/", line, f"{line}/hours", f"{line}/chain", f"{line}/preview", f"{line}/history",
             f"{line}/callers-hear", f"{line}/categories", f"/console/lines/{EVC}/live", "/console/live",
             "/console/centres/3977-94", "/console/centres/3977-94/hours", "/console/centres/3977-94/history",
             "/console/roster", "/console/roster/new", f"/console/roster/{listener_id}", "/console/reports/",
             f"/console/reports/lines/{EVC}", "/console/reports/centres/3977-94", "/console/calls",
             f"/console/calls/{call_id}", "/console/flags", "/console/categories/report", "/console/associations",
             "/console/associations/new", f"/console/associations/{association}",
             f"/console/associations/{association}/history", "/console/phone-access",
             "/console/audit"]
    assert visit(phone_page, live_server, paths) == []


def test_a_refused_save_and_a_route_preview_fit_a_phone_and_pass_axe(app, live_server, phone_page, artifacts_dir):
    make_account(app)
    sign_in_page(phone_page, live_server, ADMIN_EMAIL, ADMIN_PASSWORD)
    phone_page.goto(f"{live_server}{CHAIN}")
    phone_page.locator("#rule-1-timeout").fill("200")
    phone_page.get_by_role("button", name="Enregistrer les règles").last.click()
    phone_page.locator(".error-summary").wait_for()
    found = problems_on(phone_page, "chain editor, refused")
    phone_page.screenshot(path=str(artifacts_dir / "console-chain-refused-360.png"))
    phone_page.goto(f"{live_server}/console/lines/{UPP}/preview")
    phone_page.get_by_role("button", name="Lancer l'aperçu").click()
    phone_page.locator("table.transcript").wait_for()
    assert found + problems_on(phone_page, "route preview, answered") == []


def test_the_pages_of_a_centres_coordinator_a_listener_and_the_sign_in_fit_a_phone_and_pass_axe(
        app, live_server, phone_page, browser):
    assert visit(phone_page, live_server, ["/console/login"]) == []
    make_account(app, "centre94@example.org", COORDINATOR_PASSWORD, "coordinator", centres=["3977-94"],
                 name="Dominique")
    sign_in_page(phone_page, live_server, "centre94@example.org", COORDINATOR_PASSWORD)
    found = visit(phone_page, live_server, ["/console/", "/console/centres/3977-94"])
    with app.app_context(), database.session() as session:
        lou = create_listener(session, "Lou", "+33611111111", [UPP], "246810", app.config["CLOCK"]())
        session.commit()
        lou_id = lou.id
    make_account(app, "lou@example.org", "a listener's own password", "listener")
    with app.app_context(), database.session() as session:
        from store.models import ConsoleAccount

        session.scalar(select(ConsoleAccount).where(ConsoleAccount.email == "lou@example.org")).listener_id = lou_id
        session.commit()
    context = browser.new_context(locale="fr-FR", viewport=PHONE)
    listener_page = context.new_page()
    sign_in_page(listener_page, live_server, "lou@example.org", "a listener's own password")
    found += visit(listener_page, live_server, ["/console/me"])
    context.close()
    assert found == []
