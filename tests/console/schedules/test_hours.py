"""Coordinators edit a line's or a centre's weekly hours, holiday calendar and dated closures from the console."""

from __future__ import annotations

import re

from tests.conftest import at_paris
from tests.support.console import (
    CENTRE_94,
    COORDINATOR_EMAIL,
    COORDINATOR_PASSWORD,
    UPP,
    UPP_HOURS,
    audit_events,
    changes,
    csrf_token,
    hours_fields,
    make_account,
    revision,
    sign_in,
    text,
    words,
)

def test_the_editor_shows_the_line_hours_as_its_file_says_them(app, client):
    make_account(app)
    sign_in(client)
    page = text(client.get(UPP_HOURS))
    assert "Horaires : Un premier pas, Val-de-Marne" in page
    for day in ("mon", "tue", "wed", "thu", "fri"):
        assert f'name="shift-{day}-0-start" value="09:00"' in page and f'name="shift-{day}-0-end" value="17:00"' in page
    assert 'name="closed-sat" value="yes" checked' in page and 'name="closed-sun" value="yes" checked' in page
    assert "Jours fériés des douze prochains mois, tels qu'ils s'appliquent à cette ligne" in page
    # From Tuesday 24 November 2026: Christmas is a Friday, the line is closed instead of 09:00–17:00.
    assert re.search(r"vendredi 25 décembre 2026</td><td>Christmas Day|vendredi 25 décembre 2026</td><td>Noël", page)
    assert "fermée toute la journée (au lieu de 09:00–17:00)" in page


def test_a_coordinator_saves_split_shifts_a_night_shift_and_a_closed_day_and_the_next_call_hears_them(
        app, client, clock, call):
    make_account(app, COORDINATOR_EMAIL, COORDINATOR_PASSWORD, "coordinator", lines=["un-premier-pas"])
    clock.now = at_paris(2026, 11, 24, 22, 30)  # a Tuesday night: closed so far
    assert "Nous sommes actuellement fermés" in call(UPP).said()
    sign_in(client, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)
    before = revision(app)
    fields = hours_fields(client, **{
        "shift-mon-0-start": "09:00", "shift-mon-0-end": "12:00",
        "shift-mon-1-start": "14:00", "shift-mon-1-end": "17:00", "rows-mon": "2",
        "shift-tue-0-start": "22:00", "shift-tue-0-end": "02:00",
        "closed-wed": "yes",
    })
    response = client.post(UPP_HOURS, data=fields)
    assert response.status_code == 302 and response.headers["Location"] == UPP_HOURS
    page = words(client.get(UPP_HOURS))
    assert "Les horaires sont enregistrés : l'appel suivant les entend." in page
    assert revision(app) == before + 1

    event = audit_events(app)[-1]
    assert (event.action, event.target_kind, event.target_slug, event.account_email) == (
        "schedule.hours", "line", "un-premier-pas", COORDINATOR_EMAIL)
    assert event.before == {"hours": {"mon-fri": ["09:00-17:00"]},
                            "holidays": {"country": "FR", "subdivision": None, "closes": True}}
    assert event.after["hours"] == {"mon": ["09:00-12:00", "14:00-17:00"], "tue": ["22:00-02:00"],
                                    "thu-fri": ["09:00-17:00"]}

    transcript = call(UPP)  # 22:30 on Tuesday: the new night shift
    assert "Nous sommes actuellement fermés" not in transcript.said()
    assert transcript.dialled  # put through to the team
    assert "fermés" in call(UPP, at=at_paris(2026, 11, 25, 10, 0)).said()  # Wednesday now closed
    assert "fermés" in call(UPP, at=at_paris(2026, 11, 30, 13, 0)).said()  # Monday lunch break


def test_a_half_filled_shift_is_refused_next_to_it_in_french(app, client):
    make_account(app)
    sign_in(client)
    before = revision(app)
    response = client.post(UPP_HOURS, data=hours_fields(client, **{"shift-thu-1-start": "18:00"}))
    assert response.status_code == 400
    page = text(response)
    assert ('<span class="field-error" id="shift-thu-1-error">Indiquez l\'heure de début et l\'heure de fin de '
            'cette plage, ou videz les deux.</span>') in page
    assert 'name="shift-thu-1-start" value="18:00"' in page and 'aria-describedby="shift-thu-1-error"' in page
    assert revision(app) == before and changes(app) == []


