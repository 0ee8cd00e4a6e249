"""Coordinators edit a line's overflow chain in the console, checked exactly as the directory loader checks files."""

from __future__ import annotations

import html
import re

import yaml

from directory_data.loader import read_directory, write_directory
from store.documents import export_documents, line_document, lines_query
from store.extension import database
from store.models import LineRow
from tests.support.console import (
    CHAIN,
    audit_events,
    chain_fields,
    changes,
    make_account,
    revision,
    save,
    sign_in,
    text,
)

UPP = "+33199009494"
EVC_CHAIN = "/console/lines/ecoute-violences-conjugales/chain"


def rule_error(page: str, index: int, field: str) -> str:
    element = f"rule-{index}-error" if field == "rule" else f"rule-{index}-{field}-error"
    found = re.search(rf'<(?:span|p) class="field-error" id="{element}">([^<]*)<', page)
    return html.unescape(found.group(1)) if found else ""


def words(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text(response)))


def test_the_editor_shows_the_rules_in_order_as_the_file_has_them(app, client):
    make_account(app)
    sign_in(client)
    fields = chain_fields(text(client.get(CHAIN)))
    assert fields["rules"] == "4"
    assert [fields[f"rule-{i}-action"] for i in range(4)] == ["queue", "forward", "message", "end"]
    assert (fields["rule-0-state"], fields["rule-0-pool"]) == ("open", "un-premier-pas")
    assert (fields["rule-1-target"], fields["rule-1-timeout"], fields["rule-1-label"], fields["rule-1-label_en"]) == (
        "+33199009495", "30", "l'équipe d'écoute", "the listening team")
    assert fields["rule-2-forward_failed"] == "yes" and fields["rule-2-message"] == "all_listeners_busy"


def test_moving_a_rule_is_a_draft_until_saved_then_audited_with_the_file_before_and_after(app, client):
    make_account(app)
    sign_in(client)
    before = revision(app)
    page = text(client.get(CHAIN))
    moved = client.post(CHAIN, data=chain_fields(page, op="down-0"))  # the queue rule goes below the forward
    assert moved.status_code == 200
    draft = text(moved)
    assert "Règle déplacée. Enregistrez les règles pour appliquer ce nouvel ordre." in draft
    assert 'name="op" value="down-1" autofocus' in draft  # the focus stays on the moved rule's button
    fields = chain_fields(draft)
    assert (fields["rule-0-action"], fields["rule-1-action"]) == ("forward", "queue")
    assert revision(app) == before and changes(app) == []  # nothing saved yet

    assert client.post(CHAIN, data=chain_fields(draft, op="save")).status_code == 302
    page = words(client.get(CHAIN))
    assert "Les règles sont enregistrées" in page
    assert ("Les règles en vigueur, en mots Si la ligne est ouverte : transférer l'appel vers l'équipe d'écoute "
            "Si la ligne est ouverte : mettre l'appelant en file d'attente « un-premier-pas »") in page
    assert revision(app) == before + 1
    event = audit_events(app)[-1]
    assert (event.action, event.target_slug) == ("chain.update", "un-premier-pas")
    assert event.before["overflow"][0] == {"when": "open", "queue": "un-premier-pas"}
    assert event.after["overflow"][0] == {"when": "open", "forward": "+33199009495", "timeout": 30,
                                          "label": {"fr": "l'équipe d'écoute", "en": "the listening team"}}
    assert event.after["overflow"][1] == {"when": "open", "queue": "un-premier-pas"}


def test_a_new_forward_target_is_dialled_by_the_very_next_call(app, client, call):
    make_account(app)
    sign_in(client)
    assert call(UPP).dialled == ["+33199009495"]
    # Another line's number: a forward may dial any number of the directory.
    assert save(client, **{"rule-1-target": "+33 1 99 00 01 16", "rule-1-timeout": "20"}).status_code == 302
    assert call(UPP).dialled == ["+33199000116"]


def test_adding_and_removing_rules(app, client):
    make_account(app)
    sign_in(client)
    page = text(client.post(CHAIN, data=chain_fields(text(client.get(CHAIN)), op="add")))
    assert "Nouvelle règle ajoutée en fin de liste." in page and 'id="rule-4-action" name="rule-4-action" autofocus' in page
    page = text(client.post(CHAIN, data=chain_fields(page, op="remove-0")))  # the queue rule goes
    fields = chain_fields(page)
    assert fields["rules"] == "4" and fields["rule-0-action"] == "forward"
    # the new last rule, after "end", could never be reached: refused like the loader refuses it
    response = client.post(CHAIN, data=chain_fields(page, op="save"))
    assert response.status_code == 400
    assert rule_error(text(response), 3, "rule") == (
        "Cette règle ne peut jamais s'appliquer : une règle précédente termine toujours l'appel avant elle.")
    assert 'aria-describedby="rule-3-error"' in text(response)
    page = text(client.post(CHAIN, data=chain_fields(text(response), op="remove-3")))
    assert client.post(CHAIN, data=chain_fields(page, op="save")).status_code == 302
    assert [list(r)[-1] for r in audit_events(app)[-1].after["overflow"]] == ["label", "message", "end"]


