"""A centre's referents: only their centre's cases, every read in the audit log, notes encrypted, each step with
who and when."""

from __future__ import annotations

from sqlalchemy import select

from store.extension import database
from store.models import AuditEvent, CaseNote
from tests.conftest import at_paris
from tests.support.cases import (FRANCE_VICTIMES, PASSWORD, PLATFORM, REFERENT_75, REFERENT_94, case_ids,
                                 national_call, platform_coordinator, referent, relay_fields)
from tests.support.console import COORDINATOR_EMAIL, COORDINATOR_PASSWORD, csrf_token, make_account, sign_in, text, words

EVENING = at_paris(2026, 11, 24, 17, 15)


def relayed_case(app, clock) -> int:
    """A call to the 3977 from the Val-de-Marne, relayed by the platform to the 94 centre without a number."""
    call_id, _ = national_call(app, clock, EVENING)
    platform_coordinator(app)
    client = app.test_client()
    sign_in(client, PLATFORM, PASSWORD)
    path = f"/console/cases/relay/{call_id}"
    assert client.post(path, data={**relay_fields(), "csrf_token": csrf_token(client, path)}).status_code == 302
    return case_ids(app)[-1]


def signed_in(app, email, password=PASSWORD):
    client = app.test_client()
    sign_in(client, email, password)
    return client


def post(client, path, **fields):
    return client.post(path, data={**fields, "csrf_token": csrf_token(client, "/console/cases")})


def reads(app, action="case.read") -> list[tuple[str, str]]:
    with app.app_context(), database.session() as session:
        return [(e.account_email, e.detail) for e in
                session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))]


def test_a_referent_lands_on_their_centres_cases_and_opens_nothing_else_of_the_console(live_app, clock):
    case_id = relayed_case(live_app, clock)
    referent(live_app, REFERENT_94, "3977-94")
    client = signed_in(live_app, REFERENT_94)
    home = client.get("/console/")
    assert home.status_code == 302 and home.headers["Location"].endswith("/console/cases")
    page = text(client.get("/console/cases"))
    assert f"Dossier n° {case_id}" in page and "À analyser" in page and "L'appelant rappellera" in page
    for forbidden in ("/console/lines/3977", "/console/calls", "/console/reports/", "/console/roster"):
        assert client.get(forbidden).status_code == 403, forbidden
    assert client.get(f"/console/cases/relay/{case_id}").status_code in (403, 404)


def test_another_centres_referent_sees_neither_the_case_in_the_list_nor_its_page(live_app, clock):
    case_id = relayed_case(live_app, clock)
    referent(live_app, REFERENT_75, "3977-75", phone=None)
    client = signed_in(live_app, REFERENT_75)
    assert f"Dossier n° {case_id}" not in text(client.get("/console/cases"))
    assert "Aucun dossier ici." in text(client.get("/console/cases"))
    assert client.get(f"/console/cases/{case_id}").status_code == 404
    assert post(client, f"/console/cases/{case_id}/notes", note="intrusion").status_code == 404
    assert post(client, f"/console/cases/{case_id}/status", status="closed").status_code == 404
    assert post(client, f"/console/cases/{case_id}/call-back").status_code == 404
    with live_app.app_context(), database.session() as session:
        assert session.scalars(select(CaseNote)).all() == []


def test_another_lines_coordinator_cannot_read_the_case(live_app, clock):
    case_id = relayed_case(live_app, clock)
    make_account(live_app, email=COORDINATOR_EMAIL, password=COORDINATOR_PASSWORD, role="coordinator",
                 lines=("un-premier-pas",), name="Camille")
    client = signed_in(live_app, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)
    assert client.get(f"/console/cases/{case_id}").status_code == 404
    assert f"Dossier n° {case_id}" not in text(client.get("/console/cases"))


def test_every_read_of_a_case_and_of_the_list_is_in_the_audit_log(live_app, clock):
    case_id = relayed_case(live_app, clock)
    referent(live_app, REFERENT_94, "3977-94")
    client = signed_in(live_app, REFERENT_94)
    before = len(reads(live_app))
    client.get(f"/console/cases/{case_id}")
    client.get(f"/console/cases/{case_id}")
    assert reads(live_app)[before:] == [(REFERENT_94, f"dossier {case_id}")] * 2
    client.get("/console/cases")
    assert reads(live_app, "case.list")[-1] == (REFERENT_94, f"1 dossier(s) : {case_id}")


