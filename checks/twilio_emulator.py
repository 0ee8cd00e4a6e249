"""A Twilio Voice emulator written from Twilio's public documentation, keeping a timeline of what callers hear.

It posts signed HTTP webhooks, plays the TwiML it gets back, and keeps a timeline of what the caller hears.

It deliberately shares no code with the project (not tests/support, not ivr/simulator.py): it only speaks HTTP
to a URL, so it can check any server that claims to answer Twilio. Behaviour modelled, per Twilio's docs:

- every request is a form-encoded POST (unless the verb's ``method`` says GET) with the standard call
  parameters, signed with ``X-Twilio-Signature`` = base64(HMAC-SHA1(auth token, URL + sorted key+value pairs));
- relative URLs resolve against the URL of the document that holds the verb;
- ``<Say>``, ``<Play>`` (``loop``), ``<Pause>`` (``length``, default 1 s);
- ``<Gather>`` plays its nested verbs, then waits ``timeout`` seconds (default 5); digits end at ``numDigits`` or
  ``finishOnKey`` (default ``#``, not sent); with digits the ``action`` (default: the current document) is
  requested with ``Digits``; without, the next verb runs (unless ``actionOnEmptyResult="true"``);
- ``<Redirect>`` fetches a new document; ``<Hangup>`` or the end of the document ends the call;
- ``<Dial>`` (``<Number url>``, ``<Conference>``, ``<Queue>``, ``<Client>``, ``<Sip>`` or bare text), ``timeout``
  default 30 s, with an outcome chosen per dialled number; ``action`` is requested with ``DialCallStatus``,
  ``DialCallSid``, ``DialCallDuration``, otherwise the document goes on;
- ``<Enqueue>``: the ``waitUrl`` document is fetched with ``QueuePosition``, ``QueueSid``, ``QueueTime``,
  ``AvgQueueTime``, ``CurrentQueueSize`` and played, then fetched again when it ends, until ``<Leave>`` (``action``
  gets ``QueueResult=leave``), ``<Hangup>``, or the caller gives up (``QueueResult=hangup``); only Play, Say,
  Pause, Gather, Redirect, Leave and Hangup are allowed there;
- when the call ends, the number's status callback gets ``CallStatus=completed`` and ``CallDuration``.

Time is virtual: speech lasts ``len(text) / 15`` seconds (about Twilio's French voices), and ``advance`` is called
with each duration so that the server under test can be given the same clock.
"""

from __future__ import annotations

import time
import urllib.parse
import xml.etree.ElementTree as ET
from typing import Callable

from checks.call_record import CallRecord, Event, Heard, Outcome
from checks.conference_leg import InConference
from checks.dial_and_queue import DialAndQueue
from checks.prompts import SoundAndKeys
from checks.sids import CallEnded, LeaveQueue, new_sid  # noqa: F401 — new_sid and CallEnded are used from here
from checks.twilio_http import media_heard, signed_request
from checks.world import Interrupted
from checks.world_leg import InWorld

MAX_RESPONSE_BYTES = 64 * 1024
WAIT_DOCUMENT_VERBS = {"Play", "Say", "Pause", "Gather", "Redirect", "Leave", "Hangup"}


