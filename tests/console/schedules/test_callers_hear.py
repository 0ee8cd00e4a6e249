"""The console's "Ce qu'entendent les appelants": every path of a line as callers hear it, and its hold music."""

from __future__ import annotations

import re

from tests.support.console import (
    COORDINATOR_EMAIL,
    COORDINATOR_PASSWORD,
    audit_events,
    csrf_token,
    make_account,
    sign_in,
    text,
)

EVC = "/console/lines/ecoute-violences-conjugales/callers-hear"
EVC_MUSIC = "/console/lines/ecoute-violences-conjugales/hold-music"


def words(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text(response)))


def coordinator_of(app, client, line="ecoute-violences-conjugales"):
    make_account(app, email=COORDINATOR_EMAIL, password=COORDINATOR_PASSWORD, role="coordinator", lines=[line],
                 name="Camille")
    sign_in(client, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)


def test_a_coordinator_reads_every_path_of_the_belgian_line_with_belgian_emergency_numbers(app, client):
    coordinator_of(app, client)
    page = words(client.get(EVC))
    assert "Ce qu'entendent les appelants : Écoute Violences Conjugales" in page
    assert "Si vous êtes en danger immédiat, appelez le 101 ou le 112." in page
    assert "appelez le 17" not in page and "114" not in page
    assert "Nous vous mettons en relation avec le 107, Télé-Accueil. Restez en ligne." in page
    assert "Jour férié : Noël" in page and "musique d'attente" in page
    english = words(client.get(EVC + "?lang=en"))
    assert "If you are in immediate danger, call 101 or 112." in english


def test_another_lines_coordinator_cannot_read_it(app, client):
    coordinator_of(app, client, line="un-premier-pas")
    assert client.get(EVC).status_code == 403
    assert client.post(EVC_MUSIC, data={"hold_music": "https://x.example/a.mp3",
                                        "csrf_token": csrf_token(client, "/console/")}).status_code == 403


def test_the_hold_music_is_changed_audited_and_heard_by_the_next_queued_caller(app, client):
    coordinator_of(app, client)
    token = csrf_token(client, EVC)
    refused = client.post(EVC_MUSIC, data={"hold_music": "musique.mp3", "csrf_token": token})
    assert refused.status_code == 400 and "commence par http:// ou https://" in words(refused)
    saved = client.post(EVC_MUSIC, data={"hold_music": "https://media.example.org/attente.mp3", "csrf_token": token})
    assert saved.status_code == 302
    event = audit_events(app)[-1]
    assert event.action == "line.hold_music"
    assert event.after == {"hold_music": "https://media.example.org/attente.mp3"}
    page = words(client.get(EVC))
    assert "https://media.example.org/attente.mp3 (joué 1 fois)" in page
