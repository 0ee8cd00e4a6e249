"""Queued callers hear music between announcements: the engine's own loop, or the line's."""

from __future__ import annotations

import io
import struct
import wave
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ivr.scenarios import Scenario
from ivr.scripts import play
from store.directory import bump_revision
from store.extension import database, directory
from store.models import LineRow

EVC = "ecoute-violences-conjugales"
TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Europe/Brussels"))
BUSY = Scenario({"fr": "busy", "en": "busy"}, TUESDAY_10, staffing="busy", waits=(0, 45))


def test_the_engines_hold_music_is_ten_seconds_of_quiet_sound_a_phone_can_play(client):
    response = client.get("/media/hold-music.wav")
    assert response.status_code == 200 and response.mimetype == "audio/wav"
    with wave.open(io.BytesIO(response.data)) as clip:
        assert (clip.getframerate(), clip.getnchannels(), clip.getsampwidth()) == (8000, 1, 2)
        assert clip.getnframes() == 10 * 8000
        samples = struct.unpack(f"<{clip.getnframes()}h", clip.readframes(clip.getnframes()))
    loudest = max(abs(s) for s in samples)
    assert 0.05 * 32767 < loudest < 0.25 * 32767  # heard, never startling
    assert abs(samples[0]) < 200 and abs(samples[-1]) < 200  # the loop has no click


def test_a_queued_caller_hears_music_between_announcements_never_silence(app):
    with app.app_context(), database.session() as session:
        line = directory.get(session, TUESDAY_10).lines_by_slug[EVC]
    entries = play(app, line, BUSY, "fr").entries
    waiting = entries[next(i for i, e in enumerate(entries) if e.kind == "queue"):]
    assert [e.kind for e in waiting if e.kind in ("music", "silence")] == ["music", "music"]
    assert all(e.text == "hold music, 40 s" for e in waiting if e.kind == "music")  # announce_every 45 s


def test_a_lines_own_hold_music_is_played_instead(app):
    with app.app_context(), database.session() as session:
        row = session.scalar(select(LineRow).where(LineRow.slug == EVC))
        row.settings = {**row.settings, "hold_music": "https://media.example.org/attente.mp3"}
        bump_revision(session, TUESDAY_10)
        session.commit()
        directory.invalidate()
        line = directory.get(session, TUESDAY_10).lines_by_slug[EVC]
    music = [e.text for e in play(app, line, BUSY, "fr").entries if e.kind == "music"]
    assert music == ["https://media.example.org/attente.mp3 (played 1 time)"] * 2
