"""The roster in the console: coordinators add, edit and deactivate listeners of their lines' pools, give them
shifts and new PINs (shown once), every change audited; a listener's account sees only their own page."""

from __future__ import annotations

import re
from datetime import time

import pytest
from sqlalchemy import select

from console.accounts.records import create_account
from routing.queueing import ListenerStatus
from store.extension import database
from store.listeners import create_listener, pin_matches, set_status
from store.models import AuditEvent, Listener
from tests.support.console import (
    COORDINATOR_EMAIL,
    COORDINATOR_PASSWORD,
    audit_events,
    console_rules,
    csrf_token,
    make_account,
    sign_in,
    text,
)

UPP = "un-premier-pas"
FV = "france-victimes"
PHONE = "+33612345678"
SHOWN_PHONE = "+33 6 •• •• •• 78"
LISTENER_EMAIL = "lou@example.org"
LISTENER_PASSWORD = "a listener's own password"


def add_listener(app, name="Lou Bernard", phone=PHONE, pools=(UPP,), pin="2468", status=None) -> int:
    with app.app_context(), database.session() as session:
        now = app.config["CLOCK"]()
        listener = create_listener(session, name, phone, pools, pin, now)
        if status is not None:
            set_status(session, listener, status, now, "chosen by test")
        session.commit()
        return listener.id


def row(app, listener_id) -> Listener:
    with app.app_context(), database.session() as session:
        listener = session.get(Listener, listener_id)
        listener.pools, listener.shifts  # loaded before the session closes
        return listener


def post(client, path, form_path=None, **fields):
    data = {"csrf_token": csrf_token(client, form_path or "/console/roster")}
    data.update(fields)
    return client.post(path, data=data)


def field_error(page: str, name: str) -> str | None:
    found = re.search(rf'<span class="field-error" id="{name}-error">([^<]+)</span>', page)
    return found.group(1) if found else None


@pytest.fixture
def coordinator(app, client):
    make_account(app, COORDINATOR_EMAIL, COORDINATOR_PASSWORD, "coordinator", lines=[UPP], name="Camille Coordination")
    sign_in(client, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)


@pytest.fixture
def admin(app, client):
    make_account(app)
    sign_in(client)


def test_a_coordinator_adds_a_listener_and_sees_the_new_pin_once_never_stored_in_clear(app, client, coordinator):
    response = post(client, "/console/roster/new", name="  Lou   Bernard ", phone="06 12 34 56 78", pools=UPP,
                    languages=["fr", "en"], skills=["adult"], follows_shifts="1")
    assert response.status_code == 200
    page = text(response)
    pin = re.search(r'<p class="pin"[^>]*><strong>(\d+)</strong>', page).group(1)
    assert len(pin) == 6 and "ne sera plus jamais affiché" in page

    with app.app_context(), database.session() as session:
        [listener] = session.scalars(select(Listener)).all()
        assert (listener.name, listener.phone, [p.pool for p in listener.pools]) == ("Lou Bernard", PHONE, [UPP])
        assert (listener.languages, listener.skills, listener.follows_shifts) == (["fr", "en"], ["adult"], True)
        assert listener.status == "offline" and listener.active
        assert pin not in listener.pin_hash and pin_matches(listener, pin)

    [event] = [e for e in audit_events(app) if e.action == "listener.create"]
    assert (event.account_email, event.target_kind, event.target_slug) == (COORDINATOR_EMAIL, "listener",
                                                                            str(listener.id))
    assert event.before is None
    assert event.after["phone"] == SHOWN_PHONE and event.after["pools"] == [UPP]
    assert PHONE not in str(event.after) and pin not in str(event.after) + event.detail

    roster = text(client.get("/console/roster"))
    assert "Lou Bernard" in roster and SHOWN_PHONE in roster
    assert PHONE not in roster and "06 12 34 56 78" not in roster and pin not in roster
    edit = text(client.get(f"/console/roster/{listener.id}"))
    assert SHOWN_PHONE in edit and PHONE not in edit and pin not in edit


