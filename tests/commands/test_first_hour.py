"""A newcomer's first hour: the README's commands on the embedded default, clear one-line refusals, a quick --help."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import COMMANDS, cli
from store.db import head_revision
from store.extension import database
from store.models import Listener
from tests.conftest import TEST_DATABASE_URL, _postgres_admin_url
from tests.support.paths import REPO



def invoke(app, *args, **kwargs):
    return app.test_cli_runner().invoke(cli, list(args), **kwargs)


def helpline(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    """The `helpline` command as a newcomer runs it: nothing set in the environment, a fresh instance folder."""
    environment = {name: value for name, value in os.environ.items()
                   if not name.startswith(("HELPLINE_", "TWILIO_"))}
    environment["HELPLINE_INSTANCE_PATH"] = str(tmp_path / "instance")
    return subprocess.run([sys.executable, "-c", "from app import cli; cli(prog_name='helpline')", *args],
                          cwd=REPO, env=environment, input=stdin, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("args, refusal", [
    (("--outcome", "107=busy"), "Invalid value for --outcome: '107' is not a phone number"),
    (("--outcome", "+3225550107=engaged"), "write NUMBER=STATUS with STATUS one of completed, busy"),
    (("--press", "abc"), "Invalid value for --press: 'abc': a phone has only the keys 0-9, * and #"),
    (("--from", "notanumber"), "Invalid value for --from: 'notanumber' is not a phone number"),
    (("--at", "tomorrow"), "Invalid value for --at: 'tomorrow': write a date and time like 2026-07-21T19:00"),
])
def test_call_refuses_bad_input_in_one_line_before_placing_the_call(app, args, refusal):
    result = invoke(app, "call", "ecoute-violences-conjugales", *args)
    assert result.exit_code == 2
    assert refusal in result.output
    assert "Traceback" not in result.output and "says" not in result.output


def test_call_takes_a_national_caller_number_and_says_when_an_outcome_number_is_never_dialled(app):
    result = invoke(app, "call", "ecoute-violences-conjugales", "--at", "2026-11-24T10:00", "--from", "0470 12 34 56",
                    "--outcome", "+3225550999=busy")
    assert result.exit_code == 0, result.output
    assert "from a number ending in 56" in result.output
    assert "Note: --outcome +3225550999 was never dialled in this call." in result.output


def test_call_and_status_read_a_time_without_offset_by_one_rule_and_say_which_zone(app):
    call = invoke(app, "call", "3977", "--at", "2026-11-24T10:00", "--press", "97400#")
    assert call.exit_code == 0, call.output
    assert "Tuesday 2026-11-24 10:00 CET (Europe/Paris; --at read in Europe/Paris)" in call.output
    status = invoke(app, "status", "--at", "2026-11-24T10:00")
    assert status.exit_code == 0, status.output
    assert status.output.startswith("At Tuesday 2026-11-24 10:00 Europe/Paris (--at read in Europe/Paris):")
    # La Réunion is shown at that same instant, 13:00 on its own clock (it read 10:00 Réunion time before).
    assert "centre 3977-974" in status.output and "(local time 13:00 Indian/Reunion)" in status.output
    reunion = invoke(app, "status", "--at", "2026-11-24T10:00", "--tz", "Indian/Reunion")
    assert "At Tuesday 2026-11-24 10:00 Indian/Reunion (--at read in Indian/Reunion):" in reunion.output
    assert "(local time 07:00 Europe/Paris)" in reunion.output.splitlines()[1]  # 3977
    assert invoke(app, "status", "--tz", "Mars/Olympus").output.endswith(
        "Invalid value for --tz: 'Mars/Olympus' is not a time zone such as Europe/Paris\n")


def test_accounts_add_checks_the_line_before_asking_a_password(app):
    result = invoke(app, "accounts", "add", "--email", "c@example.org", "--name", "C", "--line", "un-premier-pa")
    assert result.exit_code == 1
    assert "Password" not in result.output
    assert "no line un-premier-pa; known: 3977, ecoute-violences-conjugales" in result.output


def test_a_listener_pin_can_come_from_the_environment_instead_of_the_command_line(app):
    result = invoke(app, "listeners", "add", "--name", "Camille", "--phone", "+32470111111",
                    "--pool", "ecoute-violences-conjugales", env={"HELPLINE_LISTENER_PIN": "4821"})
    assert result.exit_code == 0, result.output
    assert "PIN" not in result.output  # not asked
    from store.listeners import pin_matches

    with app.app_context(), database.session() as session:
        listener = session.query(Listener).filter_by(name="Camille").one()
        assert pin_matches(listener, "4821")


def test_help_lists_each_command_with_its_own_first_help_line(app):
    for name, (_, _, words) in COMMANDS.items():
        command = cli.get_command(None, name)
        assert " ".join(command.help.split("\n\n")[0].split()) == words, name


def test_the_readme_commands_work_on_a_fresh_embedded_instance_without_any_setting(tmp_path):
    first = helpline(tmp_path, "call", "ecoute-violences-conjugales", "--at", "2026-07-21T10:00")
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stderr
    assert "Database created" in first.stderr and "First use" in first.stderr
    assert "Nous sommes actuellement fermés" in first.stdout  # the national holiday
    password = "correct horse battery staple"
    admin = helpline(tmp_path, "accounts", "create-admin", "--email", "alex@example.org", "--name", "Alex",
                     stdin=f"{password}\n{password}\n")
    assert admin.returncode == 0, admin.stderr
    assert "Created admin account #1 for alex@example.org" in admin.stdout
    for args in (("listeners", "list"), ("sweep",), ("queue", "stats", "--line", "ecoute-violences-conjugales")):
        result = helpline(tmp_path, *args)
        assert result.returncode == 0, (args, result.stderr)
        assert "Traceback" not in result.stderr



@pytest.mark.skipif(TEST_DATABASE_URL == "sqlite", reason="SQLite is created on first use; a server database is not")
def test_a_command_on_a_server_database_without_tables_says_in_one_line_what_to_run(tmp_path):
    name = f"helpline_empty_{uuid.uuid4().hex[:10]}"
    admin = create_engine(_postgres_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)
        environment = {name: value for name, value in os.environ.items() if not name.startswith(("HELPLINE_", "TWILIO_"))}
        environment.update(HELPLINE_INSTANCE_PATH=str(tmp_path), HELPLINE_DATABASE_URL=url, HELPLINE_ENV="development")
        result = subprocess.run([sys.executable, "-c", "from app import cli; cli(prog_name='helpline')", "listeners",
                                 "list"], cwd=REPO, env=environment, capture_output=True, text=True, timeout=120)
        assert result.returncode == 1
        assert "Traceback" not in result.stderr
        assert result.stderr.strip().splitlines()[-1] == (
            f"Error: the database schema is at nothing yet, this version needs {head_revision()}: "
            "run `helpline db upgrade` first")
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