def test_a_shift_the_loader_refuses_is_shown_next_to_its_row_in_french_and_in_english(app, client):
    make_account(app)
    sign_in(client)
    response = client.post(UPP_HOURS, data=hours_fields(client, **{"shift-fri-0-end": "09:00"}))
    assert response.status_code == 400
    assert ("<span class=\"field-error\" id=\"shift-fri-0-error\">« 09:00-09:00 » n'est pas une plage horaire "
            "valide") in text(response)
    make_account(app, "en@example.org", "an English speaker's password", language="en")
    client.post("/console/logout", data={"csrf_token": csrf_token(client, "/console/")})
    sign_in(client, "en@example.org", "an English speaker's password")
    response = client.post(UPP_HOURS, data=hours_fields(client, **{"shift-fri-0-end": "09:00"}))
    assert "“09:00-09:00” is not a valid shift" in text(response)


def test_an_unknown_subdivision_is_refused_next_to_its_field(app, client):
    make_account(app)
    sign_in(client)
    response = client.post(UPP_HOURS, data=hours_fields(client, holiday_subdivision="99"))
    assert response.status_code == 400
    page = text(response)
    assert re.search(r'<span class="field-error" id="holiday_subdivision-error">« 99 » n\'est pas une subdivision '
                     r'de FR \(choix : 57, 6AE, .*974', page)
    assert 'aria-describedby="holiday_subdivision-hint holiday_subdivision-error"' in page


def test_moving_a_line_to_the_moselle_calendar_lists_its_two_extra_holidays(app, client):
    make_account(app)
    sign_in(client)
    assert client.post(UPP_HOURS, data=hours_fields(client, holiday_subdivision="57")).status_code == 302
    page = words(client.get(UPP_HOURS))
    assert "samedi 26 décembre 2026" in page  # Saint-Étienne, Moselle only
    assert "vendredi 26 mars 2027" in page  # Vendredi saint, Moselle only
    assert audit_events(app)[-1].after["holidays"] == {"country": "FR", "subdivision": "57", "closes": True}


def test_staying_open_on_holidays_reads_so_in_the_list_and_callers_get_through(app, client, call):
    make_account(app)
    sign_in(client)
    assert client.post(UPP_HOURS, data=hours_fields(client, holiday_closes="no")).status_code == 302
    assert "ouverte aux horaires habituels (09:00–17:00)" in words(client.get(UPP_HOURS))
    assert "fermés" not in call(UPP, at=at_paris(2026, 12, 25, 10, 0)).said()


def test_a_dated_closure_is_added_shown_in_the_line_time_zone_heard_and_removed(app, client, clock, call):
    make_account(app)
    sign_in(client)
    fields = {"csrf_token": csrf_token(client, UPP_HOURS), "fingerprint": hours_fields(client)["fingerprint"],
              "start": "2026-12-01T09:00", "end": "2026-12-01T13:00", "reason": "formation de l'équipe"}
    response = client.post("/console/lines/un-premier-pas/closures", data=fields)
    assert response.status_code == 302
    page = words(client.get(UPP_HOURS))
    assert "La fermeture est ajoutée" in page
    assert ("Fermée du mardi 1er décembre 2026 à 09:00 au mardi 1er décembre 2026 à 13:00 : formation de l'équipe"
            in page)
    event = audit_events(app)[-1]
    assert event.action == "schedule.closure.add" and event.before == {"closures": None}
    assert event.after == {"closures": [{"from": "2026-12-01T09:00:00+01:00", "to": "2026-12-01T13:00:00+01:00",
                                         "reason": "formation de l'équipe"}]}
    assert "formation de l'équipe" in call(UPP, at=at_paris(2026, 12, 1, 10, 0)).said()
    clock.now = at_paris(2026, 11, 24, 10, 5)  # back at the console, still signed in

    response = client.post("/console/lines/un-premier-pas/closures/delete",
                           data={"csrf_token": csrf_token(client, UPP_HOURS), "index": "0",
                                 "fingerprint": hours_fields(client)["fingerprint"]})
    assert response.status_code == 302
    assert "Aucune fermeture exceptionnelle." in words(client.get(UPP_HOURS))
    assert audit_events(app)[-1].action == "schedule.closure.delete"
    assert "formation" not in call(UPP, at=at_paris(2026, 12, 1, 10, 0)).said()


