"""Console sign-in and its guards: every page needs an account, lockouts, CSRF, expiry, scope, audit log."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from store.extension import database
from store.models import ConsoleAccount
from tests.support.console import (
    LOCKED,
    WRONG_CREDENTIALS,
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    COORDINATOR_EMAIL,
    COORDINATOR_PASSWORD,
    audit_events,
    console_rules,
    csrf_token,
    sign_in,
    text,
)



def test_every_console_page_sends_anonymous_visitors_to_sign_in_and_refuses_their_posts(app, client, admin):
    checked = 0
    for rule, path in console_rules(app):
        if "GET" in rule.methods:
            response = client.get(path)
            assert response.status_code == 302, (path, response.status_code)
            assert response.headers["Location"].startswith("/console/login?next="), path
            checked += 1
        for method in rule.methods - {"GET", "HEAD", "OPTIONS"}:
            response = client.open(path, method=method, data={"csrf_token": csrf_token(client)})
            assert response.status_code == 403, (path, method, response.status_code)
            checked += 1
    assert checked >= 4  # dashboard, line page, audit log, logout at least
    assert [e.action for e in audit_events(app)] == []


def test_an_anonymous_visitor_is_sent_back_to_the_page_they_asked_for_after_signing_in(client, admin):
    response = client.get("/console/lines/france-victimes")
    assert response.headers["Location"] == "/console/login?next=/console/lines/france-victimes"
    page = text(client.get(response.headers["Location"]))
    assert "Connectez-vous pour accéder à la console." in page
    response = client.post("/console/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD,
                                                   "next": "/console/lines/france-victimes",
                                                   "csrf_token": csrf_token(client)})
    assert response.headers["Location"] == "/console/lines/france-victimes"


@pytest.mark.parametrize("target", ["https://evil.example.org/console/", "//evil.example.org/console/",
                                    "/voice/incoming", "/\\evil.example.org"])
def test_signing_in_never_redirects_off_the_console(client, admin, target):
    response = client.post("/console/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD,
                                                   "next": target, "csrf_token": csrf_token(client)})
    assert response.headers["Location"] == "/console/"


def test_an_admin_signs_in_sees_the_dashboard_and_signs_out(app, client, admin):
    page = text(client.get("/console/login"))
    assert '<html lang="fr">' in page and '<label for="email">Adresse e-mail</label>' in page
    response = sign_in(client, ADMIN_EMAIL.upper())  # emails are not case-sensitive
    assert response.status_code == 302 and response.headers["Location"] == "/console/"
    dashboard = text(client.get("/console/"))
    assert "Tableau de bord" in dashboard and "Connecté·e : Alex Admin" in dashboard
    response = client.post("/console/logout", data={"csrf_token": csrf_token(client, "/console/")})
    assert response.headers["Location"] == "/console/login"
    assert "Vous êtes déconnecté·e." in text(client.get("/console/login"))
    assert client.get("/console/").status_code == 302
    with app.app_context(), database.session() as session:
        assert session.get(ConsoleAccount, admin).last_login_at == app.config["CLOCK"]()


def test_a_wrong_password_and_an_unknown_email_get_the_same_words(client, admin):
    wrong_password = sign_in(client, ADMIN_EMAIL, "not the password at all")
    unknown_email = sign_in(client, "nobody@example.org", "not the password at all")
    for response in (wrong_password, unknown_email):
        assert response.status_code == 200
        assert WRONG_CREDENTIALS in text(response)
    assert client.get("/console/").status_code == 302


def test_five_failures_delay_the_account_and_each_further_failure_doubles_the_delay(app, client, clock, admin):
    for attempt in range(5):
        address = {"REMOTE_ADDR": f"198.51.100.{attempt}"}  # several addresses: the account's own count delays
        assert WRONG_CREDENTIALS in text(sign_in(client, password="guess", environ_base=address))
    refused = sign_in(client, environ_base={"REMOTE_ADDR": "198.51.100.200"})
    assert refused.status_code == 429
    assert f"{LOCKED} Réessayez dans 1 minutes." in text(refused)
    clock.now += timedelta(minutes=1)
    assert WRONG_CREDENTIALS in text(sign_in(client, password="guess", environ_base={"REMOTE_ADDR": "198.51.100.9"}))
    refused = sign_in(client, environ_base={"REMOTE_ADDR": "198.51.100.200"})
    assert refused.status_code == 429 and "Réessayez dans 2 minutes." in text(refused)
    clock.now += timedelta(minutes=2)
    assert sign_in(client, environ_base={"REMOTE_ADDR": "198.51.100.200"}).status_code == 302
    locks = [e.detail for e in audit_events(app) if e.action == "login_locked"]
    assert locks == ["compte bloqué 1 min (adresse 198.51.100.4)", "compte bloqué 2 min (adresse 198.51.100.9)"]


def test_an_unknown_email_is_locked_exactly_like_a_known_one(client, admin):
    for attempt in range(5):
        sign_in(client, "nobody@example.org", "guess", environ_base={"REMOTE_ADDR": f"198.51.100.{attempt}"})
    refused = sign_in(client, "nobody@example.org", "guess", environ_base={"REMOTE_ADDR": "198.51.100.99"})
    assert refused.status_code == 429 and LOCKED in text(refused)


def test_five_failures_from_one_address_lock_that_address_whatever_the_email(client, clock, admin):
    for attempt in range(5):
        sign_in(client, f"guess{attempt}@example.org", "guess", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert sign_in(client, environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 429
    assert sign_in(client, environ_base={"REMOTE_ADDR": "203.0.113.10"}).status_code == 302


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock_an_address(client, clock, admin):
    for attempt in range(8):
        sign_in(client, f"guess{attempt}@example.org", "guess", environ_base={"REMOTE_ADDR": "203.0.113.9"})
        clock.now += timedelta(minutes=4)
    assert sign_in(client, environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 302


def test_a_form_posted_without_its_csrf_token_is_refused(client, admin):
    response = client.post("/console/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert response.status_code == 400
    assert "Le formulaire a expiré ou n'est pas valide." in text(response)
    sign_in(client)
    assert client.post("/console/logout", data={"csrf_token": "forged"}).status_code == 400
    assert client.get("/console/").status_code == 200  # still signed in


def test_twilio_webhooks_need_no_csrf_token(twilio):
    response = twilio.post("/voice/incoming", {"CallSid": "CA" + "5" * 32, "From": "anonymous",
                                               "To": "+33189119494", "CallStatus": "ringing"})
    assert response.status_code == 200 and "<Response>" in text(response)


def test_a_session_idle_for_thirty_minutes_expires(client, clock, admin):
    sign_in(client)
    clock.now += timedelta(minutes=29)
    assert client.get("/console/").status_code == 200
    clock.now += timedelta(minutes=31)
    response = client.get("/console/")
    assert response.status_code == 302
    assert "Votre session a expiré." in text(client.get(response.headers["Location"]))


def test_a_session_ends_after_eight_hours_however_active(client, clock, admin):
    sign_in(client)
    for _ in range(24):  # every 20 minutes for 8 hours
        clock.now += timedelta(minutes=20)
        assert client.get("/console/").status_code == 200
    clock.now += timedelta(minutes=1)
    assert client.get("/console/").status_code == 302


def test_a_disabled_account_is_signed_out_at_its_next_request(app, client, admin):
    sign_in(client)
    with app.app_context(), database.session() as session:
        session.get(ConsoleAccount, admin).active = False
        session.commit()
    assert client.get("/console/").status_code == 302
    assert WRONG_CREDENTIALS in text(sign_in(client))


def test_the_session_cookie_is_secure_httponly_and_lax_in_production(client, admin):
    cookie = sign_in(client).headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_console_responses_carry_security_headers(client, admin):
    for response in (client.get("/console/login"), client.get("/console/static/console.css"), client.get("/console/")):
        assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"


def test_a_coordinator_is_refused_lines_outside_their_scope(client, coordinator):
    sign_in(client, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)
    assert client.get("/console/lines/un-premier-pas").status_code == 200
    for slug in ("3977", "france-victimes", "no-such-line"):  # unknown lines too: existence is not revealed
        response = client.get(f"/console/lines/{slug}")
        assert response.status_code == 403
        assert "Vous n'avez pas accès à cette page." in text(response)
    dashboard = text(client.get("/console/"))
    assert "Un premier pas" in dashboard and "France Victimes" not in dashboard


def test_an_admin_gets_not_found_for_an_unknown_line(client, admin):
    sign_in(client)
    assert client.get("/console/lines/no-such-line").status_code == 404


def test_sign_ins_failures_and_sign_outs_are_audited_without_passwords(app, client, admin):
    sign_in(client, password="my secret guess", environ_base={"REMOTE_ADDR": "198.51.100.7"})
    sign_in(client, "nobody@example.org", "another secret guess")
    sign_in(client)
    client.post("/console/logout", data={"csrf_token": csrf_token(client, "/console/")})
    events = audit_events(app)
    assert [(e.action, e.account_email, e.account_id) for e in events] == [
        ("login_failed", ADMIN_EMAIL, admin), ("login_failed", "nobody@example.org", None),
        ("login", ADMIN_EMAIL, admin), ("logout", ADMIN_EMAIL, admin)]
    assert events[0].detail == "adresse 198.51.100.7"
    assert events[0].at == app.config["CLOCK"]()
    written = repr([(e.detail, e.before, e.after, e.account_email) for e in events])
    assert "secret guess" not in written and ADMIN_PASSWORD not in written


def test_only_admins_see_the_audit_log_newest_first(app, client, admin, coordinator):
    sign_in(client, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)
    assert client.get("/console/audit").status_code == 403
    assert "Journal d'audit" not in text(client.get("/console/"))  # not even offered
    client.post("/console/logout", data={"csrf_token": csrf_token(client, "/console/")})
    sign_in(client)
    page = text(client.get("/console/audit"))
    rows = re.findall(r"— ([^<]+) : (connexion|déconnexion)\.</p>", page)
    assert rows == [(ADMIN_EMAIL, "connexion"), (COORDINATOR_EMAIL, "déconnexion"), (COORDINATOR_EMAIL, "connexion")]
    assert "Page 1 sur 1" in page


def test_the_audit_log_is_paginated(app, client, admin):
    from console.audit import record

    with app.app_context(), database.session() as session:
        for number in range(120):
            record(session, None, "account_created", ("account", str(number)), None, {"n": number})
        session.commit()
    sign_in(client)
    first = text(client.get("/console/audit"))
    assert "Page 1 sur 3" in first and 'rel="next"' in first
    last = text(client.get("/console/audit?page=3"))
    assert "Page 3 sur 3" in last and "compte 0." in last and 'rel="prev"' in last
    assert "Page 3 sur 3" in text(client.get("/console/audit?page=99"))
