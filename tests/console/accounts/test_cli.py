"""`helpline accounts`: the first admin and scoped coordinators made from a terminal."""

from __future__ import annotations

from sqlalchemy import select

from app import cli
from store.extension import database
from store.models import AuditEvent, ConsoleAccount
from tests.support.console import sign_in

PASSWORD = "a long enough password"


def invoke(app, *args, input=None):
    return app.test_cli_runner().invoke(cli, ["accounts", *args], input=input)


def account(app, email: str) -> ConsoleAccount | None:
    with app.app_context(), database.session() as session:
        found = session.scalar(select(ConsoleAccount).where(ConsoleAccount.email == email))
        if found is not None:
            found.scopes  # loaded before the session closes
        return found


def test_create_admin_asks_the_password_twice_and_the_admin_can_sign_in(app, client):
    result = invoke(app, "create-admin", "--email", "Admin@Example.org", "--name", "Alex Admin",
                    input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # hidden input
    created = account(app, "admin@example.org")
    # Hashed, not kept: the scheme (scrypt in production) is test_password_scheme.py's to check.
    assert created.role == "admin" and PASSWORD not in created.password_hash
    assert sign_in(client, "admin@example.org", PASSWORD).status_code == 302
    with app.app_context(), database.session() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "account_created"))
        assert event.account_email == "(ligne de commande)" and event.after["email"] == "admin@example.org"


def test_a_short_or_mistyped_password_is_refused(app):
    result = invoke(app, "create-admin", "--email", "a@example.org", "--name", "A", input="short\nshort\n")
    assert result.exit_code != 0 and "at least 12 characters" in result.output
    result = invoke(app, "create-admin", "--email", "a@example.org", "--name", "A",
                    input=f"{PASSWORD}\n{PASSWORD}x\n")
    assert result.exit_code != 0
    assert account(app, "a@example.org") is None


def test_an_email_is_used_once(app):
    invoke(app, "create-admin", "--email", "a@example.org", "--name", "A", input=f"{PASSWORD}\n{PASSWORD}\n")
    result = invoke(app, "create-admin", "--email", "A@example.org", "--name", "B", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code != 0 and "already uses a@example.org" in result.output


def test_a_coordinator_gets_the_lines_and_centres_named(app):
    result = invoke(app, "add", "--email", "c@example.org", "--name", "Camille", "--role", "coordinator",
                    "--line", "un-premier-pas", "--line", "3977", "--centre", "3977-94",
                    input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    scopes = {(s.kind, s.slug) for s in account(app, "c@example.org").scopes}
    assert scopes == {("line", "un-premier-pas"), ("line", "3977"), ("centre", "3977-94")}
    listing = invoke(app, "list")
    assert "c@example.org" in listing.output and "line:3977" in listing.output and "never" in listing.output


def test_a_misspelt_line_or_a_coordinator_without_scope_is_refused(app):
    result = invoke(app, "add", "--email", "c@example.org", "--name", "C", "--line", "un-premier-pa",
                    input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code != 0 and "no line un-premier-pa" in result.output
    result = invoke(app, "add", "--email", "c@example.org", "--name", "C", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code != 0 and "at least one --line or --centre" in result.output
    assert account(app, "c@example.org") is None


def test_the_list_says_how_to_start_when_empty(app):
    assert "helpline accounts create-admin" in invoke(app, "list").output


def test_the_readme_says_what_adding_an_account_asks_as_the_command_does(app):
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    section = readme.split("## Coordinators' console", 1)[1].split("\n## ", 1)[0]
    assert "Both commands ask for the new account's password at the terminal, hidden and twice" in section
    assert "no `--password` option" in section
    result = invoke(app, "add", "--email", "c@example.org", "--name", "C", "--line", "un-premier-pas",
                    input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0 and result.output.startswith("Password: \nRepeat the password: \n")
    assert "--password" not in invoke(app, "add", "--help").output
