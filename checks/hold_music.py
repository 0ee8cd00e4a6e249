"""What a conference's waitUrl, holdUrl or announceUrl plays, as Twilio reads them.

Twilio (``<Conference>`` and Participant resource docs): each may return an audio file (MP3 or WAV) or a TwiML
document of ``<Play>``, ``<Say>``, ``<Pause>`` and ``<Redirect>`` only (error 13238 otherwise); the music loops
while the participant waits or is on hold. With no URL, Twilio plays its default hold music; an empty waitUrl
plays nothing at all."""

from __future__ import annotations

import urllib.parse
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from checks.call_record import PLAY_SECONDS, SPEECH_CHARS_PER_SECOND
from checks.twilio_http import media_heard, signed_request

DEFAULT_MUSIC = "Twilio default hold music"
MUSIC_VERBS = {"Play", "Say", "Pause", "Redirect"}
MAX_FETCHES = 200  # a hold of hours at a document a minute: enough, and a loop of redirects stops


@dataclass
class Music:
    """What plays, in order: (kind, seconds, text) pieces, kind say / play / silence, then again from ``loop_from``;
    problems found reading it; every document body served, for the checks on what a party's leg was sent.

    A ``<Redirect>`` is followed when the music reaches it, as Twilio does: ``pending`` holds it until then, and
    ``keep_playing`` fetches it at that virtual instant (the engine answers with its clock then: "held for 4 s")."""
    pieces: list[tuple[str, float, str]] = field(default_factory=list)
    loop_from: int = 0  # the piece the loop starts again at: a verb with loop="0" plays forever from there
    problems: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    pending: tuple[str, str] | None = None  # (url, method) of the <Redirect> the music has not reached yet
    active: bool = True  # still heard by someone: a redirect reached after the hold or the wait ended is not fetched

    @property
    def seconds(self) -> float:
        return sum(seconds for _, seconds, _ in self.pieces)


def default_music() -> Music:
    return Music([("play", PLAY_SECONDS, DEFAULT_MUSIC)])


def fetch_music(auth_token: str, url: str | None, method: str, params: dict[str, str]) -> Music:
    """What a participant hears from ``url`` (None: Twilio's default music; "": nothing), up to a <Redirect>."""
    if url is None:
        return default_music()
    if not url:
        return Music([("silence", 1.0, "empty waitUrl")])
    music = Music()
    _read(auth_token, url, method or "POST", params, music)
    if music.seconds <= 0 and music.pending is None:
        music.pieces.append(("silence", 1.0, f"nothing playable at {urllib.parse.urlsplit(url).path}"))
    return music


def keep_playing(world, auth_token: str, music: Music, params: dict[str, str], began: float, fetched: int = 0) -> None:
    """Follow ``music.pending`` when the music reaches it (``began``: when the music started), then the next."""
    if music.pending is None or fetched >= MAX_FETCHES:
        return

    def follow() -> None:
        if not music.active or music.pending is None:
            return
        (url, method), music.pending = music.pending, None
        start = len(music.pieces)
        _read(auth_token, url, method, params, music)  # sets where the last document loops from
        if len(music.pieces) == start and music.pending is None:
            music.pieces.append(("silence", 1.0, f"nothing playable at {urllib.parse.urlsplit(url).path}"))
        keep_playing(world, auth_token, music, params, began, fetched + 1)

    world.at(began + music.seconds, follow)


def _read(auth_token: str, url: str, method: str, params: dict[str, str], music: Music) -> None:
    try:
        status, body = signed_request(auth_token, url, params, method)
    except OSError as error:
        music.problems.append(f"{url} could not be fetched: {error}")
        return
    path = urllib.parse.urlsplit(url).path
    if status != 200:
        music.problems.append(f"HTTP {status} from {path}")
        return
    if not body.lstrip().startswith(b"<"):  # an audio file: its length when it is a WAV served here
        heard = media_heard(url) or (PLAY_SECONDS, True)
        music.pieces.append(("play" if heard[1] else "silence", heard[0], path))
        return
    music.documents.append(body.decode("utf-8", "replace"))
    try:
        root = ET.fromstring(body)
    except ET.ParseError as error:
        music.problems.append(f"invalid XML from {path}: {error}")
        return
    start = len(music.pieces)
    for verb in root:
        if verb.tag == "Redirect":
            music.pending = (urllib.parse.urljoin(url, (verb.text or "").strip()), verb.get("method", "POST"))
            return  # fetched when the music gets there; what follows a <Redirect> is never played
        if verb.get("loop") == "0" and verb.tag in ("Say", "Play"):
            music.loop_from = len(music.pieces)
            _verb(url, verb, music)
            return  # what follows a verb played forever is never heard
        _verb(url, verb, music)
    music.loop_from = start  # a document without a <Redirect> loops


def _verb(url: str, verb: ET.Element, music: Music) -> None:
    if verb.tag not in MUSIC_VERBS:
        music.problems.append(f"<{verb.tag}> in a wait, hold or announce document (Twilio error 13238)")
        return
    loops = int(verb.get("loop", "1") or 1)
    loops = 1 if loops == 0 else loops
    if verb.tag == "Say":
        text = " ".join((verb.text or "").split())
        music.pieces.extend([("say", len(text) / SPEECH_CHARS_PER_SECOND, text)] * loops)
    elif verb.tag == "Play":
        target = urllib.parse.urljoin(url, (verb.text or "").strip())
        heard = media_heard(target)
        if heard is None:
            music.problems.append(f"<Play> of {target}: the file cannot be fetched")
            return
        music.pieces.extend([("play" if heard[1] else "silence", heard[0], target)] * loops)
    else:
        music.pieces.append(("silence", float(verb.get("length", "1") or 1), "<Pause>"))


def spread(music: Music, start: float, end: float, offset: float = 0.0) -> list[tuple[float, float, str, str]]:
    """The music laid over [start, end): (at, seconds, kind, text), starting ``offset`` seconds into it (once
    through every piece, then again from ``loop_from``)."""
    if music.seconds <= 0:
        return [(start, end - start, "silence", "no music")]
    loop = music.pieces[music.loop_from:] or music.pieces
    if sum(seconds for _, seconds, _ in loop) <= 0:
        loop = [("silence", 1.0, "no music")]

    def pieces():
        yield from music.pieces
        while True:
            yield from loop

    out, position = [], start - offset  # where the music began, on the same axis
    for kind, seconds, text in pieces():
        piece_start, piece_end = position, position + seconds
        position = piece_end
        if piece_end <= start + 1e-9:
            continue
        low, high = max(piece_start, start), min(piece_end, end)
        if high - low > 1e-9:
            out.append((low, high - low, kind, text))
        if piece_end >= end - 1e-9:
            return out
    return out
