"""Call categories: each line's list (file and console), classifying in the console, the call log and the report."""

from __future__ import annotations

import csv
import io
import uuid

import pytest
from sqlalchemy import select

from directory_data.fields import Problems
from directory_data.categories import check_categories, check_throttle
from directory_data.loader import read_directory
from store.categories import classify
from store.extension import database, directory
from store.models import AuditEvent, Call, CallCategory, LineRow
from tests.conftest import PEPPER, SignedTwilio, at_paris
from tests.support.console import (
    COORDINATOR_EMAIL,
    COORDINATOR_PASSWORD,
    csrf_token,
    make_account,
    sign_in,
    text,
)

FRANCE_VICTIMES = "+33199000116"
UN_PREMIER_PAS = "+33199009494"
CALLER = "+33612345678"


# --- the lists in the line files ------------------------------------------------------------------------------


def test_the_seed_lines_ship_their_categories_with_intrafamily_violence_and_cybercrime_first_at_116006():
    lines = {doc["id"]: doc for doc in read_directory().lines}
    assert all(1 <= len(doc["categories"]) <= 9 for doc in lines.values())
    assert [c["fr"] for c in lines["france-victimes"]["categories"][:2]] == ["Violences intrafamiliales",
                                                                            "Cybercriminalité"]
    assert lines["france-victimes"]["categories"][1]["en"] == "Cybercrime"
    assert all(doc["throttle"]["calls"] >= 6 for doc in lines.values())


def test_more_than_nine_categories_are_refused_because_the_keypad_has_nine_keys():
    problems = Problems("lines/x.yaml")
    check_categories([{"id": f"c{i}", "fr": f"Catégorie {i}"} for i in range(10)], problems)
    assert problems.found == ["lines/x.yaml: categories: at most 9 categories: each one is a key (1 to 9) on the "
                              "listener's phone after a call; 10 are listed"]


def test_a_category_needs_an_id_and_a_french_name_and_ids_are_unique():
    problems = Problems("f")
    check_categories([{"id": "Cyber Crime", "fr": "x"}, {"id": "a", "en": "A"}, {"id": "b", "fr": "B"},
                      {"id": "b", "fr": "B again"}, {"id": "c", "fr": "C", "colour": "red"}], problems)
    assert problems.found == [
        "f: categories[0].id: required: lower-case letters, digits and dashes",
        "f: categories[1].fr: required: the category's name",
        "f: categories[3].id: 'b' is listed twice",
        "f: categories[4].colour: unknown key: a category has id, fr and en",
    ]


def test_the_throttle_is_a_number_of_calls_within_minutes():
    problems = Problems("f")
    assert check_throttle({"calls": 5, "minutes": 10}, problems) == {"calls": 5, "minutes": 10}
    check_throttle({"calls": 0, "minutes": 10}, problems)
    check_throttle({"calls": 5}, problems)
    assert problems.found == ["f: throttle.calls: must be a whole number from 1 to 50",
                              "f: throttle: must be {calls: N, minutes: M}: a caller's N+1th call within M minutes "
                              "hears a message"]


# --- the console ---------------------------------------------------------------------------------------------


@pytest.fixture
def coordinator(app):
    make_account(app, COORDINATOR_EMAIL, COORDINATOR_PASSWORD, "coordinator", lines=["un-premier-pas"],
                 name="Camille Coordination")
    client = app.test_client()
    sign_in(client, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)
    return client


def place_call(app, to=UN_PREMIER_PAS, caller=CALLER, outcome="answered", duration=300) -> int:
    """A call record as the webhooks leave it (signed incoming call), then its end."""
    twilio = SignedTwilio(app.test_client())
    sid = "CA" + uuid.uuid4().hex
    twilio.post("/voice/incoming", {"CallSid": sid, "From": caller, "To": to, "CallStatus": "ringing"})
    with app.app_context(), database.session() as session:
        call = session.scalar(select(Call).where(Call.sid == sid))
        call.outcome, call.duration = outcome, duration
        session.commit()
        return call.id


