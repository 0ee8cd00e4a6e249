"""The engine's own hold music: a short, quiet loop of chords, made here so no audio file needs a licence."""

from __future__ import annotations

import io
import math
import struct
import wave
from functools import lru_cache

from flask import Blueprint, Response

RATE = 8000  # Twilio plays telephone-quality audio: 8 kHz mono is all a caller's phone can hear
CHORD_SECONDS = 2.5
# C major, A minor, F major, G major: a slow, calm progression around middle C.
CHORDS = ((261.63, 329.63, 392.00), (220.00, 261.63, 329.63), (174.61, 220.00, 261.63), (196.00, 246.94, 293.66))
CLIP_SECONDS = CHORD_SECONDS * len(CHORDS)  # 10 s: the queue loops it to fill the time between announcements
VOLUME = 0.18  # well under full scale: music on hold should never startle

hold_music = Blueprint("hold_music", __name__, url_prefix="/media")


@lru_cache(maxsize=1)
def clip() -> bytes:
    """A WAV file of CLIP_SECONDS seconds, its chords fading in and out so that the loop has no click."""
    samples = []
    per_chord = int(RATE * CHORD_SECONDS)
    for chord in CHORDS:
        for n in range(per_chord):
            t = n / RATE
            envelope = math.sin(math.pi * n / per_chord)  # 0 at both ends of each chord
            value = sum(math.sin(2 * math.pi * f * t) for f in chord) / len(chord)
            samples.append(int(32767 * VOLUME * envelope * value))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(struct.pack(f"<{len(samples)}h", *samples))
    return buffer.getvalue()


@hold_music.route("/hold-music.wav", methods=("GET",))
def music() -> Response:
    """Fetched by Twilio's <Play> (a plain GET, no caller data): public and cacheable."""
    return Response(clip(), mimetype="audio/wav", headers={"Cache-Control": "public, max-age=86400"})


def loops_for(seconds: float) -> int:
    """How many plays of the clip fill ``seconds`` (at least one)."""
    return max(1, round(seconds / CLIP_SECONDS))
