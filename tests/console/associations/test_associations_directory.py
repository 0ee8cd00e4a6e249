"""The associations directory: its file, load and export, and the console's search, edit and phone access pages."""

from __future__ import annotations

import re
import shutil

import pytest
from sqlalchemy import select

from app import cli
from directory_data.fields import DATA_DIR
from directory_data.loader import DirectoryError, read_directory, write_directory
from store.directory import load_documents
from store.documents import export_documents
from store.extension import database
from store.models import AssociationRow, ConsoleAccount
from tests.conftest import at_paris
from tests.support.console import (
    ADMIN_EMAIL,
    COORDINATOR_EMAIL,
    COORDINATOR_PASSWORD,
    audit_events,
    csrf_token,
    make_account,
    sign_in,
    text,
)

FV = "+33199000116"
CENTRE_COORDINATOR = "centre94@example.org"


def words(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text(response)))


def association(app, slug: str) -> AssociationRow | None:
    with app.app_context(), database.session() as session:
        return session.scalar(select(AssociationRow).where(AssociationRow.slug == slug))


def form(client, path, **fields):
    data = {"name": "Nouvelle écoute (association fictive)", "department": "94", "number": "01 99 00 51 94",
            "hours_mon": "09:00-12:00, 14:00-17:00", "hours_tue": "09:00-12:00", "topics": "aide juridique, escroqueries",
            "closes_on_holidays": "1", "fictitious": "1", "csrf_token": csrf_token(client, path)}
    data.update(fields)
    return client.post(path, data=data)


@pytest.fixture
def centre_coordinator(app):
    return make_account(app, CENTRE_COORDINATOR, COORDINATOR_PASSWORD, "coordinator", centres=["3977-94"],
                        name="Dominique Centre 94")


# --- the file ---------------------------------------------------------------------------------------------


def test_the_file_says_its_associations_are_fictitious():
    head = (DATA_DIR / "associations.yaml").read_text(encoding="utf-8")[:800]
    assert "FICTITIOUS" in head and "invented for the demo" in head


def test_a_mistake_in_the_associations_file_is_named_with_its_key_path(tmp_path):
    root = tmp_path / "directory_data"
    shutil.copytree(DATA_DIR, root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    path = root / "associations.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace('department: "92"', 'department: "20"')
                    .replace('"+33199005013"', '"not a number"'), encoding="utf-8")
    with pytest.raises(DirectoryError) as caught:
        read_directory(root)
    assert caught.value.problems == [
        "directory_data/associations.yaml: associations[2].department: unknown département or province '20' "
        "(quote it: \"94\")",
        "directory_data/associations.yaml: associations[4].number: 'not a number' is not a phone number",
    ]