class TwilioEmulator:
    """Places inbound calls to a webhook server the way Twilio does, against a virtual clock."""

    def __init__(self, base_url: str, auth_token: str, account_sid: str,
                 advance: Callable[[float], None] = lambda seconds: None,
                 voice_path: str = "/voice/incoming", status_path: str = "/voice/status", rest=None,
                 answer_placed: Callable | None = None, world=None):
        self.base_url = base_url.rstrip("/")
        # World mode (checks.world_mode.attach): every leg runs on a shared virtual clock, conferences and the
        # REST side's redirects, holds and new participants are played for real.
        self.world = world
        self.conferences = None
        self.queues: dict[str, list] = {}
        self.on_leg: Callable | None = None  # world mode: told of each caller's leg (SID, leg)
        # checks.twilio_rest.TwilioRest, and what answers the calls the engine places through it while a caller
        # waits (checks.listener_leg.answer): without them nobody ever takes a queued caller.
        self.rest = rest
        self.answer_placed = answer_placed
        self._media: dict[str, tuple[float, bool] | None] = {}
        self.auth_token = auth_token
        self.account_sid = account_sid
        self.advance = advance
        self.voice_path = voice_path
        self.status_path = status_path

    # --- HTTP ---------------------------------------------------------------------------------------------------

    def request(self, url: str, params: dict[str, str], method: str = "POST") -> tuple[int, bytes]:
        return signed_request(self.auth_token, url, params, method)

    def media(self, url: str) -> tuple[float, bool] | None:
        """How long an audio file plays and whether anything is heard: read when it is served on this machine
        (a WAV's header and samples), else PLAY_SECONDS of sound; None when this machine's server cannot give
        it. Nothing is fetched from elsewhere."""
        if url not in self._media:
            self._media[url] = media_heard(url)
        return self._media[url]

    def leave_queue(self, leg) -> None:
        for waiting in self.queues.values():
            if leg in waiting:
                waiting.remove(leg)

    # --- a call ---------------------------------------------------------------------------------------------------

    def call(self, to: str, caller: str, outcome: Outcome, country: str = "FR") -> CallRecord:
        leg = _Call(self, to, caller, outcome, country)
        if self.world is None:
            return leg.run()
        return self.world_call(leg)

    def world_call(self, leg: "_Call") -> CallRecord:
        leg.t0 = self.world.now
        if self.on_leg is not None:
            self.on_leg(leg.sid, leg)
        self.world.spawn(leg)
        if leg.outcome.hangup_at is not None:
            self.world.at(leg.t0 + leg.outcome.hangup_at,
                          lambda: self.world.interrupt(leg, Interrupted("hangup", reason="caller hung up")))
        self.world.run()
        self.world.close()
        return leg.record


