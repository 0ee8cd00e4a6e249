"""What a call storm plays and measures: the seed lines it calls, the callers placing calls (run_storm), the signed
webhook client that times every request, how long each part of a call lasts on a phone (Pacing), and the figures
gathered. benchmarks/_storm.py plays Twilio's side of those calls."""

from __future__ import annotations

import http.client
import random
import socket
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
START = datetime(2026, 11, 24, 10, 30, tzinfo=ZoneInfo("Europe/Paris"))  # a Tuesday: every seed line is open
LINES = (  # (number dialled, keys the caller presses in the menus)
    ("+33199009494", ["1"]),  # Un premier pas: "1" for an adult
    ("+33199000116", ["8"]),  # 116 006: French
    ("+3225550300", []),  # Écoute Violences Conjugales: no menu
    ("+33199003977", ["94300"]),  # 3977: a postal code, then the centre or the national platform
)
POOLS = ("un-premier-pas", "france-victimes", "ecoute-violences-conjugales", "3977")
ACCOUNT_SID = "AC" + "5" * 32
CALLBACK_SAVED = "Un écoutant vous rappellera"  # the callback_saved prompt: the request is saved, the caller told
CALLBACK_PRESSES = ["1", "1", "1", "2"]  # yes to a callback, this number, as soon as possible, no message
MAX_TURNS = 40  # webhooks per leg: a conversation that does not end is reported, not played forever


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fallback_needles() -> tuple[str, ...]:
    from ivr import prompts

    return tuple(escape(prompts.render("technical_problem", language)) for language in ("fr", "en"))


@dataclass
class Stats:
    needles: tuple[str, ...]
    latencies: list[float] = field(default_factory=list)  # ms, every webhook
    by_path: dict[str, list[float]] = field(default_factory=dict)  # ms, per webhook path
    errors: list[tuple[str, str]] = field(default_factory=list)  # (path, what)
    fallbacks: list[str] = field(default_factory=list)  # paths answered with the "technical problem" TwiML
    timeline: list[tuple[float, str, bool]] = field(default_factory=list)  # (monotonic, path, answered normally)
    sent: list[float] = field(default_factory=list)  # monotonic instant each webhook was sent (the replay's schedule)
    acknowledged: list[str] = field(default_factory=list)  # CallSids told "a listener will call you back"
    fallback_urls: int = 0  # caller legs whose webhook failed, so Twilio fetched the number's fallback URL
    calls_started: int = 0
    calls_finished: int = 0
    calls_bridged: int = 0
    stuck: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, path: str, sent: float, ms: float, error: str | None, fallback: bool) -> None:
        with self.lock:
            self.sent.append(sent)
            self.latencies.append(ms)
            self.timeline.append((time.monotonic(), path, not error and not fallback))
            self.by_path.setdefault(path, []).append(ms)
            if error:
                self.errors.append((path, error))
            if fallback:
                self.fallbacks.append(path)

    def count(self, name: str) -> None:
        with self.lock:
            setattr(self, name, getattr(self, name) + 1)


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class Webhooks:
    """Posts signed form requests to the app as Twilio does, times them and checks the answer is TwiML."""

    def __init__(self, base_url: str, auth_token: str, stats: Stats, timeout: float = 15.0):
        from twilio.request_validator import RequestValidator

        self.base = base_url.rstrip("/")
        parts = urlsplit(self.base)
        self.host, self.port = parts.hostname, parts.port
        self.validator = RequestValidator(auth_token)
        self.stats = stats
        self.timeout = timeout

    def post(self, url: str, params: dict[str, str]) -> ET.Element | None:
        absolute = url if url.startswith("http") else self.base + url
        parts = urlsplit(absolute)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {"X-Twilio-Signature": self.validator.compute_signature(absolute, params),
                   "Content-Type": "application/x-www-form-urlencoded"}
        sent, started = time.monotonic(), time.perf_counter()
        error, fallback, document = None, False, None
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            connection.request("POST", target, body=urlencode(params), headers=headers)
            response = connection.getresponse()
            body = response.read().decode("utf-8", "replace")
            if response.status != 200:
                error = f"HTTP {response.status}"
            else:
                try:
                    document = ET.fromstring(body)
                    if document.tag != "Response":
                        error, document = "not TwiML", None
                except ET.ParseError:
                    error = "not XML"
                fallback = any(needle in body for needle in self.stats.needles)
                if CALLBACK_SAVED in body:
                    with self.stats.lock:
                        self.stats.acknowledged.append(params.get("CallSid", ""))
        except (OSError, http.client.HTTPException) as failure:
            error = f"{type(failure).__name__}"
        finally:
            connection.close()
        self.stats.record(parts.path, sent, (time.perf_counter() - started) * 1000, error, fallback)
        return document


