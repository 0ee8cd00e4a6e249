"""In a real browser: a coordinator flags the caller of a call from the call log, classifies a call, and reads
the category report with its chart."""

from __future__ import annotations

import uuid

from playwright.sync_api import expect
from sqlalchemy import select

from store.categories import classify
from store.extension import database, directory
from store.models import Call
from tests.conftest import SignedTwilio, at_paris
from tests.support.console import COORDINATOR_EMAIL, COORDINATOR_PASSWORD, make_account, sign_in_page

UN_PREMIER_PAS = "+33199009494"
CALLER = "+33612345678"


def incoming(app, caller=CALLER) -> tuple[str, str]:
    sid = "CA" + uuid.uuid4().hex
    response = SignedTwilio(app.test_client()).post(
        "/voice/incoming", {"CallSid": sid, "From": caller, "To": UN_PREMIER_PAS, "CallStatus": "ringing"})
    return sid, response.get_data(as_text=True)


def answered_call(app, caller=CALLER, category=None) -> int:
    sid, _ = incoming(app, caller)
    with app.app_context(), database.session() as session:
        call = session.scalar(select(Call).where(Call.sid == sid))
        call.outcome, call.duration = "answered", 420
        if category:
            line = directory.get(session, app.config["CLOCK"]()).lines_by_slug["un-premier-pas"]
            classify(session, call, next(c for c in line.categories if c.slug == category), app.config["CLOCK"](), "keypad")
        session.commit()
        return call.id


