"""The console's defences on every route of the URL map: headers and CSP, CSRF on every form, line scope.

The routes are read from the app's URL map, so pages other areas add are checked without editing this file.
A route is a line's when its path names one (``/lines/<…>``) and a centre's when it names a centre
(``/centres/<…>``), whatever its argument is called; other arguments (an association, a listener, a call)
get a sample value and only the generic checks.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from tests.support.console import (
    COORDINATOR_EMAIL,
    COORDINATOR_PASSWORD,
    audit_events,
    csrf_token,
    make_account,
    sign_in,
)


LINE_SEGMENT = re.compile(r"/lines/<(?:[^:>]+:)?([^>]+)>")
CENTRE_SEGMENT = re.compile(r"/centres/<(?:[^:>]+:)?([^>]+)>")
IN_SCOPE_LINE, OTHER_LINE = "un-premier-pas", "france-victimes"
OTHER_CENTRE = "94"
SAMPLES = {"filename": "console.css", "name": "heatmap"}  # a report table and chart every line has
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def console_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/console") and rule.endpoint not in ("accounts.login", "console.static"):
            yield rule


def line_argument(rule) -> str | None:
    found = LINE_SEGMENT.search(rule.rule)
    return found.group(1) if found else None


def centre_argument(rule) -> str | None:
    found = CENTRE_SEGMENT.search(rule.rule)
    return found.group(1) if found else None


def build(rule, line: str = IN_SCOPE_LINE, centre: str = OTHER_CENTRE) -> str:
    values = {}
    for name in rule.arguments:
        if name == line_argument(rule):
            values[name] = line
        elif name == centre_argument(rule):
            values[name] = centre
        else:
            values[name] = SAMPLES.get(name, "1")
    return rule.build(values)[1]


class Forms(HTMLParser):
    """Every <form> with its method and whether it carries a csrf_token field; inline scripts and styles."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self.inline: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.forms.append({"method": (attributes.get("method") or "get").lower(),
                               "action": attributes.get("action"), "csrf": False})
        elif tag == "input" and attributes.get("name") == "csrf_token" and self.forms:
            self.forms[-1]["csrf"] = bool(attributes.get("value"))
        if tag == "script" and not attributes.get("src"):
            self.inline.append("<script> without src")
        if tag == "style":
            self.inline.append("<style>")
        if "style" in attributes:
            self.inline.append(f"style= on <{tag}>")
        if any(name.startswith("on") for name in attributes):
            self.inline.append(f"event handler attribute on <{tag}>")


@pytest.fixture
def admin_client(app, client):
    make_account(app)
    sign_in(client)
    return client


def test_every_console_page_sends_the_security_headers_and_has_no_inline_script_or_style(app, admin_client):
    pages = 0
    for rule in console_rules(app):
        if "GET" not in rule.methods:
            continue
        response = admin_client.get(build(rule))
        assert response.status_code < 500, (rule.rule, response.status_code)
        headers = response.headers
        policy = headers["Content-Security-Policy"]
        # Pages allow only their own files; a chart (SVG) allows nothing but its own inline styles.
        assert "default-src 'self'" in policy or (response.mimetype == "image/svg+xml" and
                                                  "default-src 'none'" in policy), rule.rule
        assert "script-src" not in policy and "unsafe-eval" not in policy, rule.rule
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], rule.rule
        assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff", rule.rule
        assert headers["Cache-Control"] == "no-store", rule.rule
        if response.status_code == 200 and response.mimetype == "text/html":
            parser = Forms()
            parser.feed(response.get_data(as_text=True))
            assert parser.inline == [], (rule.rule, parser.inline)
            pages += 1
    assert pages >= 3  # dashboard, a line's page, the audit log at least


def test_every_post_form_on_every_console_page_carries_a_csrf_token(app, admin_client):
    forms = 0
    for rule in console_rules(app):
        if "GET" not in rule.methods:
            continue
        response = admin_client.get(build(rule))
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        parser = Forms()
        parser.feed(response.get_data(as_text=True))
        for form in parser.forms:
            if form["method"] == "post":
                assert form["csrf"], (rule.rule, form["action"])
                forms += 1
    assert forms >= 2  # sign-out and the line page's override form at least


def test_every_console_post_without_a_valid_csrf_token_is_refused_and_changes_nothing(app, client):
    make_account(app)
    sign_in(client)
    other = app.test_client()
    sign_in(other)  # a token from another session is not this session's token
    stolen = csrf_token(other, "/console/")
    checked = 0
    for rule in console_rules(app):
        for method in sorted(rule.methods & UNSAFE):
            path = build(rule)
            for data in ({}, {"csrf_token": "forged"}, {"csrf_token": stolen}):
                response = client.open(path, method=method, data={**data, "reason": "x", "mode": "closed"})
                assert response.status_code == 400, (rule.rule, method, data, response.status_code)
            checked += 1
    assert checked >= 3  # logout and the two override forms at least
    assert [event.action for event in audit_events(app) if event.action != "login"] == []
    assert client.get("/console/").status_code == 200  # still signed in: the refusals did not log us out


def test_a_coordinator_is_refused_every_route_of_a_line_outside_their_scope(app, client):
    make_account(app, COORDINATOR_EMAIL, COORDINATOR_PASSWORD, "coordinator", lines=[IN_SCOPE_LINE],
                 name="Camille Coordination")
    sign_in(client, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)
    token = csrf_token(client, "/console/")
    line_routes = [rule for rule in console_rules(app) if line_argument(rule)]
    assert len(line_routes) >= 10, "the console's line pages are no longer under /lines/<…>: update this test"
    for rule in line_routes:
        for line in (OTHER_LINE, "no-such-line"):  # the same answer whether the line exists or not
            path = build(rule, line=line)
            if "GET" in rule.methods:
                assert client.get(path).status_code == 403, (rule.rule, line)
            for method in sorted(rule.methods & UNSAFE):
                response = client.open(path, method=method, data={"csrf_token": token, "reason": "x",
                                                                  "mode": "closed"})
                assert response.status_code == 403, (rule.rule, method, line, response.status_code)
        if "GET" in rule.methods:  # and the same page of their own line opens: the refusal is about scope
            assert client.get(build(rule, line=IN_SCOPE_LINE)).status_code == 200, rule.rule
    assert [event.action for event in audit_events(app) if event.action != "login"] == []


def test_a_coordinator_is_refused_every_route_of_a_centre_outside_their_scope(app, client):
    make_account(app, COORDINATOR_EMAIL, COORDINATOR_PASSWORD, "coordinator", lines=[IN_SCOPE_LINE],
                 name="Camille Coordination")
    sign_in(client, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)
    token = csrf_token(client, "/console/")
    for rule in console_rules(app):
        if not centre_argument(rule) or line_argument(rule):
            continue
        path = build(rule, centre=OTHER_CENTRE)
        if "GET" in rule.methods:
            assert client.get(path).status_code in (403, 404), rule.rule
        for method in sorted(rule.methods & UNSAFE):
            response = client.open(path, method=method, data={"csrf_token": token})
            assert response.status_code in (403, 404), (rule.rule, method, response.status_code)
    assert [event.action for event in audit_events(app) if event.action != "login"] == []


def test_admin_only_pages_are_refused_to_a_coordinator(app, client):
    make_account(app, COORDINATOR_EMAIL, COORDINATOR_PASSWORD, "coordinator", lines=[IN_SCOPE_LINE],
                 name="Camille Coordination")
    sign_in(client, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)
    assert client.get("/console/audit").status_code == 403