@dataclass(frozen=True)
class Pacing:
    """How long each part of a call lasts, as the caller's and the listener's phones play it.

    ``Pacing.real()`` plays calls as people hear them, so that N concurrent calls send the engine the webhooks N
    real calls would: every <Say> spoken at 15 characters a second (Twilio's French voices say about 150 words a
    minute), every <Pause> and <Gather> timeout in full, a key pressed 1-3 s after the prompt asking for it has
    been heard (0.4 s more for each further digit), a listener's phone ringing 3-10 s, conversations of 30-120 s
    (a helpline's last 10-20 minutes: shorter ones free listeners sooner, so more callers reach the bridge and
    more webhooks are sent: the hard side), callers hanging up after 1-7 minutes in a queue if nobody took them
    (a line's own max_wait may move them on first), and the callers' first calls spread over 30 s rather than all
    in the same second.

    ``Pacing.compressed()`` plays each call as fast as the engine answers: no speech time, a wait document's
    pauses cut to 1 s, conversations of 0.5-2 s. It is the most webhooks a number of callers can send: the
    fault scripts use it (as much traffic as possible while a fault is under way), and so does the saturation
    figure, where the 100 callers are 100 clients that never pause."""

    speech_chars_per_second: float | None  # None: speech takes no time
    reaction: tuple[float, float]  # seconds from the end of a prompt to the first key
    per_digit: float  # seconds for each further digit
    wait_cap: float | None  # a wait document plays at most this long (None: in full)
    talk: tuple[float, float]  # a conversation, bridged or forwarded
    ring: tuple[float, float]  # a listener's phone rings this long before they pick up
    queue_patience: tuple[float, float]  # a caller nobody took hangs up after this long in a queue
    first_calls_over: float  # the callers' first calls start spread over this many seconds

    @classmethod
    def real(cls) -> "Pacing":
        return cls(15.0, (1.0, 3.0), 0.4, None, (30.0, 120.0), (3.0, 10.0), (60.0, 420.0), 30.0)

    @classmethod
    def compressed(cls) -> "Pacing":
        return cls(None, (0.0, 0.0), 0.0, 1.0, (0.5, 2.0), (0.05, 0.3), (60.0, 60.0), 0.0)

    def plays(self, element: ET.Element, timeouts: bool = True) -> float:
        """Seconds ``element`` (a document or one verb) takes to play: its <Say>s and <Pause>s and, with
        ``timeouts``, the time each <Gather> waits for a key. Compressed, nothing takes time."""
        if self.speech_chars_per_second is None:
            return 0.0
        seconds = 0.0
        for verb in element.iter():
            if verb.tag == "Say":
                seconds += len(verb.text or "") / self.speech_chars_per_second
            elif verb.tag == "Pause":
                seconds += float(verb.get("length", "1"))
            elif verb.tag == "Play":
                seconds += play_seconds(verb)
            elif verb.tag == "Gather" and timeouts:
                seconds += float(verb.get("timeout", "5"))
        return seconds

    def waiting(self, document: ET.Element | None) -> float:
        """How long a wait document plays before Twilio fetches the next one."""
        if self.wait_cap is None:
            return self.plays(document) if document is not None else 1.0
        pauses = (sum(float(p.get("length", "1")) for p in document.iter("Pause"))
                  + sum(play_seconds(p) for p in document.iter("Play"))) if document is not None else 1.0
        return min(max(pauses, 0.2), self.wait_cap)

    def keys(self, prompt: ET.Element, digits: str) -> float:
        """Listening to ``prompt`` to its end, then typing ``digits``."""
        return (self.plays(prompt, timeouts=False) + random.uniform(*self.reaction)
                + self.per_digit * max(0, len(digits) - 1))


def play_seconds(verb: ET.Element) -> float:
    """How long a <Play> lasts: the engine's hold music is CLIP_SECONDS a loop; another file is taken as 30 s."""
    from ivr.hold_music import CLIP_SECONDS

    one = CLIP_SECONDS if (verb.text or "").endswith("/media/hold-music.wav") else 30.0
    return one * max(1, int(verb.get("loop", "1") or 1))


def run_storm(emulator, concurrency: int, calls: int, seconds: float,
              during=None, callback_every: int = 0) -> float:
    """``concurrency`` callers at once on ``emulator`` (a _storm.TwilioEmulator), each calling again when a call ends, until ``calls`` have been placed or
    ``seconds`` have passed, when every caller still on the phone hangs up; the callers' first calls are spread
    as the emulator's pacing says. ``during(elapsed)`` is called about every 0.2 s (the fault scripts act there);
    every ``callback_every``-th caller leaves the queue with its key and asks to be called back.
    Returns the elapsed time, the hang-ups at the end included."""
    placed = iter(range(calls))
    placed_lock = threading.Lock()
    started = time.monotonic()
    deadline = started + seconds

    def caller_loop(number: int) -> None:
        if emulator.hanging_up.wait(emulator.pacing.first_calls_over * number / concurrency):
            return
        while time.monotonic() < deadline and not emulator.hanging_up.is_set():
            with placed_lock:
                index = next(placed, None)
            if index is None:
                return
            to, presses = LINES[index % len(LINES)]
            emulator.play_call(to, presses, wants_callback=bool(callback_every) and index % callback_every == 0)

    threads = [threading.Thread(target=caller_loop, args=(n,), daemon=True) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        if during is not None:
            during(time.monotonic() - started)
        time.sleep(0.2)
        if time.monotonic() > deadline:
            emulator.hanging_up.set()  # the storm is over: whoever is still on the phone hangs up
        if time.monotonic() > deadline + 60:
            emulator.stopping.set()  # a bound on the bound: calls still running are abandoned
    return time.monotonic() - started
