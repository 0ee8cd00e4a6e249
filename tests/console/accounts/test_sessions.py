"""Console sessions end for real: sign-out, a new password and "sign out everywhere" revoke copied cookies."""

from __future__ import annotations

import base64
import json
import zlib

from click.testing import CliRunner
from sqlalchemy import select

from app import cli
from store.extension import database
from store.models import AuditEvent
from tests.support.console import ADMIN_PASSWORD, csrf_token, sign_in

NEW_PASSWORD = "a brand new password, long"


def cookie_of(client) -> str:
    return client.get_cookie("session", path="/console").value


def copy_with(app, value: str):
    other = app.test_client()
    other.set_cookie("session", value, path="/console", domain="localhost")
    return other


def session_contents(value: str) -> dict:
    payload = value.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    return json.loads(zlib.decompress(raw) if value.startswith(".") else raw)


def test_a_cookie_copied_before_sign_out_opens_nothing_after_it(app, client, admin):
    sign_in(client)
    stolen = copy_with(app, cookie_of(client))
    assert stolen.get("/console/audit").status_code == 200
    client.post("/console/logout", data={"csrf_token": csrf_token(client, "/console/")})
    response = stolen.get("/console/audit")
    assert response.status_code == 302 and response.headers["Location"].startswith("/console/login")


def test_the_cookie_carries_no_part_of_the_password_hash(app, client, admin):
    from store.models import ConsoleAccount

    sign_in(client)
    contents = session_contents(cookie_of(client))
    with app.app_context(), database.session() as session:
        password_hash = session.get(ConsoleAccount, admin).password_hash
    assert "password_stamp" not in contents
    assert not any(isinstance(v, str) and len(v) >= 8 and v in password_hash for v in contents.values())


def test_sign_out_everywhere_ends_every_browsers_session(app, client, admin):
    sign_in(client)
    laptop = app.test_client()
    sign_in(laptop)
    response = client.post("/console/logout-everywhere", data={"csrf_token": csrf_token(client, "/console/")})
    assert response.headers["Location"] == "/console/login"
    assert laptop.get("/console/").status_code == 302
    assert client.get("/console/").status_code == 302
    with app.app_context(), database.session() as session:
        actions = list(session.scalars(select(AuditEvent.action)))
    assert "logout_everywhere" in actions


def test_the_sign_out_everywhere_button_is_on_every_page(client, admin):
    sign_in(client)
    page = client.get("/console/").get_data(as_text=True)
    assert 'formaction="/console/logout-everywhere"' in page and "Se déconnecter partout" in page


def test_a_new_password_ends_the_sessions_opened_with_the_old_one(app, client, admin):
    sign_in(client)
    runner = CliRunner()
    result = runner.invoke(cli, ["accounts", "password", "admin@example.org"], input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n",
                           obj=_script_info(app))
    assert result.exit_code == 0, result.output
    assert client.get("/console/").status_code == 302
    fresh = app.test_client()
    assert sign_in(fresh, password=NEW_PASSWORD).status_code == 302
    assert sign_in(app.test_client(), password=ADMIN_PASSWORD).status_code == 200  # the old one is refused


def _script_info(app):
    from flask.cli import ScriptInfo

    return ScriptInfo(create_app=lambda: app)


def test_a_password_typed_into_the_email_field_is_not_kept_in_the_audit_log(app, client, admin):
    sign_in(client, email=ADMIN_PASSWORD, password=ADMIN_PASSWORD)
    with app.app_context(), database.session() as session:
        events = list(session.scalars(select(AuditEvent)))
    assert [e.action for e in events] == ["login_failed"]
    written = repr([(e.account_email, e.detail, e.before, e.after) for e in events])
    assert ADMIN_PASSWORD not in written


def test_a_next_page_with_a_line_break_is_ignored_not_a_server_error(client, admin):
    for target in ("/console/%0d%0aSet-Cookie:x=1", "/console/\r\nLocation: https://evil.example", "/console/a%0a"):
        response = client.get(f"/console/login?next={target}")
        assert response.status_code == 200
        response = sign_in(client, query_string={"next": target.replace("%0d", "\r").replace("%0a", "\n")})
        assert response.status_code == 302 and response.headers["Location"] == "/console/"
        client.post("/console/logout", data={"csrf_token": csrf_token(client, "/console/")})
