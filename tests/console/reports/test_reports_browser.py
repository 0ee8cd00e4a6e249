"""Reports in a real browser: the charts load and draw under the console's CSP, tables beside them, CSV downloads."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import expect

from tests.support.console import ADMIN_EMAIL, ADMIN_PASSWORD, make_account, sign_in_page
from tests.support.live_server import served

REPORT = "/console/reports/lines/ecoute-violences-conjugales?from=2026-11-02&to=2026-11-29"
CHARTS = ("Appels par jour de la semaine et par heure", "Niveau de service par heure d'arrivée en file",
          "Issue des appels", "Appelants", "Créneaux ouverts ou avec des appels")

# Draws the picture on a canvas and counts coloured pixels: an SVG whose styles were refused draws in black only.
COLOURED_PIXELS = """(img) => {
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
  const context = canvas.getContext('2d');
  context.drawImage(img, 0, 0);
  const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
  let coloured = 0;
  for (let i = 0; i < data.length; i += 4) {
    const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
    if (a > 0 && Math.max(r, g, b) - Math.min(r, g, b) > 60) coloured++;
  }
  return coloured;
}"""


@pytest.fixture
def report_server(evc_month):  # noqa: F811
    with served(evc_month, "reports-live-server") as base:
        yield base


def test_the_report_shows_drawn_charts_beside_their_tables_and_downloads_csv(evc_month, report_server, page,  # noqa: F811
                                                                             artifacts_dir):
    make_account(evc_month)
    refused = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    sign_in_page(page, report_server, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.get_by_role("link", name="Rapports").click()
    expect(page.get_by_role("heading", name="Rapports", level=1)).to_be_visible()
    page.goto(report_server + REPORT)
    expect(page.get_by_role("heading", name="Rapport : Écoute Violences Conjugales", level=1)).to_be_visible()

    for caption in CHARTS:
        image = page.get_by_role("img", name=f"Graphique : {caption}.", exact=False)
        image.scroll_into_view_if_needed()
        expect(image).to_be_visible()
        page.wait_for_function("(img) => img.complete", arg=image.element_handle())
        assert image.evaluate("(img) => img.naturalWidth") > 0, caption
        assert image.evaluate(COLOURED_PIXELS) > 500, f"{caption}: drawn without its colours"
        expect(page.get_by_role("table", name=caption)).to_be_visible()
    assert refused == []

    outcomes = page.get_by_role("table", name="Issue des appels")
    expect(outcomes.get_by_role("row", name="Pris par un écoutant 2 33,3 %")).to_be_visible()
    coverage = page.locator("#coverage-gaps")
    expect(coverage).to_contain_text("46 créneaux ouverts sans écoutant prévu")
    page.screenshot(path=str(artifacts_dir / "console-report-line.png"), full_page=True)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger « Issue des appels » en CSV").click()
    download = download_info.value
    assert download.suggested_filename == "ecoute-violences-conjugales-outcomes-2026-11-02-2026-11-29.csv"
    body = open(download.path(), "rb").read()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Issue", "Appels", "Part (%)"]
    assert ["Pris par un écoutant", "2", "33,3"] in rows and ["Raccroché en file d'attente", "1", "16,7"] in rows
    assert len(rows) == 12  # the header and the eleven outcomes


def test_the_period_form_works_from_the_keyboard(evc_month, report_server, page, artifacts_dir):  # noqa: F811
    make_account(evc_month)
    sign_in_page(page, report_server, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.goto(report_server + "/console/reports/lines/ecoute-violences-conjugales")
    page.get_by_label("Du").fill("2026-11-16")
    page.get_by_label("Au (inclus)").fill("2026-11-22")
    page.get_by_label("Objectif de niveau de service (%)").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Du lundi 16 novembre 2026 au dimanche 22 novembre 2026 inclus")).to_be_visible()
    summary = page.get_by_role("table", name="En bref")
    expect(summary.get_by_role("row", name="Appels reçus 3")).to_be_visible()  # 16 Nov, and two on the 17th
    page.screenshot(path=str(artifacts_dir / "console-report-week.png"), full_page=True)
