"""The callers' side of benchmarks/_storm.py's TwilioEmulator: a caller's leg played verb after verb (the prompts
heard, the keys pressed, the queue waited in, the conversation), as Twilio plays a webhook's TwiML."""

from __future__ import annotations

import random
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from benchmarks._storm_calls import ACCOUNT_SID, CALLBACK_PRESSES, MAX_TURNS

GO_ON = object()  # a verb was played to its end: the document's next verb follows


@dataclass
class CallerLeg:
    sid: str
    to: str
    caller: str
    presses: list[str]
    started: float = field(default_factory=time.monotonic)
    status: str = "in-progress"
    bridged: threading.Event = field(default_factory=threading.Event)
    ended: threading.Event = field(default_factory=threading.Event)
    redirect: str | None = None
    wake: threading.Event = field(default_factory=threading.Event)
    hung_up: threading.Event = field(default_factory=threading.Event)  # the caller's phone is down
    wants_callback: bool = False  # presses the queue's leave key, then asks to be called back
    failed: bool = False  # a webhook of this leg got no TwiML


class CallerLegs:
    """TwilioEmulator's callers: each call placed, then its documents played until the caller hangs up. Uses the
    emulator's webhooks, stats, pacing, lock, queues, conferences, legs and its hanging_up and stopping events."""

    def play_call(self, to: str, presses: list[str], wants_callback: bool = False) -> None:
        with self.lock:
            self.callers_placed += 1
            caller = f"+3367{self.callers_placed:07d}"  # distinct: two requests from one number would merge
        presses = list(presses) + (CALLBACK_PRESSES if wants_callback else [])
        leg = CallerLeg("CA" + uuid.uuid4().hex, to, caller, presses, wants_callback=wants_callback)
        with self.lock:
            self.legs[leg.sid] = leg
        self.stats.count("calls_started")
        document = self._fetch(leg, "/voice/incoming", self._params(leg, CallStatus="ringing"))
        turns = 0
        while document is not None and turns < MAX_TURNS and not self.stopping.is_set():
            document = self._play(leg, document)
            turns += 1
        if turns >= MAX_TURNS:
            self.stats.count("stuck")
        if leg.failed:  # Twilio asks the number's fallback URL rather than say "an application error"
            self.stats.count("fallback_urls")
            self.webhooks.post("/voice/fallback", self._params(leg))
        leg.status = "completed"
        leg.hung_up.set()
        self.webhooks.post("/voice/status", self._params(leg, CallStatus="completed",
                                                         CallDuration=str(int(time.monotonic() - leg.started))))
        self.stats.count("calls_finished")

    def _fetch(self, leg: CallerLeg, url: str, params: dict[str, str]) -> ET.Element | None:
        document = self.webhooks.post(url, params)
        leg.failed = leg.failed or document is None
        return document

    def _params(self, leg: CallerLeg, **extra: str) -> dict[str, str]:
        return {"CallSid": leg.sid, "AccountSid": ACCOUNT_SID, "From": leg.caller, "To": leg.to,
                "CallStatus": "in-progress", "Direction": "inbound", **extra}

    # Each verb a caller's phone plays, by tag: the method that plays it (verbs not listed are passed over).
    VERB_PLAYERS = {"Say": "_hear", "Pause": "_hear", "Play": "_hear", "Gather": "_gather",
                    "Redirect": "_redirect", "Dial": "_dial", "Enqueue": "_wait_in_queue",
                    "Hangup": "_hang_up", "Reject": "_hang_up", "Leave": "_hang_up"}

    def _play(self, leg: CallerLeg, document: ET.Element) -> ET.Element | None:
        """Plays ``document`` on the caller's phone, verb after verb; the next document, or None once hung up."""
        for verb in document:
            player = self.VERB_PLAYERS.get(verb.tag)
            outcome = getattr(self, player)(leg, verb) if player else GO_ON
            if outcome is not GO_ON:
                return outcome
        return None

    def _spend(self, seconds: float) -> bool:
        """Let ``seconds`` of the call pass; False when the storm ended meanwhile and the person hangs up."""
        return not self.hanging_up.wait(max(0.0, seconds))

    def _hear(self, leg: CallerLeg, verb: ET.Element):
        return GO_ON if self._spend(self.pacing.plays(verb)) else None

    def _gather(self, leg: CallerLeg, verb: ET.Element):
        """The caller's next key presses, if any are left; else the prompt heard to its end, its timeout included."""
        if leg.presses:
            digits = leg.presses.pop(0)
            if not self._spend(self.pacing.keys(verb, digits)):
                return None
            return self._fetch(leg, verb.get("action"), self._params(leg, Digits=digits))
        if not self._spend(self.pacing.plays(verb)):
            return None
        if verb.get("actionOnEmptyResult") == "true":
            return self._fetch(leg, verb.get("action"), self._params(leg, Digits=""))
        return GO_ON

    def _redirect(self, leg: CallerLeg, verb: ET.Element):
        return self._fetch(leg, (verb.text or "").strip(), self._params(leg))

    def _hang_up(self, leg: CallerLeg, verb: ET.Element):
        return None

    def _dial(self, leg: CallerLeg, verb: ET.Element):
        if verb.find("Conference") is not None:
            with self.lock:  # in the listener's conference: they talk, then the caller hangs up
                self.conferences[(verb.find("Conference").text or "").strip()] = leg
            leg.bridged.set()
            self._spend(random.uniform(*self.pacing.talk))
            return None
        for number in verb.iter("Number"):
            if number.get("url"):  # the whisper the receiving side hears
                self.webhooks.post(number.get("url"), {"CallSid": "CA" + uuid.uuid4().hex,
                                                       "AccountSid": ACCOUNT_SID, "To": number.text or "",
                                                       "From": verb.get("callerId") or "",
                                                       "Direction": "outbound-dial"})
        started = time.monotonic()
        self._spend(random.uniform(*self.pacing.talk))  # the conversation with the line forwarded to
        if verb.get("action"):
            return self._fetch(leg, verb.get("action"), self._params(
                leg, DialCallStatus="completed", DialCallDuration=str(int(time.monotonic() - started))))
        return None

    def _wait_in_queue(self, leg: CallerLeg, verb: ET.Element) -> ET.Element | None:
        name = (verb.text or "").strip()
        with self.lock:
            self.queues[name] = leg
        entered = time.monotonic()
        patience = random.uniform(*self.pacing.queue_patience)
        result = "hangup"
        while not self.stopping.is_set() and not self.hanging_up.is_set():
            if leg.redirect:  # a listener took this caller: the engine moves them into the conference
                result = "redirected"
                break
            waited = str(int(time.monotonic() - entered))
            document = self._fetch(leg, verb.get("waitUrl"), self._params(leg, QueuePosition="1", QueueTime=waited,
                                                                            CurrentQueueSize="1"))
            if document is not None and document.find("Leave") is not None:
                result = "leave"
                break
            gather = document.find("Gather") if document is not None else None
            if leg.wants_callback and gather is not None:
                leg.wants_callback = False  # presses the leave key once, as a person would
                if leg.wake.wait(self.pacing.keys(gather, "0")) or self.hanging_up.is_set():
                    leg.wake.clear()
                    continue  # taken by a listener (or told something) before the key was pressed
                pressed = self._fetch(leg, gather.get("action"), self._params(leg, Digits="0"))
                if pressed is not None and pressed.find("Leave") is not None:
                    result = "leave"
                    break
            leg.wake.wait(self.pacing.waiting(document))  # a bridge or a redirect interrupts the wait document
            leg.wake.clear()
            if time.monotonic() - entered > patience:
                break  # nobody took the call: the caller gives up and hangs up
        with self.lock:
            self.queues.pop(name, None)
        params = self._params(leg, QueueResult=result, QueueTime=str(int(time.monotonic() - entered)))
        if result == "redirected":
            return self._fetch(leg, leg.redirect, self._params(leg))
        answer = self._fetch(leg, verb.get("action"), params) if verb.get("action") else None
        return None if result == "hangup" or self.hanging_up.is_set() else answer


