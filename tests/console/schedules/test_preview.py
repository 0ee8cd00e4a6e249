"""The route preview plays a call through the real signed webhooks and shows what the caller would hear, keeping nothing."""

from __future__ import annotations

import logging
import html
import re

from sqlalchemy import func, select

from phones.numbers import number_hash
from store.extension import database
from ivr.simulator import CallSimulator
from store.models import Base
from tests.conftest import PEPPER, at_paris
from tests.support.console import (
    COORDINATOR_EMAIL,
    COORDINATOR_PASSWORD,
    UPP_HOURS,
    changes,
    csrf_token,
    hours_fields,
    make_account,
    sign_in,
    text,
)

EVC_PREVIEW = "/console/lines/ecoute-violences-conjugales/preview"
PREVIEW_3977 = "/console/lines/3977/preview"
CALLER = "+33612345678"


def words(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text(response)))


def preview(client, path=EVC_PREVIEW, **fields):
    data = {"csrf_token": csrf_token(client, path), "day": "2026-11-24", "time": "10:00", "staffing": "none"}
    data.update(fields)
    return client.post(path, data=data)


def row_counts(app) -> dict[str, int]:
    with app.app_context(), database.session() as session:
        return {table.name: session.scalar(select(func.count()).select_from(table))
                for table in Base.metadata.sorted_tables}


def every_value(app) -> str:
    with app.app_context(), database.session() as session:
        return "\n".join(repr(tuple(row)) for table in Base.metadata.sorted_tables
                         for row in session.execute(select(table)))


def test_the_preview_form_starts_at_the_line_local_time_and_names_each_number_it_may_dial(app, client):
    make_account(app)
    sign_in(client)
    page = text(client.get(EVC_PREVIEW))
    assert "Aperçu du parcours : Écoute Violences Conjugales" in page
    assert 'name="day" value="2026-11-24"' in page and 'name="time" value="10:00"' in page
    assert "Moment de l'appel (heure de Bruxelles)" in page
    assert '<label for="outcome-0">107 (+3225550107)</label>' in page  # closed: the 107 takes over
    assert '<label for="outcome-1">l\'équipe d\'écoute (+3225550301)</label>' in page  # the listening room
    page = text(client.get(PREVIEW_3977))
    assert "Centre d'écoute 3977 du Val-de-Marne (+33199000094)" in page  # hand-offs to the centres
    assert "numéro de secours (+33199003900)" in page


def test_the_belgian_national_day_preview_says_closed_for_the_holiday_and_switches_to_the_107(app, client):
    make_account(app)
    sign_in(client)
    response = preview(client, day="2026-07-21", time="10:00")
    assert response.status_code == 200
    page = words(response)
    assert "Ce que l'appelant entend" in page
    assert "Nous sommes actuellement fermés en raison du jour férié : Fête nationale. Nous rouvrons demain à 9 heures." in page
    assert "+3225550107 (numéro présenté : +3225550300, sonne 30 s) : répond" in page
    assert "Appel transféré par Écoute Violences Conjugales." in page
    assert "closed: public holiday Fête nationale, reopens Wed 2026-07-22 09:00 → rule 1: forward to 107" in page


def test_a_busy_107_in_the_preview_leads_to_the_message_the_chain_plays_next(app, client):
    make_account(app)
    sign_in(client)
    page = text(client.get(EVC_PREVIEW))
    index = re.search(r'<label for="outcome-(\d)">[^<]*\(\+3225550107\)', page).group(1)
    result = words(preview(client, day="2026-11-23", time="19:00", **{f"outcome-{index}": "busy"}))
    assert "+3225550107 (numéro présenté : +3225550300, sonne 30 s) : occupé" in result
    assert "Le service vers lequel nous vous dirigions n'a pas pu répondre." in result
    assert "rule 6: play message relay_unanswered" in result


