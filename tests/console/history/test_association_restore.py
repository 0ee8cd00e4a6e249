"""A local association's history restores an older version, as a line's does: a new version, audited, within the
coordinator's départements."""

from __future__ import annotations

import re

from sqlalchemy import select

from store.associations import association_document
from store.extension import database
from store.models import AssociationRow, AuditEvent
from store.revisions import history
from tests.support.console import (
    COORDINATOR_EMAIL,
    COORDINATOR_PASSWORD,
    audit_events,
    csrf_token,
    make_account,
    sign_in,
    text,
    words,
)

EDIT = "/console/associations/avf-13"
HISTORY = "/console/associations/avf-13/history"
SHIPPED_NUMBER = "+33199005013"


def edit_number(client, number: str, department: str = "13") -> None:
    data = {"name": "Aide aux victimes des Bouches-du-Rhône (association fictive)", "department": department,
            "number": number, "display_number": "", "hours_mon": "09:00-18:00", "topics": "aide juridique",
            "closes_on_holidays": "1", "fictitious": "1", "csrf_token": csrf_token(client, EDIT)}
    response = client.post(EDIT, data=data)
    assert response.status_code == 302, words(response)


def association(app) -> dict:
    """avf-13 as the database holds it (what callers are oriented with)."""
    with app.app_context(), database.session() as session:
        return association_document(session.scalar(select(AssociationRow).where(AssociationRow.slug == "avf-13")))


def versions(app):
    with app.app_context(), database.session() as session:
        return history(session, "association", "avf-13")


def restore_buttons(client) -> list[str]:
    return re.findall(r'<form method="post" action="([^"]+)">\s*<input type="hidden" name="csrf_token"[^>]*>\s*'
                      r'<button[^>]*aria-label="Restaurer la version (\d+)"', text(client.get(HISTORY)))


def test_a_centre_coordinator_restores_an_older_version_of_an_association_as_a_new_version_audited(app, client):
    make_account(app, COORDINATOR_EMAIL, COORDINATOR_PASSWORD, "coordinator", centres=["3977-13"],
                 name="Camille Centre 13")
    sign_in(client, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)
    as_loaded = association(app)
    edit_number(client, "+33199005113")
    edit_number(client, "+33199005213")
    assert association(app)["number"] == "+33199005213"
    shipped = versions(app)[-1]

    buttons = restore_buttons(client)
    assert [number for _, number in buttons] == ["2", "1"]  # the current version (3) is not offered
    assert "restaurer se fait encore à la main" not in words(client.get(HISTORY))
    action = dict((number, url) for url, number in buttons)["1"]
    assert action == f"{HISTORY}/{shipped.id}/restore"

    response = client.post(action, data={"csrf_token": csrf_token(client, HISTORY)})
    assert response.status_code == 302 and response.headers["Location"] == HISTORY
    page = words(client.get(HISTORY))
    assert "La version choisie est restaurée (c'est une nouvelle version)" in page
    assert "Version 4 — version actuelle" in page and "Motif : restauration de la version 1" in page
    assert f"par {COORDINATOR_EMAIL} (restauration)" in page
    assert association(app) == as_loaded and as_loaded["number"] == SHIPPED_NUMBER
    newest = versions(app)[0]
    assert (newest.source, newest.author, newest.document) == ("restore", COORDINATOR_EMAIL, shipped.document)
    event = audit_events(app)[-1]
    assert (event.action, event.target_kind, event.target_slug, event.account_email) == (
        "association.restore", "association", "avf-13", COORDINATOR_EMAIL)
    assert (event.before["number"], event.after["number"]) == ("+33199005213", SHIPPED_NUMBER)
    assert "fictitious" not in event.after  # only what the restore changed
    make_account(app)  # the admin reads it in the audit log, in French
    admin = app.test_client()
    sign_in(admin)
    assert (f"{COORDINATOR_EMAIL} : version de l'association restaurée — association « avf-13 »"
            in words(admin.get("/console/audit")))


def test_a_coordinator_cannot_restore_an_association_outside_their_departements_nor_another_ones_version(
        app, client):
    make_account(app)  # the admin edits avf-13 and avf-2a: each has versions
    sign_in(client)
    edit_number(client, "+33199005113")
    avf13_version = versions(app)[-1].id

    make_account(app, COORDINATOR_EMAIL, COORDINATOR_PASSWORD, "coordinator", centres=["3977-94"])
    other = app.test_client()
    sign_in(other, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)
    token = csrf_token(other, "/console/associations")
    assert other.get(HISTORY).status_code == 403
    assert other.post(f"{HISTORY}/{avf13_version}/restore", data={"csrf_token": token}).status_code == 403
    # Through an association they may edit, another association's version is not found.
    assert other.post(f"/console/associations/avf-94/history/{avf13_version}/restore",
                      data={"csrf_token": token}).status_code == 404
    assert association(app)["number"] == "+33199005113"
    with app.app_context(), database.session() as session:
        assert session.scalar(select(AuditEvent).where(AuditEvent.action == "association.restore")) is None


def test_a_version_from_a_departement_outside_the_coordinators_is_refused_and_nothing_changes(app, client):
    make_account(app)  # the admin moves avf-13 to the Val-de-Marne (94)
    sign_in(client)
    edit_number(client, "+33199005113", department="94")
    in_13 = versions(app)[-1].id

    make_account(app, COORDINATOR_EMAIL, COORDINATOR_PASSWORD, "coordinator", centres=["3977-94"])
    coordinator = app.test_client()
    sign_in(coordinator, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)
    response = coordinator.post(f"{HISTORY}/{in_13}/restore", data={"csrf_token": csrf_token(coordinator, HISTORY)})
    assert response.status_code == 302
    page = words(coordinator.get(HISTORY))
    assert ("Cette version ne peut pas être restaurée telle quelle : elle ne passe plus les vérifications de "
            "l'annuaire, ou son département n'est pas de votre ressort. Rien n'a été changé.") in page
    assert (association(app)["department"], len(versions(app))) == ("94", 2)
    assert not [event for event in audit_events(app) if event.action == "association.restore"]