def test_mistakes_are_told_in_french_next_to_their_fields_and_nothing_is_saved(app, client, coordinator):
    response = post(client, "/console/roster/new", name=" ", phone="12", languages=[])
    assert response.status_code == 400
    page = text(response)
    assert field_error(page, "name") == "Indiquez le nom de l'écoutant."
    assert field_error(page, "phone").startswith("Ce n'est pas un numéro de téléphone")
    assert field_error(page, "pools") == "Choisissez au moins une file d'attente."
    assert field_error(page, "languages") == "Choisissez au moins une langue."
    assert re.search(r'id="name"[^>]*aria-describedby="name-error" aria-invalid="true"', page)
    assert 'aria-describedby="phone-hint phone-error" aria-invalid="true"' in page
    assert "Il y a un problème" in page and "Rien n'a été enregistré" in page  # the summary above the form
    assert 'value="12"' in page  # what was typed is given back to correct

    missing = text(post(client, "/console/roster/new", name="Lou", pools=UPP, languages="fr"))
    assert field_error(missing, "phone") == "Indiquez le téléphone de l'écoutant."
    with app.app_context(), database.session() as session:
        assert session.scalars(select(Listener)).all() == []
    assert not [e for e in audit_events(app) if e.action.startswith("listener.")]


def test_a_phone_already_on_the_roster_is_refused_without_saying_whose(app, client, coordinator):
    add_listener(app, name="Sacha Autre", pools=(FV,))
    page = text(post(client, "/console/roster/new", name="Lou", phone="+33 6 12 34 56 78", pools=UPP, languages="fr"))
    assert field_error(page, "phone") == "Ce numéro est déjà celui d'un autre écoutant."
    assert "Sacha" not in page


def test_a_coordinator_sees_and_edits_only_the_listeners_of_their_lines_pools(app, client, coordinator):
    mine = add_listener(app, "Lou Bernard", PHONE, (UPP,))
    theirs = add_listener(app, "Sacha Autre", "+33698765432", (FV,))
    roster = text(client.get("/console/roster"))
    assert "Lou Bernard" in roster and "Sacha Autre" not in roster

    assert client.get(f"/console/roster/{theirs}").status_code == 403
    assert client.get("/console/roster/99999").status_code == 403  # the same answer for nobody
    for action in ("", "/deactivate", "/pin", "/shifts"):
        response = post(client, f"/console/roster/{theirs}{action}", name="Pris", phone="", pools=UPP,
                        languages="fr", day="0", starts="09:00", ends="12:00")
        assert response.status_code == 403, action
    # Nor may they give their listener another line's pool, or add one there.
    assert post(client, f"/console/roster/{mine}", name="Lou", pools=[UPP, FV], languages="fr").status_code == 403
    assert post(client, "/console/roster/new", name="X", phone="+33600000001", pools=FV,
                languages="fr").status_code == 403
    other = row(app, theirs)
    assert (other.name, other.active, other.pin_hash != "") == ("Sacha Autre", True, True)
    assert [p.pool for p in row(app, mine).pools] == [UPP]
    assert not [e for e in audit_events(app) if e.action.startswith("listener.")]


def test_editing_keeps_the_pools_of_lines_the_coordinator_does_not_see_and_audits_before_and_after(
        app, client, coordinator):
    shared = add_listener(app, "Lou Bernard", PHONE, (FV, UPP))
    page = text(client.get(f"/console/roster/{shared}"))
    assert "Également dans des files d'autres lignes, conservées : france-victimes" in page
    response = post(client, f"/console/roster/{shared}", f"/console/roster/{shared}", name="Lou Bernard-Petit",
                    phone="", pools=UPP, languages=["fr", "en"], skills=["victim", "witness"])
    assert response.status_code == 302
    listener = row(app, shared)
    assert listener.name == "Lou Bernard-Petit" and listener.phone == PHONE  # an empty phone keeps the number
    assert sorted(p.pool for p in listener.pools) == [FV, UPP]
    assert (listener.languages, listener.skills) == (["fr", "en"], ["victim", "witness"])
    [event] = [e for e in audit_events(app) if e.action == "listener.update"]
    assert event.before["name"] == "Lou Bernard" and event.after["name"] == "Lou Bernard-Petit"
    assert event.before["languages"] == ["fr"] and event.after["skills"] == ["victim", "witness"]
    assert event.before["phone"] == event.after["phone"] == SHOWN_PHONE
    assert "Les modifications sont enregistrées." in text(client.get(response.headers["Location"]))

    # Unticking every pool they see is refused, even though the listener keeps another line's pool.
    refused = post(client, f"/console/roster/{shared}", f"/console/roster/{shared}", name="Lou Bernard-Petit",
                   phone="", languages="fr")
    assert refused.status_code == 400
    assert field_error(text(refused), "pools") == "Choisissez au moins une file d'attente."
    assert sorted(p.pool for p in row(app, shared).pools) == [FV, UPP]

    # The number of a listener who also answers for another line is that line's business too: admins only.
    refused = post(client, f"/console/roster/{shared}", f"/console/roster/{shared}", name="Lou Bernard-Petit",
                   phone="+33 6 11 22 33 44", pools=UPP, languages=["fr", "en"], skills=["victim", "witness"])
    assert refused.status_code == 400 and row(app, shared).phone == PHONE
    assert field_error(text(refused), "phone") == ("Cet écoutant répond aussi pour une autre ligne : seul un "
                                                   "administrateur peut changer son numéro.")
    make_account(app)
    admin = app.test_client()
    sign_in(admin)
    changed = post(admin, f"/console/roster/{shared}", f"/console/roster/{shared}", name="Lou Bernard-Petit",
                   phone="+33 6 11 22 33 44", pools=[UPP, FV], languages=["fr", "en"], skills=["victim", "witness"])
    assert changed.status_code == 302 and row(app, shared).phone == "+33611223344"
    assert audit_events(app)[-1].after["phone"] == "+33 6 •• •• •• 44"