def test_closure_mistakes_are_shown_next_to_their_fields(app, client):
    make_account(app)
    sign_in(client)
    base = {"csrf_token": csrf_token(client, UPP_HOURS), "fingerprint": hours_fields(client)["fingerprint"]}
    page = text(client.post("/console/lines/un-premier-pas/closures",
                            data={**base, "start": "2026-12-01T13:00", "end": "2026-12-01T09:00", "reason": "x"}))
    assert '<span class="field-error" id="closure-end-error">La fin doit être après le début.</span>' in page
    page = text(client.post("/console/lines/un-premier-pas/closures",
                            data={**base, "start": "2026-12-01T09:00", "end": "2026-12-01T13:00", "reason": ""}))
    assert ('<span class="field-error" id="closure-reason-error">Indiquez la raison : elle est annoncée aux '
            'appelants.</span>') in page
    page = text(client.post("/console/lines/un-premier-pas/closures",
                            data={**base, "start": "2026-11-01T09:00", "end": "2026-11-02T09:00", "reason": "x"}))
    assert "Cette fin est déjà passée" in page
    page = text(client.post("/console/lines/un-premier-pas/closures", data={**base, "reason": "x"}))
    assert "Indiquez la date et l'heure de début." in page and "Indiquez la date et l'heure de fin." in page
    assert changes(app) == []


def test_a_page_opened_before_someone_else_saved_cannot_overwrite_their_change(app, client):
    make_account(app)
    sign_in(client)
    stale = hours_fields(client, **{"shift-mon-0-end": "16:00"})
    assert client.post(UPP_HOURS, data=hours_fields(client, **{"shift-mon-0-end": "18:00"})).status_code == 302
    response = client.post(UPP_HOURS, data=stale)
    assert response.status_code == 400
    assert "Quelqu'un d'autre a modifié cette ligne depuis l'ouverture de la page" in text(response)
    assert audit_events(app)[-1].after["hours"]["mon"] == ["09:00-18:00"]


def test_a_coordinator_of_another_line_is_refused_its_editors(app, client):
    make_account(app, COORDINATOR_EMAIL, COORDINATOR_PASSWORD, "coordinator", lines=["un-premier-pas"])
    sign_in(client, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)
    token = csrf_token(client, UPP_HOURS)
    for path in ("/console/lines/france-victimes/hours", "/console/lines/france-victimes/chain",
                 "/console/lines/france-victimes/preview", "/console/lines/france-victimes/export.yaml",
                 CENTRE_94):
        assert client.get(path).status_code == 403, path
    for path in ("/console/lines/france-victimes/hours", "/console/lines/france-victimes/closures",
                 "/console/lines/france-victimes/chain", "/console/lines/france-victimes/preview", CENTRE_94):
        assert client.post(path, data={"csrf_token": token}).status_code == 403, path
    assert client.get("/console/lines/no-such-line/hours").status_code == 403  # the same answer, whether it exists


def test_a_department_centre_coordinator_edits_that_centre_only_and_3977_hands_off_by_its_hours(
        app, client, clock, call):
    make_account(app, "centre94@example.org", "le centre du Val-de-Marne", "coordinator", centres=["3977-94"])
    evening = at_paris(2026, 11, 24, 18, 0)  # the centre closes at 17:00: the national platform answers
    assert "+33199000094" not in call("+33199003977", at=evening, presses=["94300#"]).dialled
    sign_in(client, "centre94@example.org", "le centre du Val-de-Marne")
    page = words(client.get("/console/"))
    assert "Horaires de Centre d'écoute 3977 du Val-de-Marne" in page
    assert client.get("/console/centres/3977-75/hours").status_code == 403
    assert client.get("/console/lines/3977/hours").status_code == 403
    fields = hours_fields(client, CENTRE_94, **{"shift-tue-0-end": "20:00"})
    assert client.post(CENTRE_94, data=fields).status_code == 302
    event = audit_events(app)[-1]
    assert (event.target_kind, event.target_slug) == ("centre", "3977-94")
    assert event.after["hours"] == {"mon": ["09:00-17:00"], "tue": ["09:00-20:00"], "wed-fri": ["09:00-17:00"]}
    assert "+33199000094" in call("+33199003977", at=evening, presses=["94300#"]).dialled