def test_a_service_number_that_is_also_a_lines_number_is_refused(tmp_path):
    root = tmp_path / "directory_data"
    shutil.copytree(DATA_DIR, root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    (root / "service_numbers.yaml").write_text('coordinators: ["+33199000116"]\n', encoding="utf-8")
    with pytest.raises(DirectoryError) as caught:
        read_directory(root)
    assert caught.value.problems == ["directory_data/service_numbers.yaml: coordinators[0]: +33199000116 already "
                                     "belongs to line france-victimes"]


def test_an_export_writes_the_associations_back_and_reloads_unchanged(app, tmp_path):
    with app.app_context(), database.session() as session:
        files = export_documents(session)
    write_directory(files, tmp_path)
    exported = (tmp_path / "associations.yaml").read_text(encoding="utf-8")
    assert "id: avf-94" in exported and "mon-fri:\n    - 09:00-12:30\n    - 13:30-17:00" in exported
    assert "coordinators:\n- '+33199000700'" in (tmp_path / "service_numbers.yaml").read_text(encoding="utf-8")
    again = read_directory(tmp_path)
    assert again.associations == read_directory().associations
    with app.app_context(), database.session() as session:
        report = load_documents(session, again)
        session.commit()
    assert not report.created and not report.updated
    assert "association avf-94" in report.unchanged


# --- the console: search ----------------------------------------------------------------------------------


def test_a_coordinator_searches_by_name_topic_and_department_and_sees_what_is_fictitious(app, client):
    make_account(app, COORDINATOR_EMAIL, COORDINATOR_PASSWORD, "coordinator", lines=["un-premier-pas"])
    sign_in(client, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)
    page = words(client.get("/console/associations"))
    assert "10 association(s)" in page
    assert "données de démonstration : elles n'existent pas" in page
    assert "Aide aux victimes du Val-de-Marne (association fictive) fictive 94 01 99 00 50 94" in page
    assert "du lundi au vendredi de 9 heures à 12 heures 30 et de 13 heures 30 à 17 heures" in page

    by_topic = words(client.get("/console/associations?q=Cybercriminalité"))
    assert "1 association(s)" in by_topic and "Paris Aide aux Victimes" in by_topic
    by_department = words(client.get("/console/associations?department=974"))
    assert "1 association(s)" in by_department and "La Réunion" in by_department
    both = words(client.get("/console/associations?q=violences+conjugales&department=57"))
    assert "1 association(s)" in both and "Moselle" in both
    assert "Aucune association ne correspond" in words(client.get("/console/associations?q=introuvable"))
    # A line's coordinator looks the directory up but changes nothing in it.
    assert "seuls les coordinateurs du centre du département" in page
    assert client.get("/console/associations/avf-94").status_code == 403
    assert client.get("/console/associations/new").status_code == 403


def test_a_listener_account_has_no_association_pages(app, client):
    make_account(app, "ecoutant@example.org", COORDINATOR_PASSWORD, "listener")
    sign_in(client, "ecoutant@example.org", COORDINATOR_PASSWORD)
    assert client.get("/console/associations").status_code == 403
    assert client.get("/console/phone-access").status_code == 403


# --- the console: create, edit, delete ---------------------------------------------------------------------


def test_a_centre_coordinator_adds_an_association_of_their_department_and_callers_hear_it(
        app, client, call, centre_coordinator):
    sign_in(client, CENTRE_COORDINATOR, COORDINATOR_PASSWORD)
    response = form(client, "/console/associations/new", id="nouvelle-ecoute-94")
    assert response.status_code == 302
    row = association(app, "nouvelle-ecoute-94")
    assert (row.department, row.number, row.hours, row.topics, row.fictitious, row.timezone) == (
        "94", "+33199005194", {"mon": ["09:00-12:00", "14:00-17:00"], "tue": ["09:00-12:00"]},
        ["aide juridique", "escroqueries"], True, "Europe/Paris")
    [event] = [e for e in audit_events(app) if e.action == "association.create"]
    assert (event.account_email, event.target_slug, event.before) == (CENTRE_COORDINATOR, "nouvelle-ecoute-94", None)
    assert event.after["number"] == "+33199005194"

    # The 94 association of the file is deleted; the new one is the nearest, at once for callers.
    page = client.get("/console/associations")
    delete_path = "/console/associations/avf-94/delete"
    assert client.post(delete_path, data={"csrf_token": csrf_token(client, "/console/associations")}).status_code == 302
    assert association(app, "avf-94") is None and page.status_code == 200
    said = call(FV, at=at_paris(2026, 11, 24, 21, 30), presses=["", "94300#"]).said()
    assert "est : Nouvelle écoute (association fictive). Son numéro : 01 99 00 51 94." in said
    assert "Elle vous répond le lundi de 9 heures à midi et de 14 heures à 17 heures ; le mardi de 9 heures à midi." in said
    assert [e.action for e in audit_events(app) if e.action.startswith("association.")] == [
        "association.create", "association.delete"]


def test_a_centre_coordinator_cannot_touch_another_departments_associations(app, client, centre_coordinator):
    sign_in(client, CENTRE_COORDINATOR, COORDINATOR_PASSWORD)
    assert client.get("/console/associations/avf-75").status_code == 403
    assert client.get("/console/associations/nowhere").status_code == 403  # the same answer: nothing revealed
    token = csrf_token(client, "/console/associations")
    assert client.post("/console/associations/avf-75/delete", data={"csrf_token": token}).status_code == 403
    response = form(client, "/console/associations/new", id="ailleurs-75", department="75")
    assert response.status_code == 400
    assert association(app, "ailleurs-75") is None
    page = words(client.get("/console/associations"))
    assert page.count("Modifier") == 1  # only the Val-de-Marne association has its buttons
    moved = form(client, "/console/associations/avf-94", department="75", name="Déménagée")
    assert moved.status_code == 400 and association(app, "avf-94").department == "94"


def test_an_admin_edits_any_association_with_errors_shown_next_to_their_fields(app, client):
    make_account(app)
    sign_in(client)
    bad = form(client, "/console/associations/avf-13", number="12", hours_mon="9h-17h", hours_tue="", name="")
    page = words(bad)
    assert bad.status_code == 400
    assert "Ce numéro de téléphone n'est pas valide." in page
    assert "Indiquez des horaires comme 09:00-12:30, 13:30-17:00, au moins un jour." in page
    assert "Indiquez le nom de l'association" in page
    assert association(app, "avf-13").number == "+33199005013"

    good = form(client, "/console/associations/avf-13", name="Marseille Victimes (association fictive)",
                department="13", number="+33199005113", hours_mon="", hours_tue="", hours_sat="10:00-12:00")
    assert good.status_code == 302
    row = association(app, "avf-13")
    assert (row.name, row.number, row.hours) == ("Marseille Victimes (association fictive)", "+33199005113",
                                                {"sat": ["10:00-12:00"]})
    [event] = [e for e in audit_events(app) if e.action == "association.update"]
    assert event.before["number"] == "+33199005013" and event.after["number"] == "+33199005113"
    assert event.account_email == ADMIN_EMAIL
    assert client.get("/console/associations/nowhere").status_code == 404


def test_a_taken_identifier_is_refused(app, client):
    make_account(app)
    sign_in(client)
    response = form(client, "/console/associations/new", id="avf-94")
    assert response.status_code == 400 and "déjà utilisé" in words(response)


# --- the console and the command line: phone access ---------------------------------------------------------


def test_a_coordinator_registers_their_number_and_pin_and_can_then_use_the_service_number(app, client, call):
    make_account(app, COORDINATOR_EMAIL, COORDINATOR_PASSWORD, "coordinator", lines=["un-premier-pas"])
    sign_in(client, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)
    page = words(client.get("/console/phone-access"))
    assert "Numéro de service des coordinateurs : +33199000700" in page
    assert f"L'accès par téléphone n'est pas activé pour {COORDINATOR_EMAIL}." in page

    token = csrf_token(client, "/console/phone-access")
    refused = client.post("/console/phone-access", data={"number": "06 12", "pin": "12", "pin_confirm": "12",
                                                         "csrf_token": token})
    assert refused.status_code == 400
    assert "Ce numéro de téléphone n'est pas valide." in words(refused) and "de 6 à 8 chiffres" in words(refused)
    saved = client.post("/console/phone-access", data={"number": "06 12 34 56 78", "pin": "902817",
                                                       "pin_confirm": "902817", "csrf_token": token})
    assert saved.status_code == 302
    assert f"L'accès par téléphone est activé pour {COORDINATOR_EMAIL}." in words(client.get("/console/phone-access"))
    [event] = [e for e in audit_events(app) if e.action == "account.phone_access"]
    assert (event.before, event.after) == ({"phone_access": "désactivé"}, {"phone_access": "activé"})
    assert "12 34 56 78" not in str(event.detail) and "902817" not in str(event.after)

    said = call("+33199000700", caller="+33612345678", presses=["902817#"]).said()
    assert "1 : Un premier pas, Val-de-Marne, ouverte" in said


def test_a_coordinator_cannot_set_another_accounts_phone_access_but_an_admin_can(app, client):
    other = make_account(app, "autre@example.org", COORDINATOR_PASSWORD, "coordinator", lines=["3977"])
    make_account(app, COORDINATOR_EMAIL, COORDINATOR_PASSWORD, "coordinator", lines=["un-premier-pas"])
    sign_in(client, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)
    assert client.get(f"/console/phone-access?account_id={other}").status_code == 403
    client.post("/console/logout", data={"csrf_token": csrf_token(client, "/console/")})

    make_account(app)
    sign_in(client)
    page = words(client.get(f"/console/phone-access?account_id={other}"))
    assert "L'accès par téléphone n'est pas activé pour autre@example.org." in page
    token = csrf_token(client, f"/console/phone-access?account_id={other}")
    client.post("/console/phone-access", data={"account_id": str(other), "number": "+33 6 99 88 77 66",
                                               "pin": "444719", "pin_confirm": "444719", "csrf_token": token})
    assert "1 : 3977, ouverte" in call_service(app, "+33699887766", "444719")
    # The same number cannot belong to two accounts: caller ID must say who calls.
    mine = csrf_token(client, "/console/phone-access")
    taken = client.post("/console/phone-access", data={"number": "+33699887766", "pin": "555821",
                                                       "pin_confirm": "555821", "csrf_token": mine})
    assert taken.status_code == 400 and "déjà enregistré pour un autre compte" in words(taken)


def call_service(app, caller: str, pin: str) -> str:
    from ivr.simulator import CallSimulator

    with app.app_context():
        return CallSimulator(app, to="+33199000700", caller=caller, presses=[pin + "#"]).run().said()


def test_the_command_line_sets_and_removes_phone_access(app):
    make_account(app, COORDINATOR_EMAIL, COORDINATOR_PASSWORD, "coordinator", lines=["un-premier-pas"])
    runner = app.test_cli_runner()
    result = runner.invoke(cli, ["accounts", "phone", "--email", COORDINATOR_EMAIL, "--number", "06 11 22 33 44"],
                           input="753186\n753186\n")
    assert result.exit_code == 0, result.output
    assert "753186" not in result.output
    assert "Un premier pas" in call_service(app, "+33611223344", "753186")
    result = runner.invoke(cli, ["accounts", "phone", "--email", COORDINATOR_EMAIL, "--remove"])
    assert result.exit_code == 0, result.output
    with app.app_context(), database.session() as session:
        account = session.scalar(select(ConsoleAccount).where(ConsoleAccount.email == COORDINATOR_EMAIL))
        assert account.phone_hash is None and account.phone_pin_hash == ""
    assert "Un premier pas" not in call_service(app, "+33611223344", "753186")
    bad = runner.invoke(cli, ["accounts", "phone", "--email", COORDINATOR_EMAIL, "--number", "06 11 22 33 44"],
                        input="12\n12\n")
    assert bad.exit_code != 0 and "6 to 8 digits" in bad.output


def test_each_edit_of_an_association_is_a_version_shown_in_its_history(app, client):
    make_account(app)
    sign_in(client)
    assert "Version 1" not in words(client.get("/console/associations/avf-13/history"))  # no edit yet
    assert form(client, "/console/associations/avf-13", name="Marseille Victimes (association fictive)",
                department="13", number="+33199005113", hours_mon="", hours_tue="", hours_sat="10:00-12:00"
                ).status_code == 302
    assert form(client, "/console/associations/avf-13", name="Marseille Victimes (association fictive)",
                department="13", number="+33199005213", hours_mon="", hours_tue="", hours_sat="10:00-12:00"
                ).status_code == 302
    page = words(client.get("/console/associations/avf-13/history"))
    assert "Version 1" in page and "Version 2" in page and "Version 3" in page  # as it was, then two edits
    assert "− number: '+33199005113'" in page and "+ number: '+33199005213'" in page
    assert ADMIN_EMAIL in page and "Retour à l'association" in page and "Chaque version de cette association" in page
    assert "Restaurer cette version" not in page  # read only for associations
    assert 'href="/console/associations/avf-13/history"' in text(client.get("/console/associations/avf-13"))
