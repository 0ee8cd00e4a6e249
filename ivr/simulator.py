"""Plays a call through the real webhooks, signed, in process, and writes down what the caller would hear."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urljoin, urlsplit

from flask import Flask
from twilio.request_validator import RequestValidator

MAX_REQUESTS = 60
DIAL_STATUSES = ("completed", "busy", "no-answer", "failed", "canceled")
NO_KEY = "-"  # a press that is no key at all: the <Gather> times out


@dataclass
class Entry:
    kind: str  # say, press, silence, music, dial, whisper, queue, hangup, error
    text: str
    code: str | None = None  # for notes other interfaces put in their own words: waits, waited, leaves, music
    params: dict = field(default_factory=dict)


@dataclass
class Transcript:
    call_sid: str
    entries: list[Entry] = field(default_factory=list)
    dialled: list[str] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)

    def add(self, kind: str, text: str, code: str | None = None, **params) -> None:
        self.entries.append(Entry(kind, text, code, params))

    def said(self) -> str:
        return "\n".join(e.text for e in self.entries if e.kind == "say")

    def of(self, kind: str) -> list[str]:
        return [e.text for e in self.entries if e.kind == kind]


class SimulatedClock:
    """The webhooks' notion of now: starts at the simulated moment and moves a few seconds per turn."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class CallSimulator:
    """Answers every TwiML verb as Twilio would, with the caller's key presses and the dial outcomes given."""

    def __init__(self, app: Flask, to: str, caller: str = "anonymous", presses: list[str] | None = None,
                 outcomes: dict[str, str] | None = None, default_outcome: str = "completed",
                 queue_result: str = "hangup", clock: SimulatedClock | None = None,
                 entry: str = "/voice/incoming", waits: list[float] | None = None):
        self.app = app
        self.client = app.test_client()
        self.validator = RequestValidator(app.config["TWILIO_AUTH_TOKEN"])
        self.base = (app.config.get("PUBLIC_URL") or "http://localhost").rstrip("/")
        self.to = to
        self.caller = caller
        self.presses = list(presses or [])
        self.outcomes = dict(outcomes or {})
        self.default_outcome = default_outcome
        self.queue_result = queue_result
        self.clock = clock
        self.entry = entry  # a number for English callers may point at /voice/incoming?l=en
        self.waits = list(waits or [0.0])  # seconds in the queue at each fetch of the wait document
        self.sid = "CA" + uuid.uuid4().hex
        self.transcript = Transcript(self.sid)
        self.requests = 0

    def post(self, url: str, params: dict[str, str]) -> ET.Element | None:
        self.requests += 1
        if self.requests > MAX_REQUESTS:
            self.transcript.add("error", "too many webhook requests: the conversation does not end")
            return None
        absolute = urljoin(self.base + "/", url)
        parts = urlsplit(absolute)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        signature = self.validator.compute_signature(absolute, params)
        if self.clock is not None:
            self.clock.advance(2)
        # buffered: the answer is read whole and closed, as a WSGI server closes it once sent; a first webhook that
        # writes its call's record after answering writes it then (ivr/answer_first.py).
        response = self.client.post(path, data=params, headers={"X-Twilio-Signature": signature},
                                    base_url=f"{parts.scheme}://{parts.netloc}", buffered=True)
        self.transcript.statuses.append(response.status_code)
        if response.status_code != 200:
            self.transcript.add("error", f"HTTP {response.status_code} from {parts.path}")
            return None
        try:
            return ET.fromstring(response.data)
        except ET.ParseError:
            self.transcript.add("error", f"invalid TwiML from {parts.path}")
            return None

    def call_params(self, **extra: str) -> dict[str, str]:
        params = {"CallSid": self.sid, "AccountSid": self.app.config["TWILIO_ACCOUNT_SID"], "From": self.caller,
                  "To": self.to, "CallStatus": "in-progress", "Direction": "inbound"}
        params.update(extra)
        return params

    def run(self) -> Transcript:
        document = self.post(self.entry, self.call_params(CallStatus="ringing"))
        while document is not None:
            document = self.play(document)
        return self.transcript

    def play(self, document: ET.Element) -> ET.Element | None:
        """Play one TwiML document; return the next document fetched, or None when the call ends."""
        for verb in document:
            tag = verb.tag
            if tag == "Say":
                self.transcript.add("say", (verb.text or "").strip())
            elif tag == "Pause":
                self.transcript.add("silence", f"{verb.get('length', '1')} s")
            elif tag == "Play":
                text, code, params = _play_words(verb)
                self.transcript.add("music", text, code, **params)
            elif tag == "Gather":
                following = self.gather(verb)
                if following is not False:
                    return following
            elif tag == "Redirect":
                return self.post(verb.text.strip(), self.call_params())
            elif tag == "Dial":
                following = self.dial(verb)
                if following is not False:
                    return following
            elif tag == "Enqueue":
                return self.enqueue(verb)
            elif tag == "Hangup":
                self.transcript.add("hangup", "the call ends")
                return None
            else:
                self.transcript.add("error", f"unexpected verb <{tag}>")
        self.transcript.add("hangup", "the document ends: Twilio hangs up")
        return None

    def gather(self, verb: ET.Element):
        self.heard(verb)
        digits = self.presses.pop(0) if self.presses else NO_KEY
        if digits != NO_KEY:
            self.transcript.add("press", digits or "(only the end key)")
            return self.post(verb.get("action"), self.call_params(Digits=digits.rstrip("#")))
        self.transcript.add("press", "(nothing: timeout)")
        if verb.get("actionOnEmptyResult") == "true":
            return self.post(verb.get("action"), self.call_params(Digits=""))
        return False  # Twilio goes on with the next verb

    def dial(self, verb: ET.Element):
        caller_id = verb.get("callerId") or "the caller's own number"
        status = "completed"
        targets = list(verb.iter("Number")) or [verb]  # <Dial>+33...</Dial> dials its own text
        for number in targets:
            dialled = (number.text or "").strip()
            self.transcript.dialled.append(dialled)
            status = self.outcomes.get(dialled, self.default_outcome)
            self.transcript.add("dial", f"{dialled} (caller ID {caller_id}, ring {verb.get('timeout', '30')} s): {status}")
            if status == "completed" and number.get("url"):
                whisper = self.post(number.get("url"), {"CallSid": "CA" + uuid.uuid4().hex, "From": verb.get("callerId") or "",
                                                       "To": dialled, "Direction": "outbound-api",
                                                       "AccountSid": self.app.config["TWILIO_ACCOUNT_SID"]})
                for said in (whisper.iter("Say") if whisper is not None else ()):
                    self.transcript.add("whisper", (said.text or "").strip())
        if verb.get("action"):
            return self.post(verb.get("action"), self.call_params(DialCallStatus=status))
        return None if status == "completed" else False

    def heard(self, element: ET.Element) -> None:
        """What a <Gather> or a wait document plays while the caller listens: words, music, silence."""
        for child in element.iter():
            if child.tag == "Say":
                self.transcript.add("say", (child.text or "").strip())
            elif child.tag == "Play":
                text, code, params = _play_words(child)
                self.transcript.add("music", text, code, **params)
            elif child.tag == "Pause":
                self.transcript.add("silence", f"{child.get('length', '1')} s")

    def enqueue(self, verb: ET.Element):
        """The wait document fetched at each of ``waits`` seconds; a <Leave> ends the wait, else ``queue_result``."""
        self.transcript.add("queue", "waits in the queue", "waits")
        result, waited = self.queue_result, 0.0
        for seconds in self.waits if verb.get("waitUrl") else ():
            if self.clock is not None:
                self.clock.advance(max(0.0, seconds - waited))
            waited = seconds
            hold = self.post(verb.get("waitUrl"), self.call_params(QueuePosition="1", QueueTime=str(int(seconds))))
            if hold is None:
                break
            self.transcript.add("queue", f"after {int(seconds) // 60}:{int(seconds) % 60:02d} in the queue", "waited",
                                time=f"{int(seconds) // 60}:{int(seconds) % 60:02d}")
            self.heard(hold)
            if hold.find("Leave") is not None:
                result = "leave"
                self.transcript.add("queue", "leaves the queue", "leaves")
                break
        if result == "bridged":
            self.transcript.add("queue", "a listener takes the call", "bridged")
        elif result == "hangup":
            self.transcript.add("queue", "the caller hangs up while waiting", "hung_up")
        if verb.get("action"):
            return self.post(verb.get("action"), self.call_params(QueueResult=result))
        return None


def _play_words(verb: ET.Element) -> tuple[str, str, dict]:
    """A <Play> as a line of the transcript (text, code, parameters): the engine's hold music by its length,
    another file by its address."""
    from ivr.hold_music import CLIP_SECONDS

    loops = int(verb.get("loop", "1") or 1)
    url = (verb.text or "").strip()
    if url.endswith("/media/hold-music.wav"):
        seconds = int(CLIP_SECONDS * loops)
        return f"hold music, {seconds} s", "music", {"seconds": seconds}
    return f"{url} (played {loops} time{'s' if loops > 1 else ''})", "music_file", {"url": url, "loops": loops}