def classify_as(app, call_id, slug):
    with app.app_context(), database.session() as session:
        call = session.get(Call, call_id)
        line = directory.get(session, app.config["CLOCK"]()).lines_by_slug[
            session.get(LineRow, call.line_id).slug]
        classify(session, call, next(c for c in line.categories if c.slug == slug), app.config["CLOCK"](), "keypad")
        session.commit()


def test_the_call_log_shows_calls_of_the_coordinators_lines_without_any_number(app, coordinator):
    mine = place_call(app)
    place_call(app, to=FRANCE_VICTIMES)  # not their line
    page = text(coordinator.get("/console/calls"))
    assert f'id="appel-{mine}"' in page and page.count('id="appel-') == 1
    assert "Un premier pas, Val-de-Marne" in page and "Pris par un écoutant" in page and "5 min 00 s" in page
    assert "Non classé" in page
    from phones.numbers import number_hash

    for secret in (CALLER, CALLER[1:], "06 12 34 56 78", number_hash(CALLER, PEPPER)):
        assert secret not in page
        assert secret not in text(coordinator.get(f"/console/calls/{mine}"))


def test_a_coordinator_classifies_a_call_in_the_console_and_it_is_audited(app, coordinator):
    call = place_call(app)
    page = f"/console/calls/{call}"
    response = coordinator.post(f"{page}/category", data={"category": "violences-conjugales",
                                                           "csrf_token": csrf_token(coordinator, page)})
    assert response.status_code == 302
    shown = text(coordinator.get(page))
    assert "La catégorie de l'appel est enregistrée." in shown
    assert '<td id="call-category">Violences conjugales</td>' in shown
    coordinator.post(f"{page}/category", data={"category": "information", "csrf_token": csrf_token(coordinator, page)})
    with app.app_context(), database.session() as session:
        events = list(session.scalars(select(AuditEvent).where(AuditEvent.action == "category.classify")
                                      .order_by(AuditEvent.id)))
        row = session.scalar(select(CallCategory))
    assert [(e.before, e.after) for e in events] == [
        ({"category": None}, {"category": "Violences conjugales"}),
        ({"category": "Violences conjugales"}, {"category": "Demande d'information"}),
    ]
    assert (row.category, row.via) == ("information", "console")
    assert "Non classé" not in text(coordinator.get("/console/calls?unclassified=1"))


def test_a_category_that_is_not_the_lines_is_refused(app, coordinator):
    call = place_call(app)
    page = f"/console/calls/{call}"
    response = coordinator.post(f"{page}/category", data={"category": "cybercriminalite",  # France Victimes' list
                                                           "csrf_token": csrf_token(coordinator, page)})
    assert response.status_code == 400


def test_a_coordinator_edits_the_lines_categories_and_the_next_wrapup_uses_them(app, coordinator):
    page = "/console/lines/un-premier-pas/categories"
    shown = text(coordinator.get(page))
    assert 'value="violences-conjugales"' in shown and "au-delà de 6 appels en 30 minutes" in shown
    form = {"csrf_token": csrf_token(coordinator, page), "id_0": "violences-conjugales", "fr_0": "Violences conjugales",
            "en_0": "Domestic violence", "id_1": "harcelement", "fr_1": "Harcèlement", "en_1": ""}
    response = coordinator.post(page, data=form)
    assert response.status_code == 302
    assert "Les catégories sont enregistrées" in text(coordinator.get(page))
    with app.app_context(), database.session() as session:
        line = directory.get(session, app.config["CLOCK"]()).lines_by_slug["un-premier-pas"]
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "categories.update"))
    assert [(c.slug, c.label.fr, c.label.en) for c in line.categories] == [
        ("violences-conjugales", "Violences conjugales", "Domestic violence"), ("harcelement", "Harcèlement", None)]
    assert event.after == {"categories": ["violences-conjugales: Violences conjugales", "harcelement: Harcèlement"]}
    assert len(event.before["categories"]) == 9