def test_a_referent_adds_a_note_encrypted_at_rest_and_marks_the_case_analysed_then_closed(live_app, clock):
    case_id = relayed_case(live_app, clock)
    referent(live_app, REFERENT_94, "3977-94")
    clock.now = at_paris(2026, 11, 25, 9, 30)
    client = signed_in(live_app, REFERENT_94)
    note = "Rappeler la mairie : le CCAS connaît la famille."
    assert post(client, f"/console/cases/{case_id}/notes", note=note).status_code == 302
    assert post(client, f"/console/cases/{case_id}/notes", note="  ").status_code == 400
    clock.now = at_paris(2026, 11, 25, 9, 45)
    post(client, f"/console/cases/{case_id}/status", status="analysed")
    clock.now = at_paris(2026, 11, 25, 10, 0)
    post(client, f"/console/cases/{case_id}/status", status="closed")
    page = words(client.get(f"/console/cases/{case_id}"))
    assert note in page
    assert f"2026-11-24 17:15 Relayé au centre ({PLATFORM})" in page
    for step in ("2026-11-25 09:30 Note ajoutée", "2026-11-25 09:45 Analysé", "2026-11-25 10:00 Clos"):
        assert f"{step} ({REFERENT_94})" in page
    assert "Clos" in page and "Rouvrir le dossier" in page
    with live_app.app_context(), database.session() as session:
        stored = session.scalar(select(CaseNote))
        assert "CCAS" not in stored.text_encrypted and stored.author == REFERENT_94
    assert f"Dossier n° {case_id}" not in text(client.get("/console/cases"))  # closed: out of the list to analyse
    assert f"Dossier n° {case_id}" in text(client.get("/console/cases?status=closed"))


def test_the_case_reads_in_english_for_an_english_account(live_app, clock):
    case_id = relayed_case(live_app, clock)
    make_account(live_app, email="admin@example.org", password=PASSWORD, role="admin", language="en")
    client = signed_in(live_app, "admin@example.org")
    page = text(client.get(f"/console/cases/{case_id}"))
    assert f"Case no. {case_id}" in page and "The caller will call back (no number kept)" in page
    assert "A relative" in page and "Relayed to the centre" in page


def test_116_006_relays_to_the_local_association_whose_referents_alone_follow_the_case(live_app, clock):
    """08VICTIMES orients to the local association (seed 000): its relay targets are associations, not centres."""
    call_id, _ = national_call(live_app, clock, at_paris(2026, 11, 24, 10, 0), presses=("-",), to=FRANCE_VICTIMES)
    make_account(live_app, email="fv@example.org", password=PASSWORD, role="coordinator", lines=("france-victimes",),
                 name="France Victimes")
    client = signed_in(live_app, "fv@example.org")
    path = f"/console/cases/relay/{call_id}"
    page = text(client.get(path))
    assert 'value="association:avf-94"' in page and 'value="centre:' not in page
    fields = {**relay_fields(target="association:avf-94", category="", department="94"),
              "csrf_token": csrf_token(client, path)}
    assert client.post(path, data=fields).status_code == 302
    case_id = case_ids(live_app)[-1]
    make_account(live_app, email="avf94@example.org", password=PASSWORD, role="referent", name="AVF 94")
    with live_app.app_context(), database.session() as session:
        from store.models import ConsoleAccount, ConsoleAccountScope

        account = session.scalar(select(ConsoleAccount).where(ConsoleAccount.email == "avf94@example.org"))
        account.scopes.append(ConsoleAccountScope(kind="association", slug="avf-94"))
        session.commit()
    association = signed_in(live_app, "avf94@example.org")
    assert "Aide aux victimes du Val-de-Marne" in text(association.get(f"/console/cases/{case_id}"))
    referent(live_app, REFERENT_94, "3977-94", phone=None)
    assert signed_in(live_app, REFERENT_94).get(f"/console/cases/{case_id}").status_code == 404
