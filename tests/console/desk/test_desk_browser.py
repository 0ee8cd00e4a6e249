"""In Chromium at phone width (360 px): a listener's desk shows the call that arrives without reloading, asks for
help from the keyboard, and the line's coordinator sees the alert; axe-core finds nothing wrong on either page."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.conftest import SignedTwilio, at_brussels
from tests.support.calls import Caller, ListenerLeg, bridge, deliver, rung
from tests.support.console import COORDINATOR_PASSWORD, make_account, sign_in_page
from tests.support.desk import EVC, LISTENER_PASSWORD, add_listener, listener_login
from tests.support.live_server import served
from tests.support.twilio_conference import HOLD_MUSIC

POLL_WAIT = 20_000  # ms: the desk polls every 3 s, and the machine is shared
PHONE = {"width": 360, "height": 740}


@pytest.fixture
def calling_server(live_app, clock):
    clock.now = at_brussels(2026, 11, 24, 10, 0)  # a Tuesday morning: the Belgian line is open
    with served(live_app, "desk-server") as base:
        yield base


@pytest.fixture
def phone(browser):
    context = browser.new_context(locale="fr-FR", viewport=PHONE, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def assert_accessible(page) -> None:
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def assert_fits_the_width(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_listener_follows_their_call_on_the_phone_sized_desk_and_asks_for_help(live_app, rest, calling_server,
                                                                                  phone, page, artifacts_dir):
    noor = add_listener(live_app, "Noor Haddad", "+32470111111")
    listener_login(live_app, noor, "noor@example.org")
    make_account(live_app, "evc@example.org", COORDINATOR_PASSWORD, "coordinator", lines=[EVC], name="Coordination EVC")

    sign_in_page(phone, calling_server, "noor@example.org", LISTENER_PASSWORD)
    phone.get_by_role("link", name="Poste d'écoute").click()
    expect(phone.get_by_role("heading", name="Poste d'écoute", level=1)).to_be_visible()
    expect(phone.locator("#desk-summary")).to_have_text("Aucun appel en cours.")
    assert_accessible(phone)
    phone.evaluate("window.deskNeverReloaded = true")

    tw = SignedTwilio(live_app.test_client())
    caller = Caller(tw)  # a real call, signed: queued, Noor's phone rings, she presses 1
    leg = ListenerLeg(tw, rest, rung(rest)[-1])
    bridge(tw, caller, leg.press("1"), leg)

    expect(phone.locator("#call-title")).to_contain_text("— en cours", timeout=POLL_WAIT)
    expect(phone.locator("#desk-summary")).to_have_text("Appel en cours · Écoute Violences Conjugales · Mise en relation")
    expect(phone.locator(".desk-facts")).to_contain_text("français")
    expect(phone.get_by_role("region", name="Sur l'appel")).to_contain_text("Vous (écoutant·e)")
    assert phone.evaluate("window.deskNeverReloaded") is True  # painted in place
    content = phone.content()
    digits = caller.number.lstrip("+")
    for secret in (caller.number, digits, "0" + digits[2:], digits[-7:]):
        assert secret not in content
    assert_fits_the_width(phone)
    assert_accessible(phone)
    phone.screenshot(path=str(artifacts_dir / "console-desk-call.png"), full_page=True)

    help_button = phone.get_by_role("button", name="Demander de l'aide")
    help_button.focus()
    phone.keyboard.press("Enter")  # the keyboard alone
    expect(phone.locator(".notice")).to_have_text("Les superviseur·es de la ligne sont prévenu·es.")
    expect(phone.get_by_role("button", name="Demander de l'aide")).to_have_count(0)
    assert_accessible(phone)

    sign_in_page(page, calling_server, "evc@example.org", COORDINATOR_PASSWORD)
    page.goto(f"{calling_server}/console/lines/{EVC}/live")
    alerts = page.get_by_role("region", name="Demandes d'aide")
    expect(alerts).to_contain_text("L'écoutant·e demande de l'aide.")
    expect(alerts).to_contain_text("Pris par Noor Haddad")
    assert_accessible(page)
    page.get_by_role("link", name="Supervision").click()
    expect(page.get_by_role("heading", name="Supervision des appels", level=1)).to_be_visible()
    expect(page.get_by_role("region", name="Demandes d'aide")).to_contain_text("Écoute Violences Conjugales")
    assert_accessible(page)
    page.screenshot(path=str(artifacts_dir / "console-desk-supervision.png"), full_page=True)

    # The coordinator whispers from the line's live board: the listener's desk shows it without reloading.
    page.goto(f"{calling_server}/console/lines/{EVC}/live")
    alerts = page.get_by_role("region", name="Demandes d'aide")
    alerts.get_by_label("Votre numéro (la ligne vous appelle)").fill("0470 99 99 99")
    alerts.get_by_role("button", name="Souffler à l'écoutant·e").click()
    expect(page.locator(".notice")).to_contain_text("seul·e l'écoutant·e vous entendra")
    supervisor = next(sid for sid in rung(rest) if rest.calls[sid]["to"] == "+32470999999")
    rest.answer_participant(supervisor)
    deliver(tw, rest)
    assert supervisor not in rest.hears(caller.sid)  # the caller never hears a whisper
    on_the_call = phone.get_by_role("region", name="Sur l'appel")
    expect(on_the_call).to_contain_text("Coordination EVC (superviseur·e) — parle à l'écoutant·e seulement",
                                        timeout=POLL_WAIT)
    expect(phone.locator(".desk-history")).to_contain_text("Un·e superviseur·e répond (souffle à l'écoutant·e)")
    expect(phone.locator("#desk-summary")).to_contain_text("Un·e superviseur·e répond")  # read out as it changes
    assert phone.evaluate("window.deskNeverReloaded") is None  # (the help POST loaded the page once)
    phone.evaluate("window.deskNeverReloaded = true")

    # Hold from the keyboard: the caller hears the line's music, the button becomes "take the caller back".
    phone.get_by_role("button", name="Mettre en attente").focus()
    phone.keyboard.press("Enter")
    expect(phone.locator(".notice")).to_have_text("L'appelant·e est en attente, avec la musique de la ligne.")
    deliver(tw, rest)
    assert rest.hears(caller.sid) == {HOLD_MUSIC}
    expect(phone.get_by_role("button", name="Reprendre l'appelant·e")).to_be_visible()
    expect(phone.get_by_role("group", name="Transférer l'appelant·e vers")).to_contain_text("le 107, Télé-Accueil")
    assert_fits_the_width(phone)
    assert_accessible(phone)
    phone.screenshot(path=str(artifacts_dir / "console-desk-supervised.png"), full_page=True)

    # The listener marks the call difficult with the keyboard: the coordinator's desk shows the debrief to offer.
    phone.get_by_role("button", name="Marquer comme appel difficile").focus()
    phone.keyboard.press("Enter")
    expect(phone.locator(".notice")).to_have_text("Appel marqué comme difficile.")
    expect(page.get_by_role("region", name="Appels difficiles : débriefing à proposer")).to_contain_text(
        "pris par Noor Haddad", timeout=POLL_WAIT)
    assert_accessible(page)