def test_saving_the_hours_unchanged_writes_nothing_and_says_so(app, client):
    make_account(app)
    sign_in(client)
    before = revision(app)
    response = client.post(UPP_HOURS, data=hours_fields(client))
    assert response.status_code == 302
    assert "Rien n'a changé : les horaires restent les mêmes." in words(client.get(UPP_HOURS))
    assert revision(app) == before and changes(app) == []


def test_another_shift_row_is_offered_without_saving(app, client):
    make_account(app)
    sign_in(client)
    before = revision(app)
    page = text(client.post(UPP_HOURS, data=hours_fields(client, add="mon")))
    assert 'name="shift-mon-2-start" value=""' in page and 'name="rows-mon" value="3"' in page
    assert 'name="shift-tue-2-start"' not in page
    assert revision(app) == before and changes(app) == []


def test_a_centre_closure_is_added_to_that_centre_and_audited_as_the_centres_file_says_it(app, client):
    make_account(app, "centre94@example.org", "le centre du Val-de-Marne", "coordinator", centres=["3977-94"])
    sign_in(client, "centre94@example.org", "le centre du Val-de-Marne")
    fields = {"csrf_token": csrf_token(client, CENTRE_94), "fingerprint": hours_fields(client, CENTRE_94)["fingerprint"],
              "start": "2026-12-24T12:00", "end": "2026-12-24T17:00", "reason": "réveillon"}
    assert client.post("/console/centres/3977-94/closures", data=fields).status_code == 302
    assert ("Fermée du jeudi 24 décembre 2026 à 12:00 au jeudi 24 décembre 2026 à 17:00 : réveillon"
            in words(client.get(CENTRE_94)))
    event = audit_events(app)[-1]
    assert (event.action, event.target_kind, event.target_slug) == ("schedule.closure.add", "centre", "3977-94")
    assert event.after == {"closures": [{"from": "2026-12-24T12:00:00+01:00", "to": "2026-12-24T17:00:00+01:00",
                                         "reason": "réveillon"}]}


def test_the_holiday_countries_are_named_in_french_from_the_cldr(app, client):
    from tests.support.console import make_account, sign_in, text

    make_account(app)
    sign_in(client)
    page = text(client.get("/console/lines/un-premier-pas/hours"))
    names = re.findall(r'<option value="([A-Z]{2})"[^>]*>([^<]+)</option>', page)
    assert names[:2] == [("FR", "France (FR)"), ("BE", "Belgique (BE)")]
    assert ("DE", "Allemagne (DE)") in names and ("US", "États-Unis (US)") in names
    assert not [name for code, name in names if "Germany" in name or "United States" in name]
    later = [name for _, name in names[2:]]
    assert later.index("Égypte (EG)") < later.index("Espagne (ES)")  # É sorts with the E's


def test_a_refused_save_lists_its_errors_above_the_form_with_a_link_to_each_field(app, client):
    from tests.support.console import UPP_HOURS, hours_fields, make_account, sign_in, text

    make_account(app)
    sign_in(client)
    response = client.post(UPP_HOURS, data=hours_fields(client, **{"shift-fri-0-end": "09:00",
                                                                    "holiday_subdivision": "Atlantis"}))
    assert response.status_code == 400
    page = text(response)
    summary = re.search(r'<div class="error-summary"[^>]*autofocus[^>]*>(.*?)</div>', page, re.S).group(1)
    links = re.findall(r'<a href="#([^"]+)">([^<]*)</a>', summary)
    assert [target for target, _ in links] == ["shift-fri-0-start", "holiday_subdivision"]
    assert links[0][1].startswith("vendredi, plage 1 : « 09:00-09:00 » n'est pas une plage horaire valide")
    assert 'id="shift-fri-0-start"' in page and 'value="09:00"' in page  # what was typed is kept