def test_a_coordinator_flags_the_caller_of_a_call_from_the_call_log(app, live_server, page, artifacts_dir, clock):
    make_account(app, COORDINATOR_EMAIL, COORDINATOR_PASSWORD, "coordinator", lines=["un-premier-pas"],
                 name="Camille Coordination")
    clock.now = at_paris(2026, 11, 24, 9, 30)
    answered_call(app, caller="+33698765432", category="violences-conjugales")
    clock.now = at_paris(2026, 11, 24, 10, 0)
    nuisance = answered_call(app)
    withheld = answered_call(app, caller="anonymous")
    sign_in_page(page, live_server, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)
    page.get_by_role("link", name="Journal des appels").click()
    rows = page.locator("table.call-log tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator(f"#appel-{nuisance}")).to_contain_text("Non classé")
    expect(page.locator("main")).not_to_contain_text("06 12 34 56 78")
    expect(page.locator("main")).not_to_contain_text(CALLER)
    page.screenshot(path=str(artifacts_dir / "console-call-log.png"), full_page=True)

    # A withheld caller: the page says why nobody can flag them, and offers no form.
    page.locator(f"#appel-{withheld}").get_by_role("link", name="Détails de l'appel du 2026-11-24 10:00").click()
    expect(page.locator("#not-flaggable")).to_have_text(
        "Numéro masqué : cet appelant ne peut pas être signalé. Les numéros masqués ne sont jamais bloqués en tant que tels.")
    expect(page.get_by_role("button", name="Signaler l'appelant")).to_have_count(0)
    page.get_by_role("link", name="Retour au journal des appels").click()

    page.locator(f"#appel-{nuisance}").get_by_role("link", name="Détails").click()
    page.get_by_label("Catégorie", exact=True).select_option(label="9. Appel abusif")
    page.get_by_role("button", name="Enregistrer la catégorie").click()
    expect(page.get_by_role("status")).to_have_text("La catégorie de l'appel est enregistrée.")
    expect(page.locator("#call-category")).to_have_text("Appel abusif")

    page.get_by_role("button", name="Signaler l'appelant").click()  # nothing filled in
    expect(page.locator("#reason-error")).to_have_text("Indiquez la raison du signalement.")
    expect(page.get_by_label("Raison (obligatoire)")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Un message, puis fin de l'appel").check()
    page.get_by_label("Dernier jour du signalement").fill("2026-12-08")
    page.get_by_label("Raison (obligatoire)").fill("insultes envers les écoutantes, douze appels hier soir")
    page.get_by_role("button", name="Signaler l'appelant").click()
    expect(page.get_by_role("status")).to_contain_text("L'appelant est signalé.")
    expect(page.locator("#active-flag")).to_contain_text(
        "Appelant signalé sur Un premier pas, Val-de-Marne : Un message, puis fin de l'appel, jusqu'au 2026-12-08 inclus.")
    page.screenshot(path=str(artifacts_dir / "console-flag-caller.png"), full_page=True)

    # The next call from that number hears the message; another caller is answered as usual.
    clock.now = at_paris(2026, 11, 24, 10, 15)
    assert "Cette ligne ne peut pas donner suite à votre appel." in incoming(app)[1]
    assert "Un premier pas" in incoming(app, caller="+33611112222")[1]

    page.get_by_role("link", name="Appelants signalés").click()
    expect(page.locator("table.flags tbody tr")).to_have_count(1)
    page.get_by_role("button", name="Lever le signalement").click()
    expect(page.get_by_role("status")).to_have_text("Le signalement est levé.")
    expect(page.locator("main")).to_contain_text("Aucun signalement en cours.")
    assert "Un premier pas" in incoming(app)[1]


def test_a_coordinator_reads_the_category_report_as_a_chart_and_a_table(app, live_server, page, artifacts_dir, clock):
    make_account(app, COORDINATOR_EMAIL, COORDINATOR_PASSWORD, "coordinator", lines=["un-premier-pas"],
                 name="Camille Coordination")
    for month, categories in ((9, ["violences-conjugales", "violences-conjugales", "information"]),
                              (10, ["violences-conjugales", "violences-sexuelles", None]),
                              (11, ["mise-a-l-abri", "violences-conjugales"])):
        for index, category in enumerate(categories):
            clock.now = at_paris(2026, month, 10 + index, 11, 0)
            answered_call(app, caller=f"+336000000{month}{index}", category=category)
    clock.now = at_paris(2026, 11, 24, 10, 0)
    sign_in_page(page, live_server, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)
    page.get_by_role("link", name="Rapport par catégorie").click()
    expect(page.get_by_role("heading", name="Appels par catégorie")).to_be_visible()
    page.get_by_label("Du mois").fill("2026-09")
    page.get_by_label("Au mois (inclus)").fill("2026-11")
    page.get_by_label("Ligne", exact=True).select_option(label="Un premier pas, Val-de-Marne")
    page.get_by_role("button", name="Afficher").click()

    table = page.locator("#by-month")
    expect(table.locator("thead th")).to_have_text(["Catégorie", "2026-09", "2026-10", "2026-11", "Total"])
    expect(table.locator("tr", has_text="Violences conjugales").locator("td")).to_have_text(["2", "1", "1", "4"])
    expect(table.locator("tr", has_text="Non classé").locator("td")).to_have_text(["0", "1", "0", "1"])
    expect(table.locator("tfoot td")).to_have_text(["3", "3", "2", "8"])
    chart = page.get_by_role("img", name="Graphique : part de chaque catégorie d'appel par mois, de 2026-09 à 2026-11. "
                                         "Les mêmes chiffres figurent dans le tableau ci-dessous.")
    expect(chart).to_be_visible()
    # The SVG is drawn by matplotlib on request: wait until the browser has it decoded.
    page.wait_for_function("() => { const i = document.querySelector('.chart img'); return i.complete && i.naturalWidth > 0; }",
                           timeout=30_000)
    page.screenshot(path=str(artifacts_dir / "console-category-report.png"), full_page=True)

    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger le CSV").click()
    lines = open(download.value.path(), encoding="utf-8").read().splitlines()
    assert lines[0] == "mois,ligne,centre,categorie,libelle,appels"
    assert "2026-09,\"Un premier pas, Val-de-Marne\",Équipe de la ligne,violences-conjugales,Violences conjugales,2" in lines