def test_each_refusal_of_the_loader_is_shown_in_french_next_to_its_rule(app, client):
    make_account(app)
    sign_in(client)
    before = revision(app)
    cases = [
        ({"rule-1-target": UPP}, 1, "rule", "Cette règle transfère l'appel vers le numéro de la ligne elle-même."),
        ({"rule-1-target": "be-1070"}, 1, "target", "« be-1070 » n'est ni un service connu ni un numéro de téléphone."),
        ({"rule-1-timeout": "200"}, 1, "timeout", "Indiquez un nombre entier de 5 à 120."),
        ({"rule-0-pool": "un-premer-pas"}, 0, "pool",  # misspelt: callers would wait where nobody answers
         "« un-premer-pas » n'est pas une file d'attente de l'annuaire : aucun écoutant n'y répondrait. "
         "Choisissez une file dans la liste."),
        ({"rule-0-state": "", "rule-0-action": "end"}, 1, "rule",
         "Cette règle ne peut jamais s'appliquer : une règle précédente termine toujours l'appel avant elle."),
        ({"rule-0-forward_failed": "yes"}, 0, "rule",
         "Cette règle attend l'échec d'un transfert, mais aucune règle précédente ne compose de numéro."),
        ({"rule-1-target": ""}, 1, "target", "Indiquez le service ou le numéro vers lequel transférer."),
        ({"rule-2-message": ""}, 2, "message", "Indiquez le message à diffuser."),
        ({"rule-0-queue_length": "trois"}, 0, "conditions", "Indiquez un nombre entier, ou laissez vide."),
    ]
    for typed, index, field, message in cases:
        response = save(client, **typed)
        assert response.status_code == 400, typed
        assert rule_error(text(response), index, field) == message, typed
    assert revision(app) == before and changes(app) == []


def test_a_forwarding_loop_between_two_lines_is_refused_on_the_rule_that_closes_it(app, client):
    make_account(app)
    sign_in(client)
    # Écoute Violences Conjugales first sends its callers to Un premier pas: no loop yet.
    assert save(client, EVC_CHAIN, **{"rule-2-target": UPP}).status_code == 302
    response = save(client, **{"rule-1-target": "+3225550300"})  # ... and Un premier pas back to it
    assert response.status_code == 400
    assert rule_error(text(response), 1, "rule") == (
        "Ce transfert crée une boucle entre lignes : ecoute-violences-conjugales → un-premier-pas → "
        "ecoute-violences-conjugales. Un appelant tournerait sans fin.")


def test_the_export_is_the_directory_export_file_and_reads_back_as_the_same_line(app, client, tmp_path):
    make_account(app)
    sign_in(client)
    assert save(client, **{"rule-1-target": "+33199000116", "rule-1-label": "l'équipe du soir"}).status_code == 302
    response = client.get("/console/lines/un-premier-pas/export.yaml")
    assert response.status_code == 200 and response.mimetype == "application/yaml"
    assert response.headers["Content-Disposition"] == 'attachment; filename="un-premier-pas.yaml"'
    with app.app_context(), database.session() as session:
        files = export_documents(session)
        saved = line_document(session.scalar(lines_query().where(LineRow.slug == "un-premier-pas")))
    write_directory(files, tmp_path / "export")
    assert response.get_data(as_text=True) == (tmp_path / "export/lines/un-premier-pas.yaml").read_text("utf-8")
    assert yaml.safe_load(response.get_data(as_text=True))["overflow"][1]["label"] == {
        "fr": "l'équipe du soir", "en": "the listening team"}

    (tmp_path / "export/lines/un-premier-pas.yaml").write_bytes(response.get_data())
    again = read_directory(tmp_path / "export")
    [doc] = [d for d in again.lines if d["id"] == "un-premier-pas"]
    assert {k: v for k, v in doc.items() if k != "source_file"} == saved


def test_the_chain_editor_speaks_english_to_an_english_account(app, client):
    make_account(app, "en@example.org", "an English speaker's password", language="en")
    sign_in(client, "en@example.org", "an English speaker's password")
    page = text(client.get(CHAIN))
    assert "Overflow rules: Un premier pas, Val-de-Marne" in page and "Move rule 1 down" in page
    response = save(client, **{"rule-1-target": UPP})
    assert rule_error(text(response), 1, "rule") == "This rule forwards the call to the line's own number."


def test_the_line_page_links_to_the_editors_the_preview_and_the_file(app, client):
    make_account(app)
    sign_in(client)
    page = text(client.get("/console/lines/un-premier-pas"))
    for path, words in (("/hours", "Modifier les horaires, les jours fériés et les fermetures"),
                        ("/chain", "Modifier les règles de débordement"),
                        ("/preview", "Essayer un appel (aperçu du parcours)"),
                        ("/export.yaml", "Télécharger le fichier de la ligne (YAML)")):
        assert re.search(rf'href="/console/lines/un-premier-pas{re.escape(path)}"[^>]*>{re.escape(words)}</a>', page)