class _Call(SoundAndKeys, DialAndQueue, InConference, InWorld):
    """One leg as Twilio plays it: the caller's (inbound) or, in world mode, one Twilio placed (outbound-api)."""

    def __init__(self, emulator: TwilioEmulator, to: str, caller: str, outcome: Outcome, country: str,
                 direction: str = "inbound", name: str = "caller"):
        self.em = emulator
        self.name = name
        self.t0 = 0.0  # world mode: the world's instant this leg began
        self.conference_steps = list(outcome.in_conference)
        self.in_conference = None
        self.queue_sid_seen = ""
        self.entry = (emulator.base_url + emulator.voice_path, "POST", None)  # url, method, inline TwiML
        self.status_url = (emulator.base_url + emulator.status_path, "POST")
        self.direct = None  # (conference, attributes): a leg the Participants resource placed joins at once
        self.outcome = outcome
        self.record = CallRecord()
        self.sid = new_sid("CA")
        self.t = 0.0
        self.presses = list(outcome.presses)
        self.answers = {pattern: list(keys) for pattern, keys in outcome.answers.items()}
        self.queue_presses = list(outcome.queue_presses)
        self.base = {"AccountSid": emulator.account_sid, "ApiVersion": "2010-04-01", "CallSid": self.sid,
                     "Direction": direction, "From": caller, "Caller": caller, "To": to, "Called": to,
                     "ToCountry": country, "CalledCountry": country}
        if caller != "anonymous":
            self.base["FromCountry"] = self.base["CallerCountry"] = country
        self.status = "ringing"
        self.queue: dict | None = None
        self.status_sent = False
        self.started = time.monotonic()

    # time and sound

    def _hear(self, seconds: float, kind: str, text: str = "", in_gather: bool = False, language: str = "",
              voice: str = "") -> None:
        heard = Heard(self.t, seconds, kind, text, self.queue is not None, in_gather, language, voice)
        self.record.heard.append(heard)
        try:
            self._tick(seconds)
        except (Interrupted, CallEnded):
            heard.seconds = self.t - heard.start  # cut short: heard only until then
            raise

    def _tick(self, seconds: float) -> None:
        if self.em.world is not None:
            self._world_tick(seconds)
        elif seconds > 0:
            self.t += seconds
            self.em.advance(seconds)
            if self.queue is not None and self.t - self.queue["since"] >= self.outcome.queue_patience:
                raise CallEnded("caller gave up waiting in the queue")

    def _event(self, kind: str, detail: str = "") -> None:
        self.record.events.append(Event(self.t, kind, detail))

    # documents

    def fetch(self, url: str, extra: dict[str, str] | None = None, method: str = "POST") -> ET.Element:
        if len(self.record.requests) >= self.outcome.max_requests:
            raise CallEnded(f"emulator stopped the call after {self.outcome.max_requests} requests")
        if time.monotonic() - self.started > self.outcome.max_wall_seconds:
            raise CallEnded(f"emulator stopped the call after {self.outcome.max_wall_seconds:.0f} s of real time")
        if self.em.world is not None:
            self.em.world.checkpoint(self)
        params = dict(self.base, CallStatus=self.status, **(extra or {}))
        self.record.requests.append(urllib.parse.urlsplit(url).path)
        status, body = self.em.request(url, params, method)
        if self.em.world is not None:
            self.record.documents.append(body.decode("utf-8", "replace"))
        if status != 200:
            self.record.problems.append(f"HTTP {status} from {urllib.parse.urlsplit(url).path}")
            raise CallEnded("application error (HTTP status)")
        if len(body) > MAX_RESPONSE_BYTES:
            self.record.problems.append(f"response over 64 kB from {urllib.parse.urlsplit(url).path}")
            raise CallEnded("application error (too large)")
        try:
            root = ET.fromstring(body)
        except ET.ParseError as error:
            self.record.problems.append(f"invalid XML from {urllib.parse.urlsplit(url).path}: {error}")
            raise CallEnded("application error (invalid TwiML)") from None
        if root.tag != "Response":
            self.record.problems.append(f"root <{root.tag}> instead of <Response>")
            raise CallEnded("application error (invalid TwiML)")
        return root

    def run(self) -> CallRecord:
        if self.em.rest is not None:
            self.em.rest.set_status(self.sid, "in-progress")
        try:
            doc, url = self.first_document()
            self.status = "in-progress"
            while doc is not None:
                try:
                    doc, url = self.execute(doc, url)
                except Interrupted as interruption:  # world mode: the REST side changed this call
                    doc, url = self.redirected(interruption)
            self.record.ended_by = "end of document"
        except CallEnded as ended:
            self.record.ended_by = ended.reason
            if self.em.world is not None and ended.reason == "caller hung up":
                self.after_talk()  # from a conference: no queue action, the other legs' turn as chosen
        self._event("hangup", self.record.ended_by)
        self.record.seconds = self.t
        self.status = "completed"
        self.send_status_callback()
        return self.record

    def send_status_callback(self) -> None:
        """The number's status callback, once: its answer is ignored, as Twilio ignores it."""
        if self.status_sent:
            return
        self.status_sent = True
        if self.em.rest is not None:
            self.em.rest.set_status(self.sid, "completed")
        try:
            params = dict(self.base, CallStatus="completed", CallDuration=str(int(self.t)))
            if not self.status_url[0]:
                return
            status, _ = self.em.request(self.status_url[0], params, self.status_url[1])
            if status >= 400:
                self.record.problems.append(f"HTTP {status} from the status callback")
        except OSError as error:
            self.record.problems.append(f"status callback failed: {error}")

    def execute(self, doc: ET.Element, url: str) -> tuple[ET.Element | None, str]:
        """Play one document; return the next document to play (and its URL), or None when the call ends."""
        for verb in doc:
            nxt = self.verb(verb, url)
            if nxt is not None:
                return nxt
        raise CallEnded("end of document")

    def verb(self, verb: ET.Element, url: str):
        tag = verb.tag
        if self.queue is not None and tag not in WAIT_DOCUMENT_VERBS:
            self.record.problems.append(f"<{tag}> is not allowed in a waitUrl document")
            return None
        if tag in ("Say", "Play", "Pause"):
            self.sound(verb)
            return None
        if tag == "Gather":
            return self.gather(verb, url)
        if tag == "Redirect":
            target = urllib.parse.urljoin(url, (verb.text or "").strip())
            return self.fetch(target, method=verb.get("method", "POST")), target
        if tag in ("Hangup", "Reject"):
            raise CallEnded(f"<{tag}>")
        if tag == "Dial":
            return self.dial(verb, url)
        if tag == "Enqueue":
            return self.enqueue(verb, url)
        if tag == "Leave":
            raise LeaveQueue()
        self.record.problems.append(f"unsupported verb <{tag}>")
        return None
