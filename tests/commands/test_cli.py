"""The `helpline` command line as an operator uses it: call simulator, status, database."""

from __future__ import annotations

from sqlalchemy import select

from app import cli
from store.extension import database
from store.models import Call
from tests.support.paths import REPO


def invoke(app, *args):
    return app.test_cli_runner().invoke(cli, list(args))


def test_call_prints_what_the_caller_hears_what_is_dialled_and_why(app):
    result = invoke(app, "call", "ecoute-violences-conjugales", "--at", "2026-07-21T10:00", "--from", "+32470123456",
                    "--outcome", "+3225550107=busy")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Tuesday 2026-07-21 10:00 CEST" in out
    assert "jour férié : Fête nationale" in out
    assert "dials     +3225550107" in out and ": busy" in out
    assert "closed: public holiday Fête nationale" in out  # the recorded reason
    assert "+32470123456" not in out  # the operator's test number is masked too
    assert "ending in 56" in out


def test_call_with_presses_hands_3977_to_the_departement_centre(app):
    result = invoke(app, "call", "3977", "--at", "2026-11-24T10:00", "--press", "94000#")
    assert result.exit_code == 0, result.output
    assert "whisper   Appel transféré par le 3977, département 94" in result.output
    assert "handed_off" in result.output


def test_call_accepts_a_line_number_instead_of_its_id(app):
    result = invoke(app, "call", "+33199009494", "--at", "2026-11-28T10:00")
    assert result.exit_code == 0, result.output
    assert "Nous rouvrons lundi à 9 heures" in result.output


def test_call_names_the_known_lines_when_the_line_is_unknown(app):
    result = invoke(app, "call", "nowhere")
    assert result.exit_code != 0
    assert "ecoute-violences-conjugales" in result.output


def test_call_rejects_a_bad_outcome_clearly(app):
    result = invoke(app, "call", "3977", "--outcome", "+33199000094=maybe")
    assert result.exit_code != 0
    assert "STATUS one of completed, busy" in result.output


def test_simulated_calls_go_through_the_real_recorded_webhooks(app):
    invoke(app, "call", "3977", "--at", "2026-11-24T10:00", "--press", "94000#")
    with app.app_context(), database.session() as session:
        record = session.scalar(select(Call))
        assert record.department == "94"
        assert record.caller_hash is None  # simulated as withheld by default


def test_status_lists_every_line_and_centre_with_why_and_when(app):
    result = invoke(app, "status", "--at", "2026-07-21T10:00")
    assert result.exit_code == 0, result.output
    assert "ecoute-violences-conjugales  closed: public holiday Fête nationale, reopens Wed 2026-07-22 09:00" in result.output
    assert "centre 3977-alsace" in result.output


def test_db_upgrade_reports_the_latest_revision(app):
    from alembic.script import ScriptDirectory

    from store.db import MIGRATIONS, alembic_config

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert MIGRATIONS.is_dir() and head
    result = invoke(app, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert f"database at revision {head}" in result.output


def test_a_simulated_call_never_rings_a_real_listener(app):
    from routing.queueing import ListenerStatus
    from store.listeners import create_listener, set_status
    from store.models import Listener

    with app.app_context(), database.session() as session:
        now = app.config["CLOCK"]()
        listener = create_listener(session, "Camille", "+32470111111", ["ecoute-violences-conjugales"], "1234", now)
        set_status(session, listener, ListenerStatus.AVAILABLE, now, "chosen by test")
        session.commit()
    result = invoke(app, "call", "ecoute-violences-conjugales", "--at", "2026-11-24T10:00")
    assert result.exit_code == 0, result.output
    assert "queue     waits in the queue" in result.output
    with app.app_context(), database.session() as session:
        assert session.scalar(select(Listener)).status == "available"


def test_the_readme_documents_every_setting():
    from pathlib import Path

    from settings import SETTINGS

    readme = (REPO / "README.md").read_text()
    missing = [variable for variable, _, _ in SETTINGS.values() if f"`{variable}`" not in readme]
    assert missing == []


def test_a_command_without_its_secrets_says_which_to_set_without_a_traceback(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    from settings import SETTINGS

    environment = {name: value for name, value in os.environ.items()
                   if name not in {variable for variable, _, _ in SETTINGS.values()}}
    environment.update(HELPLINE_ENV="production", HELPLINE_INSTANCE_PATH=str(tmp_path))
    result = subprocess.run([sys.executable, "-c", "from app import cli; cli(prog_name='helpline')", "db", "upgrade"],
                            cwd=REPO, env=environment, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    assert "Error: set TWILIO_AUTH_TOKEN, HELPLINE_NUMBER_PEPPER, HELPLINE_CALLBACK_KEY" in result.stderr
    assert "HELPLINE_ENV=development" in result.stderr