def test_a_preview_leaves_no_row_no_callback_no_email_and_dials_nobody(live_app, rest):
    """A 3977 caller at night asks to be called back: in the preview nothing of it reaches the database."""
    client = live_app.test_client()
    make_account(live_app)
    sign_in(client)
    before = row_counts(live_app)
    response = preview(client, PREVIEW_3977, time="20:00", caller=CALLER, presses="94300# 1 1 1 1",
                       staffing="available")
    page = words(response)
    assert "C'est noté. Un écoutant vous rappellera, dès que possible" in page
    assert "callback request 1 saved, window asap" in page  # the preview's own throwaway database
    assert row_counts(live_app) == before
    # and one with a listener free during opening hours: queued in the copy, never dialled for real
    page = words(preview(client, PREVIEW_3977, time="10:00", presses="#", staffing="available"))
    assert "attend dans la file d'attente" in page
    assert row_counts(live_app) == before and rest.requests == []

    # The same call played on the real app (as `helpline call` does) is counted: the check above can fail.
    clock = live_app.config["CLOCK"]
    clock.now = at_paris(2026, 11, 24, 20, 0)
    with live_app.app_context():
        CallSimulator(live_app, to="+33199003977", caller=CALLER, presses=["94300#", "1", "1", "1", "1"],
                      clock=clock).run()
    after = row_counts(live_app)
    assert after["call"] == before["call"] + 1 and after["callback_request"] == before["callback_request"] + 1


def test_the_number_typed_is_neither_logged_nor_stored(app, client, caplog):
    make_account(app)
    sign_in(client)
    caplog.set_level(logging.DEBUG)
    response = preview(client, PREVIEW_3977, time="20:00", caller="06 12 34 56 78", presses="94300# 1 1 1 1")
    assert response.status_code == 200 and "Un écoutant vous rappellera" in words(response)
    logged = "\n".join(record.getMessage() + repr(record.args) for record in caplog.records)
    for form in (CALLER, "0612345678", "612345678", "06 12 34 56 78", number_hash(CALLER, PEPPER)):
        assert form not in logged
        assert form not in every_value(app)


def test_a_coordinator_saves_new_hours_and_the_preview_answers_with_them(app, client):
    make_account(app, COORDINATOR_EMAIL, COORDINATOR_PASSWORD, "coordinator", lines=["un-premier-pas"])
    sign_in(client, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)
    path = "/console/lines/un-premier-pas/preview"
    assert "Nous sommes actuellement fermés" in words(preview(client, path, day="2026-11-28", time="11:00"))
    fields = hours_fields(client, **{"closed-sat": "", "shift-sat-0-start": "10:00", "shift-sat-0-end": "13:00"})
    assert client.post(UPP_HOURS, data=fields).status_code == 302
    page = words(preview(client, path, day="2026-11-28", time="11:00"))
    assert "Nous sommes actuellement fermés" not in page
    assert "+33199009495 (numéro présenté : +33199009494, sonne 30 s) : répond" in page
    assert changes(app) == ["schedule.hours"]  # a preview is not a change: nothing audited for it


def test_preview_mistakes_are_shown_next_to_their_fields(app, client):
    make_account(app)
    sign_in(client)
    response = preview(client, caller="not a number", presses="12a", day="2026-02-30")
    assert response.status_code == 400
    page = text(response)
    assert ('<span class="field-error" id="caller-error">Ce n\'est pas un numéro de téléphone ; laissez vide pour '
            'un numéro masqué.</span>') in page
    assert 'id="presses-error">Tapez des chiffres, * ou #, séparés par des espaces (10 séries au plus).' in page
    assert '<p class="field-error" id="when-error">Indiquez une date et une heure valides.</p>' in page
    assert "Ce que l'appelant entend" not in page


def why_table(page: str) -> list[tuple[str, str]]:
    table = re.search(r'<table class="reasons" aria-labelledby="why-title">(.*?)</table>', page, re.S).group(1)
    return [(html.unescape(step), re.sub(r"\s+", " ", html.unescape(words)))
            for step, words in re.findall(r'<th scope="row">([^<]+)</th><td>([^<]*)</td>', table)]


def test_the_preview_says_why_in_french_step_by_step(app, client):
    make_account(app)
    sign_in(client)
    rows = why_table(text(preview(client, day="2026-12-25", time="10:00")))
    forward = "Règle 1 appliquée : si la ligne est fermée : transférer l'appel vers 107."
    assert rows == [
        ("Appel reçu", "Appel vers Écoute Violences Conjugales, numéro masqué."),
        ("Décision", f"Fermée pour jour férié : Noël — rouvre lundi 28 décembre 2026 à 09:00. {forward}"),
        ("Transfert", forward),
        ("Numéro composé", "Le numéro a répondu ; l'appel transféré est terminé."),
        ("Résultat", "Transféré (ligne de relais, p. ex. le 107)")]
    english = [row for row in rows if re.search(r"\b(the|rule|closed|forward|reopens)\b", row[1])]
    assert english == []
    assert "Journal technique du moteur (en anglais)" in text(preview(client, day="2026-12-25", time="10:00"))