def test_a_coordinator_changes_the_number_of_a_listener_of_their_lines_only(app, client, coordinator):
    mine = add_listener(app, "Lou Bernard", PHONE, (UPP,))
    changed = post(client, f"/console/roster/{mine}", f"/console/roster/{mine}", name="Lou Bernard",
                   phone="+33 6 11 22 33 44", pools=UPP, languages="fr")
    assert changed.status_code == 302 and row(app, mine).phone == "+33611223344"


def test_deactivating_takes_a_listener_off_calls_and_reactivating_brings_them_back_offline(app, client, coordinator):
    lou = add_listener(app, status=ListenerStatus.AVAILABLE)
    response = post(client, f"/console/roster/{lou}/deactivate")
    assert response.status_code == 302
    listener = row(app, lou)
    assert (listener.active, listener.status) == (False, "offline")
    event = audit_events(app)[-1]
    assert event.action == "listener.deactivate" and (event.before["active"], event.after["active"]) == (True, False)
    page = text(client.get("/console/roster"))
    assert "Désactivés (1)" in page and "En activité (0)" in page

    post(client, f"/console/roster/{lou}/reactivate")
    listener = row(app, lou)
    assert (listener.active, listener.status) == (True, "offline")
    assert audit_events(app)[-1].action == "listener.reactivate"


def test_a_new_pin_replaces_the_old_one_lifts_a_lock_and_is_audited_without_its_digits(app, client, coordinator,
                                                                                         clock):
    lou = add_listener(app, pin="2468")
    with app.app_context(), database.session() as session:
        session.get(Listener, lou).pin_locked_until = clock.now.replace(hour=23)
        session.commit()
    response = post(client, f"/console/roster/{lou}/pin")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    pin = re.search(r"<strong>(\d{6})</strong>", text(response)).group(1)
    listener = row(app, lou)
    assert pin_matches(listener, pin) and not pin_matches(listener, "2468")
    assert listener.pin_locked_until is None and listener.pin_failures == 0
    event = audit_events(app)[-1]
    assert event.action == "listener.pin_reset" and pin not in str(event.before) + str(event.after) + event.detail
    assert pin not in text(client.get(f"/console/roster/{lou}"))  # shown once


def test_shifts_are_added_in_the_lines_time_zone_checked_and_removed(app, client, coordinator):
    lou = add_listener(app)
    path = f"/console/roster/{lou}"
    response = post(client, f"{path}/shifts", path, day="0", starts="22:00", ends="06:00")
    assert response.status_code == 302
    [shift] = row(app, lou).shifts
    assert (shift.weekday, shift.starts, shift.ends, shift.timezone) == (0, time(22), time(6), "Europe/Paris")
    assert "lundi 22:00–06:00 le lendemain (heure de Paris)" in text(client.get(path))
    event = audit_events(app)[-1]
    assert (event.action, event.before, event.after) == ("listener.shift_add", {"shifts": []},
                                                         {"shifts": ["mon 22:00-06:00 Europe/Paris"]})

    wrong = post(client, f"{path}/shifts", path, day="2", starts="9h", ends="09:00")
    assert wrong.status_code == 400
    assert field_error(text(wrong), "starts") == "Écrivez une heure comme 09:00 ou 21:30."
    same = text(post(client, f"{path}/shifts", path, day="2", starts="09:00", ends="09:00"))
    assert field_error(same, "ends") == "Une plage ne peut pas commencer et finir à la même heure."
    again = text(post(client, f"{path}/shifts", path, day="0", starts="22:00", ends="06:00"))
    assert field_error(again, "starts") == "L'écoutant a déjà cette plage."
    assert len(row(app, lou).shifts) == 1

    post(client, f"{path}/shifts/delete", path, shift_id=str(shift.id))
    assert row(app, lou).shifts == []
    assert audit_events(app)[-1].action == "listener.shift_delete"


