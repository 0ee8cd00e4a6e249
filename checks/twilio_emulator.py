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

import itertools
import re
import time
import urllib.parse
import xml.etree.ElementTree as ET
from typing import Callable

from checks.call_record import (BUSY_TONE_SECONDS, FAILED_SECONDS, PLAY_SECONDS, RING_BEFORE_ANSWER,
                                SPEECH_CHARS_PER_SECOND, TALK_SECONDS, CallRecord, Event, Heard, Outcome)
from checks.twilio_http import media_heard, signed_request

MAX_RESPONSE_BYTES = 64 * 1024
WAIT_DOCUMENT_VERBS = {"Play", "Say", "Pause", "Gather", "Redirect", "Leave", "Hangup"}
GATHER_NESTED = {"Say", "Play", "Pause"}
DIAL_STATUSES = ("completed", "busy", "no-answer", "failed", "canceled")
_sids = itertools.count(1)


def new_sid(prefix: str) -> str:
    return f"{prefix}{next(_sids):032x}"


class CallEnded(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class _LeaveQueue(Exception):
    pass


class TwilioEmulator:
    """Places inbound calls to a webhook server the way Twilio does, against a virtual clock."""

    def __init__(self, base_url: str, auth_token: str, account_sid: str,
                 advance: Callable[[float], None] = lambda seconds: None,
                 voice_path: str = "/voice/incoming", status_path: str = "/voice/status", rest=None,
                 answer_placed: Callable | None = None):
        self.base_url = base_url.rstrip("/")
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

    # --- a call ---------------------------------------------------------------------------------------------------

    def call(self, to: str, caller: str, outcome: Outcome, country: str = "FR") -> CallRecord:
        return _Call(self, to, caller, outcome, country).run()


class _Call:
    def __init__(self, emulator: TwilioEmulator, to: str, caller: str, outcome: Outcome, country: str):
        self.em = emulator
        self.outcome = outcome
        self.record = CallRecord()
        self.sid = new_sid("CA")
        self.t = 0.0
        self.presses = list(outcome.presses)
        self.answers = {pattern: list(keys) for pattern, keys in outcome.answers.items()}
        self.queue_presses = list(outcome.queue_presses)
        self.base = {"AccountSid": emulator.account_sid, "ApiVersion": "2010-04-01", "CallSid": self.sid,
                     "Direction": "inbound", "From": caller, "Caller": caller, "To": to, "Called": to,
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
        self.record.heard.append(Heard(self.t, seconds, kind, text, self.queue is not None, in_gather, language,
                                       voice))
        self._tick(seconds)

    def _tick(self, seconds: float) -> None:
        if seconds > 0:
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
        params = dict(self.base, CallStatus=self.status, **(extra or {}))
        self.record.requests.append(urllib.parse.urlsplit(url).path)
        status, body = self.em.request(url, params, method)
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
        url = self.em.base_url + self.em.voice_path
        if self.em.rest is not None:
            self.em.rest.set_status(self.sid, "in-progress")
        try:
            doc = self.fetch(url)
            self.status = "in-progress"
            while doc is not None:
                doc, url = self.execute(doc, url)
            self.record.ended_by = "end of document"
        except CallEnded as ended:
            self.record.ended_by = ended.reason
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
            status, _ = self.em.request(self.em.base_url + self.em.status_path, params)
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
            raise _LeaveQueue()
        self.record.problems.append(f"unsupported verb <{tag}>")
        return None

    def sound(self, verb: ET.Element, in_gather: bool = False) -> None:
        loops = int(verb.get("loop", "1") or 1)
        loops = 3 if loops == 0 else loops  # loop="0" repeats until something else happens: count a few
        if verb.tag == "Say":
            text = (verb.text or "").strip()  # kept as sent: doubled spaces are a finding, not noise
            for _ in range(loops):
                self._hear(len(text) / SPEECH_CHARS_PER_SECOND, "say", text, in_gather, verb.get("language", ""),
                           verb.get("voice", ""))
        elif verb.tag == "Play":
            what = (verb.text or "").strip() or f"digits {verb.get('digits', '')}"
            media = self.em.media(urllib.parse.urljoin(self.em.base_url, what)) if verb.text else (1.0, True)
            if media is None:
                self.record.problems.append(f"<Play> of {what}: the file cannot be fetched, the caller hears nothing")
                return
            seconds, audible = media
            for _ in range(loops):
                self._hear(seconds, "play" if audible else "silence", what if audible else f"silent file {what}",
                           in_gather)
        else:
            self._hear(float(verb.get("length", "1") or 1), "silence", "<Pause>", in_gather)

    def gather(self, verb: ET.Element, url: str):
        prompt = " ".join(" ".join((child.text or "").split()) for child in verb if child.tag == "Say")
        if not prompt and self.record.says():  # an empty <Gather> listens to what was just said before it
            prompt = " ".join(self.record.says()[-1].text.split())
        self._event("question", prompt)
        for child in verb:
            if child.tag in GATHER_NESTED:
                self.sound(child, in_gather=True)
            else:
                self.record.problems.append(f"<{child.tag}> nested in <Gather>")
        keys = self._keys_for(prompt)
        finish = verb.get("finishOnKey", "#")
        digits = keys
        if finish and finish in digits:
            digits = digits[:digits.index(finish)]
        if verb.get("numDigits"):
            digits = digits[:int(verb.get("numDigits"))]
        if not keys:
            self._hear(float(verb.get("timeout", "5") or 5), "silence", "<Gather> waiting", in_gather=True)
            if verb.get("actionOnEmptyResult") != "true":
                self._event("timeout")
                return None
        else:
            self._tick(1.0 + 0.3 * len(keys))  # the caller presses the keys after the prompt
            self._event("press", keys)
        target = urllib.parse.urljoin(url, verb.get("action") or url)
        return self.fetch(target, {"Digits": digits, "FinishedOnKey": finish if finish in keys else ""},
                          verb.get("method", "POST")), target

    def _keys_for(self, prompt: str) -> str:
        if self.queue is not None:
            return self.queue_presses.pop(0) if self.queue_presses else ""
        for pattern, keys in self.answers.items():
            if re.search(pattern, prompt, re.I):
                return keys.pop(0) if keys else ""
        return self.presses.pop(0) if self.presses else ""

    def dial(self, verb: ET.Element, url: str):
        timeout = float(verb.get("timeout", "30") or 30)
        nouns = [child for child in verb if child.tag in ("Number", "Client", "Sip", "Conference", "Queue")]
        targets = [(child.tag, (child.text or "").strip(), child) for child in nouns] or \
                  [("Number", (verb.text or "").strip(), verb)]
        status, talk = "failed", 0.0
        for tag, target, element in targets:
            caller_id = f" callerId={verb.get('callerId')}" if verb.get("callerId") else ""
            self._event("dial", f"{tag} {target}{caller_id}")
            if tag == "Conference":
                status = "completed"
                self._hear(TALK_SECONDS, "talk", f"conference {target}")
                talk = TALK_SECONDS
                break
            status = self.outcome.dial.get(target, self.outcome.default_dial)
            if status == "completed":
                self._hear(RING_BEFORE_ANSWER, "ring", target)
                if element.get("url"):
                    self.whisper(urllib.parse.urljoin(url, element.get("url")), target)
                self._hear(TALK_SECONDS, "talk", target)
                talk = TALK_SECONDS
                break
            self._hear({"busy": BUSY_TONE_SECONDS, "no-answer": timeout}.get(status, FAILED_SECONDS),
                       "ring" if status == "no-answer" else "tone", f"{target}: {status}")
        self._event("dial-result", status)
        if status == "completed":
            # The dialled party hung up first only in a transfer back; a caller who has talked hangs up here.
            action = verb.get("action")
            if action:
                self.status = "completed"
                self.fetch(urllib.parse.urljoin(url, action),
                           {"DialCallStatus": status, "DialCallSid": new_sid("CA"),
                            "DialCallDuration": str(int(talk))}, verb.get("method", "POST"))
            raise CallEnded("caller hung up after the conversation")
        action = verb.get("action")
        if not action:
            return None
        target = urllib.parse.urljoin(url, action)
        return self.fetch(target, {"DialCallStatus": status, "DialCallSid": new_sid("CA"), "DialCallDuration": "0"},
                          verb.get("method", "POST")), target

    def whisper(self, url: str, number: str) -> None:
        """The dialled party's leg: its document plays to them (recorded apart), and they press 1 if asked."""
        params = dict(self.base, CallSid=new_sid("CA"), From=self.base["To"], To=number, Direction="outbound-dial",
                      CallStatus="in-progress")
        params.pop("Caller", None)
        for _ in range(4):
            status, body = self.em.request(url, params)
            if status != 200:
                self.record.problems.append(f"HTTP {status} from the whisper {urllib.parse.urlsplit(url).path}")
                return
            root = ET.fromstring(body)
            next_url = None
            for verb in root:
                if verb.tag == "Say":
                    self.record.whispers.append(" ".join((verb.text or "").split()))
                elif verb.tag == "Gather":
                    self.record.whispers.extend(" ".join((c.text or "").split()) for c in verb if c.tag == "Say")
                    next_url = urllib.parse.urljoin(url, verb.get("action") or url)
                    params = dict(params, Digits="1")
                    break
                elif verb.tag == "Redirect":
                    next_url = urllib.parse.urljoin(url, (verb.text or "").strip())
                    break
            if not next_url:
                return
            url = next_url

    def enqueue(self, verb: ET.Element, url: str):
        name = (verb.text or "").strip()
        queue_sid = new_sid("QU")
        self.queue = {"since": self.t, "sid": queue_sid}
        self._event("enqueue", name)
        result = "hangup"
        wait_url = verb.get("waitUrl")
        try:
            if not wait_url:  # Twilio's default classical playlist: music until something happens
                while True:
                    self._hear(PLAY_SECONDS, "play", "Twilio default hold music")
            target = urllib.parse.urljoin(url, wait_url)
            method = verb.get("waitUrlMethod", "POST")
            while True:
                doc, doc_url = self.fetch(target, self._queue_params(), method), target
                for placed in (self.em.rest.take_placed() if self.em.answer_placed is not None else []):
                    self.em.answer_placed(self, placed, verb, url)  # the listener's phone rings while we wait
                while doc is not None:
                    nxt = None
                    for wait_verb in doc:
                        nxt = self.verb(wait_verb, doc_url)
                        if nxt is not None:
                            break
                    doc, doc_url = nxt if nxt is not None else (None, doc_url)
        except _LeaveQueue:
            result = "leave"
        except CallEnded as ended:
            if self.queue is None:  # bridged to a listener: both legs' webhooks were sent by the bridge
                raise
            result = "hangup"
            self._event("queue-end", ended.reason)
            waited = self.t - self.queue["since"]
            self.queue = None
            action = verb.get("action")
            if action:
                self.status = "completed"
                self.fetch(urllib.parse.urljoin(url, action),
                           {"QueueResult": result, "QueueSid": queue_sid, "QueueTime": str(int(waited))},
                           verb.get("method", "POST"))
            raise
        waited = self.t - self.queue["since"]
        self.queue = None
        self._event("queue-end", result)
        action = verb.get("action")
        if not action:
            return None
        target = urllib.parse.urljoin(url, action)
        return self.fetch(target, {"QueueResult": result, "QueueSid": queue_sid, "QueueTime": str(int(waited))},
                          verb.get("method", "POST")), target

    def _queue_params(self) -> dict[str, str]:
        waited = int(self.t - self.queue["since"])
        return {"QueueSid": self.queue["sid"], "QueuePosition": "1", "QueueTime": str(waited),
                "AvgQueueTime": str(waited), "CurrentQueueSize": "1"}