def test_the_category_editor_refuses_a_bad_list_and_says_what_is_wrong(app, coordinator):
    page = "/console/lines/un-premier-pas/categories"
    form = {"csrf_token": csrf_token(coordinator, page), "id_0": "a", "fr_0": "", "id_1": "a", "fr_1": "Autre"}
    response = coordinator.post(page, data=form)
    assert response.status_code == 400
    shown = text(response)
    assert "Ligne 1 (fr) : required: the category's name" in shown
    assert "Ligne 2 (id) : 'a' is listed twice" in shown
    assert coordinator.get("/console/lines/france-victimes/categories").status_code == 403


def report_rows(client, query=""):
    response = client.get(f"/console/categories/report.csv{query}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_the_report_counts_calls_by_category_month_line_and_centre_with_the_unclassified(app, coordinator, clock):
    clock.now = at_paris(2026, 10, 6, 10, 0)
    october = [place_call(app, caller=f"+3361234560{i}") for i in range(3)]
    classify_as(app, october[0], "violences-conjugales")
    classify_as(app, october[1], "violences-conjugales")
    clock.now = at_paris(2026, 11, 24, 10, 0)
    november = place_call(app, caller="+33612345699")
    classify_as(app, november, "information")
    place_call(app, caller="+33612345698", outcome="ended_closed")  # nobody talked to them: not in the report
    rows = report_rows(coordinator, "?from=2026-10&to=2026-11")
    assert rows[0] == ["mois", "ligne", "centre", "categorie", "libelle", "appels"]
    assert rows[1:] == [
        ["2026-10", "Un premier pas, Val-de-Marne", "Équipe de la ligne", "non-classe", "Non classé", "1"],
        ["2026-10", "Un premier pas, Val-de-Marne", "Équipe de la ligne", "violences-conjugales", "Violences conjugales", "2"],
        ["2026-11", "Un premier pas, Val-de-Marne", "Équipe de la ligne", "information", "Demande d'information", "1"],
    ]
    page = text(coordinator.get("/console/categories/report?from=2026-10&to=2026-11"))
    assert '<img src="/console/categories/report.svg?from=2026-10&amp;to=2026-11"' in coordinator.get(
        "/console/categories/report?from=2026-10&to=2026-11").get_data(as_text=True)
    assert "<tr><th scope=\"row\">Violences conjugales</th><td>2</td><td>0</td><td>2</td></tr>" in page
    assert "<tfoot><tr><th scope=\"row\">Total</th><td>3</td><td>1</td><td>4</td></tr></tfoot>" in page
    chart = coordinator.get("/console/categories/report.svg?from=2026-10&to=2026-11")
    assert chart.mimetype == "image/svg+xml" and b"<svg" in chart.data and b"Violences conjugales" in chart.data


def test_the_report_of_a_national_line_names_the_departement_centre(app, clock):
    make_account(app)  # an admin sees every line
    client = app.test_client()
    sign_in(client)
    call = place_call(app, to="+33199003977")
    with app.app_context(), database.session() as session:
        session.get(Call, call).department = "94"
        session.commit()
    classify_as(app, call, "maltraitance-financiere")
    rows = report_rows(client, "?line=3977")
    assert [row[2:] for row in rows[1:]] == [["Centre d'écoute 3977 du Val-de-Marne", "maltraitance-financiere",
                                              "Maltraitance financière", "1"]]


def test_a_coordinator_cannot_read_another_lines_report(app, coordinator):
    assert coordinator.get("/console/categories/report.csv?line=france-victimes").status_code == 403
    assert coordinator.get("/console/categories/report?line=france-victimes").status_code == 403


def test_a_month_typed_wrong_falls_back_to_the_last_twelve_months_and_says_so(app, coordinator):
    page = text(coordinator.get("/console/categories/report?from=2026-13&to=2026-11"))
    assert "Indiquez les mois sous la forme AAAA-MM." in page
    assert 'value="2025-12"' in page and 'value="2026-11"' in page
