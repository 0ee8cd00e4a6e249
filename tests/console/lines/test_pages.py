"""The console's dashboard and line pages say, in French, what each line is doing and will do."""

from __future__ import annotations

import re

from sqlalchemy import select

from routing.queueing import ListenerStatus
from store.directory import bump_revision
from store.extension import database
from store.listeners import create_listener, set_status
from store.models import CallbackRequest, LineRow, OverrideRow, QueuedCaller
from tests.conftest import at_brussels, at_paris, make_test_app
from tests.support.console import COORDINATOR_EMAIL, COORDINATOR_PASSWORD, make_account, sign_in, text


def card(page: str, slug: str) -> str:
    """One line's card on the dashboard, as plain words."""
    found = re.search(rf'<li class="card" id="ligne-{re.escape(slug)}">(.*?)</li>\s*(?=<li class="card"|</ul>)',
                      page, re.S)
    assert found, f"no card for {slug}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1)))


def test_the_dashboard_shows_the_four_lines_open_on_a_tuesday_morning(app, client):
    make_account(app)
    sign_in(client)
    page = text(client.get("/console/"))
    assert "Situation du mardi 24 novembre 2026 à 10:00" in page
    assert "Ouverte selon les horaires habituels — ferme aujourd'hui à 19:00" in card(page, "ecoute-violences-conjugales")
    assert "ferme aujourd'hui à 21:00" in card(page, "france-victimes")
    assert "ferme aujourd'hui à 17:00" in card(page, "un-premier-pas")
    assert "Ouverte" in card(page, "3977")
    assert "Centre d'écoute 3977 du Val-de-Marne" in page


def test_closed_lines_say_why_and_when_they_reopen(app, client, clock):
    make_account(app)
    clock.now = at_brussels(2027, 7, 21, 11, 0)  # Belgian national day, a Wednesday
    sign_in(client)
    page = text(client.get("/console/"))
    assert "Fermée pour jour férié : Fête nationale — rouvre demain à 09:00" in card(page, "ecoute-violences-conjugales")
    assert "Ouverte" in card(page, "france-victimes")  # stays open on French and Belgian holidays alike
    clock.now = at_paris(2026, 11, 28, 10, 0)  # a Saturday
    page = text(client.get("/console/"))
    assert ("Fermée en dehors des horaires d'ouverture — rouvre lundi 30 novembre 2026 à 09:00"
            in card(page, "un-premier-pas"))


def test_a_coordinator_override_shows_with_its_reason(app, client, clock):
    make_account(app)
    with app.app_context(), database.session() as session:
        line = session.scalar(select(LineRow).where(LineRow.slug == "un-premier-pas"))
        line.schedule.overrides.append(OverrideRow(mode="closed", starts_at=at_paris(2026, 11, 24, 9, 30),
                                                   until=at_paris(2026, 11, 24, 14, 0), reason="formation"))
        bump_revision(session, clock.now)
        session.commit()
    sign_in(client)
    assert ("Fermée par décision d'un coordinateur : formation — rouvre aujourd'hui à 14:00"
            in card(text(client.get("/console/")), "un-premier-pas"))
    page = text(client.get("/console/lines/un-premier-pas"))
    assert ("Fermeture forcée du mardi 24 novembre 2026 à 09:30 au mardi 24 novembre 2026 à 14:00 : formation"
            in page)


def test_the_dashboard_counts_waiting_callers_available_listeners_and_pending_callbacks(app, client, clock):
    make_account(app)
    with app.app_context(), database.session() as session:
        for name, phone, status in (("Lou", "+33611111111", ListenerStatus.AVAILABLE),
                                    ("Sam", "+33622222222", ListenerStatus.PAUSED),
                                    ("Ana", "+33633333333", ListenerStatus.OFFLINE)):
            listener = create_listener(session, name, phone, ["france-victimes"], "2468", clock.now)
            set_status(session, listener, status, clock.now, "chosen")
        line_id = session.scalar(select(LineRow.id).where(LineRow.slug == "france-victimes"))
        for number in range(3):
            session.add(QueuedCaller(call_sid=f"CA{number:032d}", line_id=line_id, pool="france-victimes",
                                     enqueued_at=clock.now))
        session.add(CallbackRequest(line_id=line_id, pool="france-victimes", requested_at=clock.now,
                                    status="pending"))
        session.add(CallbackRequest(line_id=line_id, pool="france-victimes", requested_at=clock.now,
                                    status="reached"))
        session.commit()
    sign_in(client)
    words = card(text(client.get("/console/")), "france-victimes")
    assert "france-victimes 3 1 2" in words  # waiting, available, signed in (the paused one counts)
    assert "Rappels en attente : 1" in words
    assert "Rappels en attente : 0" in card(text(client.get("/console/")), "3977")


