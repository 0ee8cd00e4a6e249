"""The audit log reads as French sentences in the line's own time, never as JSON."""

from __future__ import annotations

import re

from tests.support.console import (CHAIN, UPP_HOURS, csrf_token, hours_fields, make_account, save, sign_in, text,
                                   words)


def entries(client) -> list[str]:
    page = text(client.get("/console/audit"))
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", item)).strip()
            for item in re.findall(r"<li>\s*<p><time.*?</li>\s*(?=<li>|</ol>)", page, re.S)]


def test_each_change_is_a_sentence_with_its_values_in_words_and_the_lines_time(app, client):
    make_account(app)
    sign_in(client)
    client.post(UPP_HOURS, data=hours_fields(client, **{"shift-fri-0-end": "19:00"}))
    save(client, **{"rule-1-timeout": "25"})
    evc = "/console/lines/ecoute-violences-conjugales"
    client.post(f"{evc}/overrides", data={"mode": "closed", "reason": "réunion", "until": "2026-11-24T15:00",
                                          "csrf_token": csrf_token(client, evc)})
    override, chain, hours = entries(client)[:3]
    assert override.startswith("mardi 24 novembre 2026 à 10:00 (heure de Bruxelles) — admin@example.org : "
                               "décision de coordinateur")
    assert "ligne « Écoute Violences Conjugales »." in override
    assert ("État : Ouverte selon les horaires habituels — ferme aujourd'hui à 19:00 → Fermée par décision d'un "
            "coordinateur : réunion — rouvre aujourd'hui à 15:00") in override
    assert hours.startswith("mardi 24 novembre 2026 à 10:00 (heure de Paris) — admin@example.org : ")
    assert hours.endswith("Horaires de la semaine : lundi–vendredi 09:00–17:00 → lundi–jeudi 09:00–17:00 ; "
                          "vendredi 09:00–19:00")
    assert ("Règle de débordement, n° 2 : quand : ouverte ; transfert vers : +33199009495 ; sonnerie (s) : 30 ; "
            "nom annoncé : en français : l'équipe d'écoute ; en anglais : the listening team → quand : ouverte ; "
            "transfert vers : +33199009495 ; sonnerie (s) : 25 ;") in chain
    assert "forçage" not in override and "+00:00" not in override
    page = words(client.get("/console/audit"))
    assert "{" not in page and '"overflow"' not in page and "UTC" not in page
