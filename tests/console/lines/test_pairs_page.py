"""A coordinator sets a line to offer every call to a pair of listeners (queue.offer_to_pair): the line's file checks,
a directory version, the audit in words, and the next call offered to two listeners."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from directory_data.loader import line_file_text
from store.documents import line_document
from store.extension import database, directory
from store.models import AuditEvent, LineRow
from tests.support.console import COORDINATOR_EMAIL, COORDINATOR_PASSWORD, csrf_token, make_account, sign_in, text

PAGE = "/console/lines/un-premier-pas/pairs"


@pytest.fixture
def coordinator(app):
    make_account(app, COORDINATOR_EMAIL, COORDINATOR_PASSWORD, "coordinator", lines=["un-premier-pas"],
                 name="Camille Coordination")
    client = app.test_client()
    sign_in(client, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)
    return client


def fingerprint(client) -> str:
    return re.search(r'name="fingerprint" value="([0-9a-f]+)"', text(client.get(PAGE))).group(1)


def queue_settings(app):
    with app.app_context(), database.session() as session:
        return directory.get(session, app.config["CLOCK"]()).lines_by_slug["un-premier-pas"].queue


def test_a_coordinator_turns_pairs_on_then_off_the_line_holds_it_and_the_audit_says_so(app, coordinator):
    assert f'href="{PAGE}"' in text(coordinator.get("/console/lines/un-premier-pas"))
    page = text(coordinator.get(PAGE))
    assert "Proposer chaque appel à un binôme d'écoutants" in page and " checked" not in page
    form = {"csrf_token": csrf_token(coordinator, PAGE), "fingerprint": fingerprint(coordinator), "offer_to_pair": "on"}
    assert coordinator.post(PAGE, data=form).status_code == 302
    shown = text(coordinator.get(PAGE))
    assert "les prochains appels de cette ligne sont proposés à deux écoutants" in shown and " checked" in shown
    assert queue_settings(app).offer_to_pair is True
    with app.app_context(), database.session() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "pairs.update"))
        row = session.scalar(select(LineRow).where(LineRow.slug == "un-premier-pas"))
        assert "offer_to_pair: true" in line_file_text(line_document(row))  # the line's file says it, as exported
    assert not (event.before["queue"] or {}).get("offer_to_pair") and event.after["queue"]["offer_to_pair"] is True
    assert "offer_to_pair: true" in text(coordinator.get("/console/lines/un-premier-pas/history"))  # a version
    # A page left open while someone else saved the line cannot overwrite their change.
    stale = {"csrf_token": csrf_token(coordinator, PAGE), "fingerprint": "0" * 20}
    assert coordinator.post(PAGE, data=stale).status_code == 400 and queue_settings(app).offer_to_pair is True
    off = {"csrf_token": csrf_token(coordinator, PAGE), "fingerprint": fingerprint(coordinator)}
    assert coordinator.post(PAGE, data=off).status_code == 302
    assert queue_settings(app).offer_to_pair is False
    assert "proposés à un seul écoutant" in text(coordinator.get(PAGE))
    assert coordinator.get("/console/lines/france-victimes/pairs").status_code == 403


def test_a_line_that_rings_several_listeners_is_refused_pairs_in_words_next_to_the_box(app, coordinator):
    with app.app_context(), database.session() as session:
        row = session.scalar(select(LineRow).where(LineRow.slug == "un-premier-pas"))
        row.settings = {**row.settings, "queue": {**row.settings.get("queue", {}), "strategy": "ring_several"}}
        session.commit()
    response = coordinator.post(PAGE, data={"csrf_token": csrf_token(coordinator, PAGE),
                                            "fingerprint": fingerprint(coordinator), "offer_to_pair": "on"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'class="error-summary"' in page and '<a href="#offer_to_pair">' in page
    assert "ne peut pas proposer ses appels en binôme" in text(response)
    assert queue_settings(app).offer_to_pair is False