def test_a_belgian_lines_coordinator_types_a_local_belgian_number(app, client):
    make_account(app, "evc@example.org", COORDINATOR_PASSWORD, "coordinator", lines=["ecoute-violences-conjugales"])
    sign_in(client, "evc@example.org", COORDINATOR_PASSWORD)
    post(client, "/console/roster/new", name="Noor", phone="0470 11 11 11", pools="ecoute-violences-conjugales",
         languages="fr")
    with app.app_context(), database.session() as session:
        assert session.scalar(select(Listener.phone)) == "+32470111111"


def test_an_admin_sees_every_listener(app, client, admin):
    add_listener(app, "Lou Bernard", PHONE, (UPP,))
    add_listener(app, "Sacha Autre", "+33698765432", (FV,))
    roster = text(client.get("/console/roster"))
    assert "Lou Bernard" in roster and "Sacha Autre" in roster


def listener_account(app, listener_id: int | None) -> None:
    with app.app_context(), database.session() as session:
        create_account(session, email=LISTENER_EMAIL, name="Lou", password=LISTENER_PASSWORD, role="listener",
                       listener_id=listener_id, now=app.config["CLOCK"]())
        session.commit()


def test_a_listener_account_opens_its_own_page_and_nothing_else_of_the_console(app, client):
    lou = add_listener(app)
    listener_account(app, lou)
    sign_in(client, LISTENER_EMAIL, LISTENER_PASSWORD)
    assert client.get("/console/").headers["Location"] == "/console/me"
    page = text(client.get("/console/me"))
    assert "Ma disponibilité" in page and "Écoutants" not in page and "Tableau de bord" not in page
    checked = 0
    for rule, path in console_rules(app):
        if rule.endpoint in ("me.my_page", "me.my_status", "accounts.logout", "accounts.logout_everywhere",
                             "lines.dashboard"):
            continue
        if rule.endpoint.startswith("desk.") and rule.endpoint not in ("desk.supervise", "desk.debrief_done"):
            continue  # their desk: their own call only (tests/console/desk); the supervisors' actions are refused
        if rule.endpoint.startswith("cases."):
            continue  # the calls they took and the cases they relayed only (tests/console/cases)
        if "GET" in rule.methods:
            assert client.get(path).status_code == 403, path
            checked += 1
        for method in rule.methods - {"GET", "HEAD", "OPTIONS"}:
            response = client.open(path, method=method, data={"csrf_token": csrf_token(client, "/console/me")})
            assert response.status_code == 403, (path, method)
            checked += 1
    assert checked >= 12


def test_a_listener_account_without_a_listener_is_told_to_ask_and_coordinators_have_no_own_page(app, client,
                                                                                                coordinator):
    assert client.get("/console/me").status_code == 403
    client.post("/console/logout", data={"csrf_token": csrf_token(client, "/console/roster")})
    listener_account(app, None)
    sign_in(client, LISTENER_EMAIL, LISTENER_PASSWORD)
    assert "n'est relié à aucune fiche d'écoutant" in text(client.get("/console/me"))
    assert client.post("/console/me/status", data={"status": "available",
                                                    "csrf_token": csrf_token(client, "/console/me")}).status_code == 400


def test_an_admin_editing_a_listener_keeps_a_pool_no_line_queues_to(app, client, admin):
    lou = add_listener(app, "Lou Bernard", PHONE, ("equipe-de-nuit", UPP))  # a pool given from the terminal
    assert "Également dans des files d'autres lignes, conservées : equipe-de-nuit" in text(
        client.get(f"/console/roster/{lou}"))
    post(client, f"/console/roster/{lou}", f"/console/roster/{lou}", name="Lou B.", phone="", pools=FV,
         languages="fr")
    assert sorted(p.pool for p in row(app, lou).pools) == ["equipe-de-nuit", FV]
