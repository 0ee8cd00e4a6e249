"""Console reports: calls the engine recorded, read back per line and centre, as tables, charts and CSV, in scope."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest

from store.extension import database, directory
from tests.conftest import at_brussels, at_paris
from tests.support.console import COORDINATOR_EMAIL, COORDINATOR_PASSWORD, make_account, sign_in, text
from tests.support.month import FRANCE_VICTIMES, NATIONAL_3977, NOVEMBER, simulate

@pytest.fixture
def admin_client(evc_month):
    make_account(evc_month)
    client = evc_month.test_client()
    sign_in(client)
    return client


def evc_report():
    from console.overview import line_pools
    from store.reports import Period, line_report

    with database.session() as session:
        now = at_brussels(2026, 11, 30, 12, 0)
        snapshot = directory.get(session, now)
        line = snapshot.lines_by_slug["ecoute-violences-conjugales"]
        return line_report(session, snapshot, line, line_pools(line),
                           Period(datetime(2026, 11, 2).date(), datetime(2026, 11, 29).date(), "Europe/Brussels"),
                           0.8, now)


def test_a_line_report_reads_back_the_calls_the_webhooks_recorded(evc_month):
    with evc_month.app_context():
        report = evc_report()
    traffic = report.traffic
    assert traffic.calls == 6  # the two outside the period are left out
    assert traffic.heatmap[1][20] == 1 and traffic.heatmap[2][10] == 1 and traffic.heatmap[0][10] == 1
    assert traffic.heatmap[1][10] == 3  # Tuesday 10h: two answered, one abandoned
    assert sum(map(sum, traffic.heatmap)) == 6
    assert {k: v for k, v in traffic.outcomes.items() if v} == {"answered": 2, "abandoned": 1, "forwarded": 3}
    assert traffic.forwards == {"107": 2, "l'équipe d'écoute": 1}
    assert traffic.closed == {"outside_hours": 1, "holiday": 1, "closure": 0, "override_closed": 0}
    assert traffic.after_hours_email == 0  # the Belgian line gives no email address
    # A first called on 1 November, before the period: each of A's three calls in it is a repeat.
    # B calls for the first time on the 17th and again on the 24th.
    assert traffic.callers == {"first_time": 1, "repeat": 4, "withheld": 1, "not_kept": 0}


def test_service_level_and_abandon_rate_come_from_the_queue_history(evc_month):
    with evc_month.app_context():
        report = evc_report()
    queue = report.queue
    assert (queue.offered, queue.answered, queue.abandoned) == (3, 2, 1)
    assert queue.answered_within == 1  # 30 s within the pool's 60 s; 75 s is not
    assert queue.service_level == 0.5
    assert queue.abandon_rate == 1 / 3  # 90 s is no short abandon
    assert queue.average_talk == 450
    assert report.queue_by_hour[10].offered == 3


def test_coverage_flags_open_hours_with_nobody_and_the_advice_follows_erlang_c(evc_month):
    with evc_month.app_context():
        report = evc_report()
    slots = {(s.weekday, s.hour): s for s in report.slots}
    assert len(slots) == 168
    monday_ten, tuesday_ten, saturday = slots[0, 10], slots[1, 10], slots[5, 10]
    assert not saturday.is_open and saturday.gap is None
    assert monday_ten.open_minutes == 60 and monday_ten.scheduled == 0 and monday_ten.gap == "nobody"
    assert tuesday_ten.scheduled == 1
    # Tuesday 10h: 3 calls over 4 Tuesdays while open = 0.75 an hour; 450 s of talk + 60 s wrap-up each.
    assert tuesday_ten.calls_per_hour == 0.75 and tuesday_ten.handle_seconds == 510
    assert tuesday_ten.handle_source == "slot" and tuesday_ten.advice.listeners == 1 and tuesday_ten.gap is None
    # Monday 10h: one call in four Mondays, no talk there: the period's mean handle time is used.
    assert monday_ten.calls_per_hour == 0.25 and monday_ten.handle_source == "period"
    assert slots[1, 13].gap == "nobody"  # Camille's shift ends at 13:00
    # The closed calls (evening, holiday) are no demand on the listeners.
    assert slots[1, 20].calls_per_hour == 0 and slots[2, 10].calls_per_hour == 0


def test_the_report_page_shows_charts_beside_tables_and_the_gaps(admin_client):
    page = text(admin_client.get("/console/reports/lines/ecoute-violences-conjugales", query_string=NOVEMBER))
    assert "Rapport : Écoute Violences Conjugales" in page
    assert "Du lundi 2 novembre 2026 au dimanche 29 novembre 2026 inclus, heure de Bruxelles (28 jours)." in page
    for chart in ("heatmap", "service", "outcomes", "callers", "coverage"):
        assert f'src="/console/reports/lines/ecoute-violences-conjugales/{chart}.svg?from=2026-11-02' in page
    assert '<th scope="row">Transféré (ligne de relais, p. ex. le 107)</th><td>3</td><td>50,0 %</td>' in page
    assert "<th scope=\"row\">107</th><td>2</td>" in page
    assert "Niveau de service (pris en 60 s / pris)</th><td>50,0 %</td>" in page
    # Monday to Friday 9–19 is 50 open hours; Camille covers Tuesday 9–13.
    assert "46 créneaux ouverts sans écoutant prévu, 0 créneaux avec moins d'écoutants que conseillé." in page


def test_a_chart_is_an_svg_picture_drawn_from_the_same_figures(admin_client):
    response = admin_client.get("/console/reports/lines/ecoute-violences-conjugales/heatmap.svg",
                                query_string=NOVEMBER)
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    body = response.get_data(as_text=True)
    assert "<svg" in body and "<script" not in body
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert admin_client.get("/console/reports/lines/ecoute-violences-conjugales/nothing.svg").status_code == 404


def csv_rows(response) -> list[list[str]]:
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode()), "Excel needs the byte-order mark to read UTF-8"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def test_csv_export_has_the_tables_rows_in_utf8_with_a_bom(admin_client):
    response = admin_client.get("/console/reports/lines/ecoute-violences-conjugales/outcomes.csv",
                                query_string=NOVEMBER)
    assert response.mimetype == "text/csv"
    assert "ecoute-violences-conjugales-outcomes-2026-11-02-2026-11-29.csv" in response.headers["Content-Disposition"]
    rows = csv_rows(response)
    assert rows[0] == ["Issue", "Appels", "Part (%)"]
    by_outcome = {row[0]: row[1:] for row in rows[1:]}
    assert by_outcome["Pris par un écoutant"] == ["2", "33,3"]
    assert by_outcome["Raccroché en file d'attente"] == ["1", "16,7"]
    assert by_outcome["Rappel demandé"] == ["0", "0,0"]
    heatmap = csv_rows(admin_client.get("/console/reports/lines/ecoute-violences-conjugales/heatmap.csv",
                                        query_string=NOVEMBER))
    assert heatmap[0][:3] == ["Jour", "00h", "01h"] and heatmap[0][-1] == "Total"
    assert [row[0] for row in heatmap[1:]] == ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi",
                                               "dimanche"]
    assert heatmap[2][1 + 10] == "3" and heatmap[2][-1] == "4"  # Tuesday: 10h three times, 20h once
    coverage = csv_rows(admin_client.get("/console/reports/lines/ecoute-violences-conjugales/coverage.csv",
                                         query_string=NOVEMBER))
    tuesday_ten = next(row for row in coverage if row[:2] == ["mardi", "10h"])
    assert tuesday_ten == ["mardi", "10h", "60", "1", "0,75", "510", "ce créneau", "1", tuesday_ten[8], "—"]


def test_an_english_reader_gets_commas_and_decimal_points(evc_month):
    make_account(evc_month, "en@example.org", "an english password", language="en", name="Sam")
    client = evc_month.test_client()
    sign_in(client, "en@example.org", "an english password")
    response = client.get("/console/reports/lines/ecoute-violences-conjugales/callers.csv", query_string=NOVEMBER)
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[0] == ["Caller", "Calls", "Share (%)"]
    assert rows[2] == ["Has called this line before", "4", "66.7"]


def test_a_bad_period_is_refused_with_words_not_figures(admin_client):
    response = admin_client.get("/console/reports/lines/ecoute-violences-conjugales",
                                query_string={"from": "2026-11-29", "to": "2026-11-02"})
    assert response.status_code == 400
    assert "La fin de la période doit suivre son début." in text(response)
    response = admin_client.get("/console/reports/lines/ecoute-violences-conjugales",
                                query_string={"from": "2025-01-01", "to": "2026-11-29", "target": "120"})
    page = text(response)
    assert "La période ne peut pas dépasser 366 jours." in page and "de 50 à 99" in page
    assert admin_client.get("/console/reports/lines/ecoute-violences-conjugales/outcomes.csv",
                            query_string={"from": "hier"}).status_code == 400


def test_by_default_the_last_four_weeks_in_the_lines_time_zone(admin_client):
    page = text(admin_client.get("/console/reports/lines/ecoute-violences-conjugales"))
    # The clock reads Monday 30 November 12:00 in Brussels.
    assert "Du mardi 3 novembre 2026 au lundi 30 novembre 2026 inclus" in page
    assert 'value="2026-11-03"' in page and 'value="80"' in page


def test_a_coordinator_sees_only_their_lines_and_a_listener_no_report(app, client):
    make_account(app, COORDINATOR_EMAIL, COORDINATOR_PASSWORD, "coordinator", lines=["un-premier-pas"],
                 name="Camille Coordination")
    sign_in(client, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)
    index = text(client.get("/console/reports/"))
    assert "Un premier pas, Val-de-Marne" in index and "Écoute Violences Conjugales" not in index
    assert client.get("/console/reports/lines/un-premier-pas").status_code == 200
    for path in ("/console/reports/lines/ecoute-violences-conjugales",
                 "/console/reports/lines/ecoute-violences-conjugales/outcomes.csv",
                 "/console/reports/lines/ecoute-violences-conjugales/heatmap.svg",
                 "/console/reports/centres/3977-94", "/console/reports/centres/3977-94/heatmap.svg"):
        assert client.get(path).status_code == 403, path

    make_account(app, "ecoutant@example.org", "a listener's password", "listener", name="Lou")
    listener = app.test_client()
    sign_in(listener, "ecoutant@example.org", "a listener's password")
    for path in ("/console/reports/", "/console/reports/lines/un-premier-pas",
                 "/console/reports/lines/un-premier-pas/outcomes.csv"):
        assert listener.get(path).status_code == 403, path
    assert "/console/reports/" not in text(listener.get("/console/"))


def test_an_admin_sees_every_line_and_centre(app, client):
    make_account(app)
    sign_in(client)
    index = text(client.get("/console/reports/"))
    for name in ("3977", "France Victimes 116 006", "Un premier pas, Val-de-Marne", "Écoute Violences Conjugales"):
        assert name in index
    assert "/console/reports/centres/3977-94" in index


def test_a_centre_report_counts_the_calls_handed_to_it(app, client, clock):
    simulate(app, clock, NATIONAL_3977, at_paris(2026, 11, 24, 10, 0), caller="+33612345678", presses=["94300#"])
    simulate(app, clock, NATIONAL_3977, at_paris(2026, 11, 24, 11, 0), caller="+33612345678", presses=["94300#"],
             outcomes={"+33199000094": "no-answer"})
    simulate(app, clock, NATIONAL_3977, at_paris(2026, 11, 24, 11, 30), caller="+33612345679", presses=["75001#"])
    clock.now = at_paris(2026, 11, 30, 9, 0)
    make_account(app, "centre94@example.org", "centre 94 password", "coordinator", centres=["3977-94"], name="Noa")
    sign_in(client, "centre94@example.org", "centre 94 password")
    page = text(client.get("/console/reports/centres/3977-94"))
    assert "Appels confiés au centre</th><td>2</td>" in page
    assert "Appels pris par le centre</th><td>1</td>" in page
    rows = csv_rows(client.get("/console/reports/centres/3977-94/callers.csv"))
    assert rows[1][:2] == ["Premier appel sur cette ligne", "1"] and rows[2][:2] == ["A déjà appelé cette ligne", "1"]
    assert client.get("/console/reports/centres/3977-75").status_code == 403


def test_after_hours_email_counts_closed_calls_on_a_line_that_gives_one(app, client, clock):
    simulate(app, clock, FRANCE_VICTIMES, at_paris(2026, 11, 22, 21, 30))  # Sunday night: closed, email read
    simulate(app, clock, FRANCE_VICTIMES, at_paris(2026, 11, 23, 22, 0), caller="anonymous")
    clock.now = at_paris(2026, 11, 24, 9, 0)
    make_account(app)
    sign_in(client)
    rows = csv_rows(client.get("/console/reports/lines/france-victimes/closed.csv"))
    by_reason = {row[0]: row[1] for row in rows[1:]}
    assert by_reason["En dehors des horaires"] == "2"
    assert by_reason["Adresse e-mail donnée aux appelants (ligne fermée)"] == "2"
    outcomes = {row[0]: row[1] for row in csv_rows(client.get("/console/reports/lines/france-victimes/outcomes.csv"))}
    assert outcomes["Ligne fermée : message puis fin d'appel"] == "2"


def test_a_caller_who_refused_a_callback_is_counted_without_their_number(app, client, clock):
    # Saturday evening, the 3977 is closed: no postal code given, then the callback refused (key 2).
    simulate(app, clock, NATIONAL_3977, at_paris(2026, 11, 28, 20, 0), caller="+33612345678", presses=["#", "2"])
    simulate(app, clock, NATIONAL_3977, at_paris(2026, 11, 28, 20, 30), caller="+33612345678", presses=["#", "2"])
    clock.now = at_paris(2026, 11, 30, 9, 0)
    make_account(app)
    sign_in(client)
    rows = {row[0]: row[1] for row in csv_rows(client.get("/console/reports/lines/3977/callers.csv"))[1:]}
    # Nothing links the two calls: neither is known as a repeat.
    assert rows == {"Premier appel sur cette ligne": "0", "A déjà appelé cette ligne": "0", "Numéro masqué": "0",
                    "Numéro non conservé (rappel refusé ou durée de conservation passée)": "2"}
    closed = {row[0]: row[1] for row in csv_rows(client.get("/console/reports/lines/3977/closed.csv"))[1:]}
    assert closed["En dehors des horaires"] == "2"


def test_every_word_of_the_reports_exists_in_french_and_english():
    import re
    from pathlib import Path

    from console import texts
    from routing.traffic import CALLER_KINDS, CLOSED_REASONS, OUTCOME_ORDER

    root = Path(__file__).resolve().parents[3] / "console" / "reports"
    sources = [*root.glob("*.py"), *root.glob("templates/console/*.html")]
    used = {key for path in sources for key in re.findall(r"\bt\(['\"]([a-z_.]+)['\"]", path.read_text())}
    used |= {f"outcome.{o}" for o in OUTCOME_ORDER} | {f"closed.{r}" for r in CLOSED_REASONS}
    used |= {f"caller.{k}" for k in CALLER_KINDS} | {f"handle.{h}" for h in ("slot", "period", "default")}
    used |= {f"gap.{g}" for g in ("nobody", "short", "none", "covered")}
    assert len(used) > 60
    for language in ("fr", "en"):
        missing = sorted(key for key in used if key not in texts.TEXTS[language])
        assert missing == [], (language, missing)


def test_a_call_placed_after_a_report_was_read_shows_in_the_next_reading(app, client, clock):
    clock.now = at_paris(2026, 11, 24, 9, 0)
    make_account(app)
    sign_in(client)

    def calls_received() -> str:
        rows = csv_rows(client.get("/console/reports/lines/france-victimes/summary.csv"))
        return next(row[1] for row in rows if row[0] == "Appels reçus")

    assert calls_received() == "0"
    simulate(app, clock, FRANCE_VICTIMES, at_paris(2026, 11, 24, 9, 1))
    clock.now = at_paris(2026, 11, 24, 9, 2)
    assert calls_received() == "1"  # the page just read is remembered, but not past a new call


def test_a_line_without_calls_still_draws_every_chart_and_says_so(app, client):
    make_account(app)
    sign_in(client)
    page = text(client.get("/console/reports/lines/un-premier-pas"))
    assert "Aucun appel sur cette période." in page
    for chart in ("heatmap", "service", "outcomes", "callers", "coverage"):
        response = client.get(f"/console/reports/lines/un-premier-pas/{chart}.svg")
        assert response.status_code == 200 and b"<svg" in response.data, chart
    for chart in ("heatmap", "outcomes", "callers"):
        assert client.get(f"/console/reports/centres/3977-94/{chart}.svg").status_code == 200, chart


def test_durations_read_as_minutes_and_seconds_and_every_figure_is_explained(admin_client):
    page = text(admin_client.get("/console/reports/lines/ecoute-violences-conjugales", query_string=NOVEMBER))
    # 450 s of talk on average: read as 7:30 min, its header without "(s)" but saying the unit of what it shows.
    assert '<th scope="row">Durée moyenne de conversation</th><td>7:30 min</td>' in page
    assert "(s)</th>" not in page and "Durée de traitement (min:s)</th>" in page
    for note in ("Niveau de service : parmi les appelants pris par un écoutant, la part prise en 60 s au plus.",
                 "« — » : personne n'a été mis en attente sur la période.",
                 "Dans chaque case du graphique : écoutants prévus / écoutants conseillés pour cette heure (« 1/0 »",
                 "Écoutants prévus : le plus petit nombre d'écoutants dont l'horaire couvre cette heure"):
        assert note in page, note
    summary = csv_rows(admin_client.get("/console/reports/lines/ecoute-violences-conjugales/summary.csv",
                                        query_string=NOVEMBER))
    assert ["Durée moyenne de conversation (s)", "450"] in summary  # the CSV stays in seconds, and says so
    coverage = csv_rows(admin_client.get("/console/reports/lines/ecoute-violences-conjugales/coverage.csv",
                                         query_string=NOVEMBER))
    assert "Durée de traitement (s)" in coverage[0]
