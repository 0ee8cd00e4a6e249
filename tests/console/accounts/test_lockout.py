"""Sign-in throttling is no denial of service: a browser that signed in before always gets in with the right
password, whatever others tried against the account or from the same address; every lock is audited."""

from __future__ import annotations

from datetime import timedelta

from tests.support.console import (
    ADMIN_EMAIL,
    COORDINATOR_EMAIL,
    COORDINATOR_PASSWORD,
    audit_events,
    csrf_token,
    sign_in,
)
PROXY = {"REMOTE_ADDR": "203.0.113.9"}


def a_browser_that_signed_in_before(app, email=ADMIN_EMAIL, **kwargs):
    browser = app.test_client()
    assert sign_in(browser, email, **kwargs).status_code == 302
    browser.post("/console/logout", data={"csrf_token": csrf_token(browser, "/console/")})
    return browser


def someone_who_knows_the_address(app, email=ADMIN_EMAIL, tries=8):
    attacker = app.test_client()
    for attempt in range(tries):
        sign_in(attacker, email, "guess", environ_base={"REMOTE_ADDR": f"198.51.100.{attempt}"})
    return attacker


def test_the_right_password_from_a_known_browser_gets_in_while_the_account_is_delayed(app, clock, admin):
    laptop = a_browser_that_signed_in_before(app)
    attacker = someone_who_knows_the_address(app)
    assert sign_in(attacker, environ_base={"REMOTE_ADDR": "198.51.100.50"}).status_code == 429  # elsewhere: delayed
    assert sign_in(laptop).status_code == 302


def test_one_address_trying_many_unknown_accounts_does_not_keep_a_known_browser_behind_it_out(app, admin):
    laptop = a_browser_that_signed_in_before(app, environ_base=PROXY)
    sprayer = app.test_client()
    for attempt in range(8):
        sign_in(sprayer, f"guess{attempt}@example.org", "guess", environ_base=PROXY)
    assert sign_in(sprayer, environ_base=PROXY).status_code == 429  # a new browser behind the proxy waits a little
    assert sign_in(laptop, environ_base=PROXY).status_code == 302
    locks = [e.detail for e in audit_events(app) if e.action == "login_locked"]
    assert "adresse bloqué 1 min (adresse 203.0.113.9)" in locks


def test_the_delay_grows_but_never_past_fifteen_minutes(app, clock, admin):
    attacker = app.test_client()
    for attempt in range(12):
        sign_in(attacker, password="guess", environ_base={"REMOTE_ADDR": f"198.51.100.{attempt}"})
        clock.now += timedelta(minutes=15)
    minutes = [int(e.detail.split("bloqué ")[1].split(" ")[0]) for e in audit_events(app) if e.action == "login_locked"]
    assert minutes == [1, 2, 4, 8, 15, 15, 15, 15]


def test_a_known_browser_of_another_account_does_not_skip_the_delay(app, admin, coordinator):
    colleague = a_browser_that_signed_in_before(app, COORDINATOR_EMAIL, password=COORDINATOR_PASSWORD)
    someone_who_knows_the_address(app)
    assert sign_in(colleague).status_code == 429


def test_a_known_browser_is_delayed_by_its_own_failures(app, admin):
    laptop = a_browser_that_signed_in_before(app)
    for _ in range(5):
        sign_in(laptop, password="guess")
    assert sign_in(laptop).status_code == 429
    assert [e.detail for e in audit_events(app) if e.action == "login_locked"] == [
        "appareil connu bloqué 1 min (adresse 127.0.0.1)"]


def test_a_forged_device_cookie_is_ignored(app, admin):
    browser = app.test_client()
    browser.set_cookie("helpline_device", "WzEsICJ4Il0.forged.signature", path="/console", domain="localhost")
    someone_who_knows_the_address(app)
    assert sign_in(browser).status_code == 429
