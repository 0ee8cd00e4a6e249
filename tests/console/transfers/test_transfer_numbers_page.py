"""A coordinator lists the numbers outside the directory their listeners may transfer calls to (an interpreter),
with the words callers hear: the line's file checks, audited, and offered by the next transfer."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from store.extension import database, directory
from store.models import AuditEvent
from tests.support.console import COORDINATOR_EMAIL, COORDINATOR_PASSWORD, csrf_token, make_account, sign_in, text

PAGE = "/console/lines/un-premier-pas/transfer-numbers"


@pytest.fixture
def coordinator(app):
    make_account(app, COORDINATOR_EMAIL, COORDINATOR_PASSWORD, "coordinator", lines=["un-premier-pas"],
                 name="Camille Coordination")
    client = app.test_client()
    sign_in(client, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)
    return client


def test_a_coordinator_adds_an_interpreter_with_its_words_the_line_holds_it_and_the_audit_says_so(app, coordinator):
    assert 'href="/console/lines/un-premier-pas/transfer-numbers"' in text(coordinator.get("/console/lines/un-premier-pas"))
    form = {"csrf_token": csrf_token(coordinator, PAGE), "number_0": "01 99 00 94 97",
            "fr_0": "l'interprète en langue arabe", "en_0": "the Arabic interpreter"}
    assert coordinator.post(PAGE, data=form).status_code == 302
    shown = text(coordinator.get(PAGE))
    assert "Les numéros de transfert sont enregistrés" in shown and 'value="+33199009497"' in shown
    with app.app_context(), database.session() as session:
        line = directory.get(session, app.config["CLOCK"]()).lines_by_slug["un-premier-pas"]
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "transfer_numbers.update"))
    assert [(n.number, n.label.get("fr"), n.label.get("en")) for n in line.transfer_numbers] == [
        ("+33199009497", "l'interprète en langue arabe", "the Arabic interpreter")]
    assert event.before == {"transfer_numbers": []}
    assert event.after == {"transfer_numbers": ["+33199009497: l'interprète en langue arabe"]}


def test_the_editor_refuses_what_the_line_s_file_would_and_says_where_in_french(app, coordinator):
    form = {"csrf_token": csrf_token(coordinator, PAGE), "number_0": "12", "fr_0": "un numéro court", "en_0": "short",
            "number_1": "+33199009494", "fr_1": "nous-mêmes", "en_1": "ourselves",
            "number_2": "+33199009497", "fr_2": "l'interprète"}
    response = coordinator.post(PAGE, data=form)
    assert response.status_code == 400
    shown = text(response)
    assert "Ligne 1 : « 12 » n'est pas un numéro de téléphone." in shown
    assert "Ligne 2 : Le +33199009494 est un numéro de cette ligne." in shown
    assert ("Ligne 3 : Il manque le texte en anglais, alors que les appelants de cette ligne peuvent parler anglais."
            in shown)
    assert "« en »" not in shown
    with app.app_context(), database.session() as session:
        assert directory.get(session, app.config["CLOCK"]()).lines_by_slug["un-premier-pas"].transfer_numbers == ()
    assert coordinator.get("/console/lines/france-victimes/transfer-numbers").status_code == 403


def test_a_missing_language_is_named_in_words_to_an_english_account_too(app):
    make_account(app, COORDINATOR_EMAIL, COORDINATOR_PASSWORD, "coordinator", lines=["un-premier-pas"], language="en")
    client = app.test_client()
    sign_in(client, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)
    form = {"csrf_token": csrf_token(client, PAGE), "number_0": "+33199009497", "fr_0": "l'interprète"}
    response = client.post(PAGE, data=form)
    assert response.status_code == 400
    assert "Row 1 : Has no words in English, and callers of this line may speak English." in text(response)


def test_a_refused_save_opens_on_the_error_summary_linking_each_error_to_its_field_typed_values_kept(app, coordinator):
    # Row 2 left blank: the errors still name and link the rows as the form numbers them.
    form = {"csrf_token": csrf_token(coordinator, PAGE), "number_0": "12", "fr_0": "un numéro court", "en_0": "short",
            "number_2": "+33199009497", "fr_2": "l'interprète"}
    response = coordinator.post(PAGE, data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and 'class="error-summary"' in page
    assert '<a href="#number_0">Ligne 1 : « 12 » n&#39;est pas un numéro de téléphone.</a>' in page
    assert '<a href="#en_2">Ligne 3 : Il manque le texte en anglais' in page
    assert 'id="en_2"' in page and 'id="number_0"' in page
    assert 'value="l&#39;interprète"' in page and 'value="12"' in page  # what was typed is kept