def test_a_line_page_lists_hours_holidays_and_the_chain_in_french(app, client):
    make_account(app)
    sign_in(client)
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text(client.get("/console/lines/ecoute-violences-conjugales"))))
    assert "lundi 09:00–19:00" in page and "samedi fermé" in page
    assert "Heure de la ligne : heure de Bruxelles" in page
    assert "La ligne est fermée les jours fériés (Belgique)." in page
    assert "vendredi 25 décembre 2026 Noël" in page and "mercredi 21 juillet 2027 Fête nationale" in page
    assert "lundi 1er novembre 2027 Toussaint" in page
    assert "jeudi 11 novembre 2027" in page and "2027 Noël" not in page  # twelve months, no more
    assert "Si la ligne est fermée : transférer l'appel vers 107" in page
    assert "Si la ligne est ouverte et le transfert précédent a échoué : transférer l'appel vers 107" in page
    assert "Dans tous les cas : terminer l'appel poliment" in page


def test_a_line_that_stays_open_on_holidays_says_so(app, client):
    make_account(app)
    sign_in(client)
    page = text(client.get("/console/lines/france-victimes"))
    assert "La ligne reste ouverte les jours fériés (France)." in page


def test_a_centre_coordinator_sees_their_centre_and_no_line(app, client):
    make_account(app, COORDINATOR_EMAIL, COORDINATOR_PASSWORD, "coordinator", centres=["3977-94"])
    sign_in(client, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)
    page = text(client.get("/console/"))
    assert "Aucune ligne ne vous est attribuée." not in page  # no empty "Lignes" section: their centre only
    assert "Centre d'écoute 3977 du Val-de-Marne" in page and "Centre d'écoute 3977 de Paris" not in page
    assert client.get("/console/lines/3977").status_code == 403


def test_a_listener_account_sees_no_line(app, client, clock):
    with app.app_context(), database.session() as session:
        create_listener(session, "Lou", "+33611111111", ["france-victimes"], "2468", clock.now)
        session.commit()
    make_account(app, "lou@example.org", "a listener's own password", "listener")
    sign_in(client, "lou@example.org", "a listener's own password")
    # The dashboard is not theirs: they land on their own page, which names no line.
    assert client.get("/console/").headers["Location"] == "/console/me"
    page = text(client.get("/console/me"))
    assert "Ma disponibilité" in page and "France Victimes" not in page
    assert client.get("/console/lines/france-victimes").status_code == 403


def test_english_is_there_for_those_who_ask(app, client):
    assert "Sign in" in text(client.get("/console/login", headers={"Accept-Language": "en-GB,en;q=0.8"}))
    assert "Connexion" in text(client.get("/console/login", headers={"Accept-Language": "de,fr;q=0.5"}))
    assert '<html lang="en">' in text(client.get("/console/login?lang=en"))
    assert "Connexion" in text(client.get("/console/login?lang=fr", headers={"Accept-Language": "en"}))
    make_account(app, "en@example.org", "an English speaker's password", language="en")
    sign_in(client, "en@example.org", "an English speaker's password")
    page = text(client.get("/console/"))
    assert "Dashboard" in page and "Open during the usual hours — closes today at 19:00" in card(page, "3977")
    page = text(client.get("/console/lines/ecoute-violences-conjugales"))
    assert "If the line is closed: forward the call to 107" in page and "Monday" in page


def test_without_a_secret_key_the_console_is_off_and_the_phone_line_still_answers(database_url, clock,
                                                                                  shipped_directory):
    from tests.conftest import SignedTwilio

    app = make_test_app(database_url, clock, SECRET_KEY=None)
    from store.directory import load_documents

    with app.app_context(), database.session() as session:
        load_documents(session, shipped_directory)
        session.commit()
    client = app.test_client()
    response = client.get("/console/login")
    assert response.status_code == 503 and "HELPLINE_SECRET_KEY" in text(response)
    answer = SignedTwilio(client).post("/voice/incoming", {"CallSid": "CA" + "7" * 32, "From": "anonymous",
                                                           "To": "+33189119494", "CallStatus": "ringing"})
    assert answer.status_code == 200 and "<Say" in text(answer)
    with app.app_context():
        database.engine.dispose()


def test_line_page_reads_a_shared_message_as_callers_hear_it_not_its_key(app):
    from console.describe import rule_words
    from store.extension import database, directory

    with app.app_context(), database.session() as session:
        line = directory.get(session, app.config["CLOCK"]()).lines_by_slug["france-victimes"]
    words = " ".join(rule_words(rule) for rule in line.rules)
    assert "Tous nos écoutants sont occupés" in words
    assert "all_listeners_busy" not in words
