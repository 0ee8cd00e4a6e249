"""One source of truth: once a line is edited, loads and demo restarts never lose the edit; every change is a
version with author, time and reason; the console shows each line's history and restores an older version."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from sqlalchemy import select

from app import cli
from directory_data.fields import DATA_DIR
from directory_data.loader import line_file_text, read_directory
from commands.database import migrate_and_load
from store.directory_edits import line_file
from store.extension import database
from store.models import AuditEvent, DirectoryChange
from store.revisions import history
from tests.support.console import COORDINATOR_EMAIL, COORDINATOR_PASSWORD, UPP_HOURS, audit_events, csrf_token, hours_fields, make_account, sign_in, text, words

UPP = "un-premier-pas"
HISTORY = "/console/lines/un-premier-pas/history"
# The shipped line as an export writes it (the shipped file has comments besides).
SHIPPED_UPP = line_file_text(next(doc for doc in read_directory().lines if doc["id"] == UPP))


def edit_hours_in_console(client, **fields):
    response = client.post(UPP_HOURS, data=hours_fields(client, **fields))
    assert response.status_code == 302, words(response)


def file_text(app, slug=UPP) -> str:
    with app.app_context(), database.session() as session:
        return line_file(session, slug)[1]


def versions(app, slug=UPP) -> list[DirectoryChange]:
    with app.app_context(), database.session() as session:
        return history(session, "line", slug)


def run_cli(app, *args):
    return app.test_cli_runner().invoke(cli, args=list(args))


def copy_directory(tmp_path: Path) -> Path:
    root = tmp_path / "directory_data"
    shutil.copytree(DATA_DIR, root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return root


def test_a_load_refuses_to_overwrite_a_console_edit_and_shows_the_difference_per_line(app, client):
    make_account(app)
    sign_in(client)
    edit_hours_in_console(client, **{"shift-mon-0-end": "12:00"})
    edited = file_text(app)
    assert "mon:\n  - 09:00-12:00" in edited

    result = run_cli(app, "directory", "load")
    assert result.exit_code == 1
    assert "line un-premier-pas: differs — edited by admin@example.org on 2026-11-24 09:00 UTC (console)" in result.output
    assert "    -  - 09:00-12:00" in result.output and "    +  mon-fri:" in result.output
    assert "Nothing was loaded: 1 line(s) or centre(s) edited since the last load would be overwritten" in result.output
    assert "france-victimes" not in result.output  # lines the files agree with are not listed
    assert file_text(app) == edited


def test_force_replaces_the_edit_and_the_audit_log_keeps_what_it_replaced(app, client):
    make_account(app)
    sign_in(client)
    edit_hours_in_console(client, **{"shift-mon-0-end": "12:00"})
    edited = file_text(app)

    result = run_cli(app, "directory", "load", "--force", "--reason", "new season's hours")
    assert result.exit_code == 0, result.output
    assert "replaced: line un-premier-pas, edited by admin@example.org" in result.output
    assert "updated: line un-premier-pas" in result.output
    assert file_text(app) == SHIPPED_UPP
    forced = [e for e in audit_events(app) if e.action == "directory.load_forced"]
    assert len(forced) == 1 and forced[0].target_slug == UPP
    assert forced[0].before == {"document": edited} and forced[0].after == {"document": SHIPPED_UPP}
    assert "remplace les modifications de admin@example.org" in forced[0].detail
    newest = versions(app)[0]
    assert (newest.source, newest.reason, newest.document) == ("load", "new season's hours", SHIPPED_UPP)
    # Once the files hold what the database holds, a plain load has nothing to refuse.
    assert run_cli(app, "directory", "load").exit_code == 0


def test_restarting_the_demo_keeps_console_edits_and_still_loads_the_files_other_changes(app, client, tmp_path,
                                                                                       monkeypatch):
    make_account(app)
    sign_in(client)
    edit_hours_in_console(client, **{"shift-mon-0-end": "12:00"})
    edited = file_text(app)
    with app.app_context():
        report = migrate_and_load()  # what `helpline demo` runs at each start
    assert [(d.kind, d.slug) for d in report.kept] == [("line", UPP)]
    assert file_text(app) == edited

    root = copy_directory(tmp_path)
    france = root / "lines" / "france-victimes.yaml"
    france.write_text(france.read_text(encoding="utf-8").replace("name: France Victimes", "name: France Victimes 116 006"),
                      encoding="utf-8")
    result = run_cli(app, "directory", "load", "--from", str(root), "--keep-edits")
    assert result.exit_code == 0, result.output
    assert "kept: line un-premier-pas, edited by admin@example.org" in result.output
    assert "updated: line france-victimes" in result.output
    assert file_text(app) == edited
    assert "name: France Victimes 116 006" in file_text(app, "france-victimes")


def test_every_change_is_a_version_with_its_author_time_and_reason(app, client, clock):
    first = versions(app)
    assert [(v.source, v.author, v.document) for v in first] == [("load", "(ligne de commande)", SHIPPED_UPP)]
    make_account(app, COORDINATOR_EMAIL, COORDINATOR_PASSWORD, "coordinator", lines=[UPP])
    sign_in(client, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)
    edit_hours_in_console(client, **{"shift-mon-0-end": "12:00"})
    newest = versions(app)[0]
    assert (newest.source, newest.author, newest.reason, newest.at) == (
        "console", COORDINATOR_EMAIL, "hours", clock.now)
    assert newest.document == file_text(app)
    # A save that changes nothing is no new version.
    edit_hours_in_console(client)
    assert len(versions(app)) == 2


def test_the_history_page_shows_readable_changes_and_restoring_makes_a_new_version(app, client):
    make_account(app, COORDINATOR_EMAIL, COORDINATOR_PASSWORD, "coordinator", lines=[UPP])
    sign_in(client, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)
    assert "Historique des modifications" in text(client.get(f"/console/lines/{UPP}"))
    edit_hours_in_console(client, **{"shift-mon-0-end": "12:00"})

    page = words(client.get(HISTORY))
    assert "Historique : Un premier pas" in page
    assert f"Version 2 — version actuelle Le 24/11/2026 10:00, par {COORDINATOR_EMAIL} (console)." in page
    assert "Motif : horaires" in page
    assert "− mon-fri:" in page and "+ mon:" in page and "+ - 09:00-12:00" in page
    # The fixture loaded the files at the real time of the run.
    assert re.search(r"Version 1 Le \d\d/\d\d/\d{4} \d\d:\d\d, par \(ligne de commande\) \(chargement des fichiers\)\.",
                     page)
    html = text(client.get(HISTORY))
    assert html.count('aria-label="Restaurer la version') == 1  # the current version is not offered

    version_one = versions(app)[-1].id
    response = client.post(f"{HISTORY}/{version_one}/restore", data={"csrf_token": csrf_token(client, HISTORY)})
    assert response.status_code == 302 and response.headers["Location"] == HISTORY
    page = words(client.get(HISTORY))
    assert "La version choisie est restaurée" in page
    assert "Version 3 — version actuelle" in page and "Motif : restauration de la version 1" in page
    # Restored, the line's export is again byte for byte the shipped file.
    assert file_text(app) == SHIPPED_UPP
    newest = versions(app)[0]
    assert (newest.source, newest.author, newest.document) == ("restore", COORDINATOR_EMAIL, SHIPPED_UPP)
    restore = audit_events(app)[-1]
    assert (restore.action, restore.target_slug, restore.account_email) == ("directory.restore", UPP,
                                                                            COORDINATOR_EMAIL)
    assert restore.after == {"hours": {"mon-fri": ["09:00-17:00"]}}


def test_the_history_page_speaks_english_to_an_english_account(app, client):
    make_account(app, language="en")
    sign_in(client)
    edit_hours_in_console(client, **{"shift-mon-0-end": "12:00"})
    page = words(client.get(HISTORY))
    assert "History: Un premier pas" in page and "Reason: hours" in page
    assert "Restore this version" in page


def test_the_history_follows_the_line_s_scope(app, client):
    make_account(app, COORDINATOR_EMAIL, COORDINATOR_PASSWORD, "coordinator", lines=["france-victimes"])
    sign_in(client, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)
    assert client.get(HISTORY).status_code == 403
    assert client.get("/console/lines/no-such-line/history").status_code == 403  # 403 before 404
    with app.app_context(), database.session() as session:
        version = session.scalar(select(DirectoryChange.id).where(DirectoryChange.target_slug == UPP))
    token = csrf_token(client, "/console/lines/france-victimes/history")
    assert client.post(f"{HISTORY}/{version}/restore", data={"csrf_token": token}).status_code == 403
    # Another line's version cannot be restored through this line's address.
    assert client.post(f"/console/lines/france-victimes/history/{version}/restore",
                       data={"csrf_token": token}).status_code == 404
    with app.app_context(), database.session() as session:
        assert session.scalar(select(AuditEvent).where(AuditEvent.action == "directory.restore")) is None


def test_a_database_from_before_the_history_keeps_its_state_as_the_first_version(empty_app, shipped_directory):
    from store.directory import load_documents
    from store.revisions import Change

    with empty_app.app_context(), database.session() as session:
        load_documents(session, shipped_directory)
        session.execute(DirectoryChange.__table__.delete())  # as an upgraded database has it: no history yet
        session.commit()
    root_text = SHIPPED_UPP.replace("mon-fri:\n  - 09:00-17:00", "mon-fri:\n  - 09:00-16:00")
    import yaml

    from store.directory_edits import save_edit, start_edit

    with empty_app.app_context(), database.session() as session:
        edit = start_edit(session, "line", UPP)
        result = save_edit(session, edit, yaml.safe_load(root_text), ("hours",), empty_app.config["CLOCK"](),
                           Change("someone@example.org", "cli", "test"))
        assert not result.problems
        session.commit()
    found = versions(empty_app)
    assert [(v.source, v.author) for v in found] == [("cli", "someone@example.org"),
                                                      ("baseline", "(avant l'historique)")]
    assert found[1].document == SHIPPED_UPP and found[0].document == root_text
    assert re.search(r"09:00-16:00", file_text(empty_app))
