"""The chain editor offers pick lists, refuses what cannot work in French, and lists every refusal above the form."""

from __future__ import annotations

import re

from directory_data.problems import ENGLISH
from console.texts import EN, FR
from tests.support.console import chain_fields, changes, make_account, revision, save, sign_in, text

EVC_CHAIN = "/console/lines/ecoute-violences-conjugales/chain"
FV_CHAIN = "/console/lines/france-victimes/chain"
SELF_FORWARD = "Cette règle transfère l'appel vers le numéro de la ligne elle-même."


def options(page: str, select_id: str) -> list[str]:
    found = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', page, re.S)
    return [re.sub(r"\s+", " ", label).strip() for label in re.findall(r"<option[^>]*>([^<]*)</option>", found.group(1))]


def summary_links(page: str) -> list[tuple[str, str]]:
    found = re.search(r'<div class="error-summary"(.*?)</div>', page, re.S)
    return re.findall(r'<a href="#([^"]+)">([^<]*)</a>', found.group(1)) if found else []


def test_a_forward_picks_a_service_or_a_number_of_the_directory_never_the_line_itself(app, client):
    make_account(app)
    sign_in(client)
    page = text(client.get(EVC_CHAIN))
    targets = options(page, "rule-0-target")
    assert targets[0] == "— Choisissez —"
    assert "Le 107 — Télé-Accueil" in targets
    assert "Ligne Un premier pas, Val-de-Marne (+33 1 99 00 94 94)" in targets  # another country: international
    assert "Numéro approuvé pour cette ligne : 02 555 03 01" in targets
    assert not [label for label in targets if "Écoute Violences Conjugales" in label or "0800" in label]
    assert not [label for label in targets if "3919" in label]  # a French service, not one of Belgium's
    assert options(page, "rule-1-pool")[:1] == ["La file de cette ligne"]
    assert "ecoute-violences-conjugales (file de Écoute Violences Conjugales)" in options(page, "rule-1-pool")
    assert chain_fields(page)["rule-0-target"] == "be-107" and chain_fields(page)["rule-1-pool"] == (
        "ecoute-violences-conjugales")


def test_the_association_step_is_in_words_and_saves_as_it_was(app, client):
    make_account(app)
    sign_in(client)
    page = text(client.get(FV_CHAIN))
    assert "chain.action" not in page and "chain.mode" not in page
    assert "Orienter vers l'association locale la plus proche" in options(page, "rule-3-action")
    assert options(page, "rule-3-mode") == ["Donner ses coordonnées à l'appelant", "Transférer l'appel vers elle"]
    assert chain_fields(page)["rule-3-mode"] == "read"
    before = revision(app)
    assert save(client, FV_CHAIN).status_code == 302  # unchanged: saved as it was
    assert save(client, FV_CHAIN, **{"rule-3-mode": "handoff"}).status_code == 302
    assert revision(app) == before + 1  # saving the chain as it was changes nothing
    assert chain_fields(text(client.get(FV_CHAIN)))["rule-3-mode"] == "handoff"


def test_a_forward_to_the_lines_published_number_is_a_self_forward(app, client):
    make_account(app)
    sign_in(client)
    before = revision(app)
    for typed in ("0800 30 030", "+3280030030", "+3225550300"):  # published, its E.164, the Twilio number
        response = save(client, EVC_CHAIN, **{"rule-0-target": typed, "rule-0-label": "nous-mêmes", "rule-0-label_en": "ourselves"})
        assert response.status_code == 400, typed
        page = text(response)
        assert summary_links(page) == [("rule-0-action", f"Règle 1 : {SELF_FORWARD}")], typed
        assert "ni un numéro de l'annuaire" not in page
    assert revision(app) == before and changes(app) == []


def test_a_refused_save_lists_every_problem_above_the_form_and_keeps_what_was_typed(app, client):
    make_account(app)
    sign_in(client)
    response = save(client, **{"rule-1-target": "be-1070", "rule-1-timeout": "200", "rule-1-label": "l'équipe du soir",
                               "rule-0-pool": "un-premer-pas"})
    assert response.status_code == 400
    page = text(response)
    assert re.search(r'<div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1" '
                     r'autofocus', page)
    assert "Il y a un problème" in page and "Rien n'a été enregistré. Corrigez ce qui suit (3)" in page
    assert summary_links(page) == [
        ("rule-0-pool", "Règle 1 : « un-premer-pas » n'est pas une file d'attente de l'annuaire : aucun écoutant n'y "
                        "répondrait. Choisissez une file dans la liste."),
        ("rule-1-target", "Règle 2 : « be-1070 » n'est ni un service connu ni un numéro de téléphone."),
        ("rule-1-timeout", "Règle 2 : Indiquez un nombre entier de 5 à 120."),
    ]
    for field_id, _ in summary_links(page):  # each link names a field of the form
        assert f'id="{field_id}"' in page
    fields = chain_fields(page)
    assert (fields["rule-0-pool"], fields["rule-1-target"], fields["rule-1-timeout"], fields["rule-1-label"]) == (
        "un-premer-pas", "be-1070", "200", "l'équipe du soir")
    assert "« be-1070 » (ne fait pas partie des choix possibles)" in options(page, "rule-1-target")


def test_every_problem_the_loader_can_raise_has_french_and_english_words():
    for code in ENGLISH:
        assert f"problem.{code}" in FR and f"problem.{code}" in EN, code
    assert not [key for key, words in FR.items() if key.startswith("problem.") and "must" in words]
