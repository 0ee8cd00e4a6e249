"""A call storm over HTTP: callers and listeners played as Twilio would, against gunicorn, with every webhook timed.

Used by load_storm.py and the fault_*.py scripts. The Twilio side is the test REST server of tests/support,
whose routes are replaced here so that dialling a listener plays that listener's leg (whisper, press 1, the
conference the engine moves the caller into by a REST redirect, talk until the caller hangs up, the Dial action)
and posts the status callbacks.
Everything runs on 127.0.0.1 and every loop is bounded in count and time.
"""

from __future__ import annotations

import random
import sys
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._storm_calls import (  # noqa: E402
    ACCOUNT_SID,
    CALLBACK_PRESSES,
    MAX_TURNS,
    Pacing,
    Stats,
    Webhooks,
)
from tests.support.twilio_server import TwilioTestServer  # noqa: E402


# --- Twilio's side: queues, listeners' legs, the REST API ------------------------------------------------


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


class TwilioEmulator:
    """Plays callers' legs and answers the engine's REST calls as Twilio would, over loopback HTTP."""

    def __init__(self, auth_token: str, stats: Stats, pacing: Pacing | None = None):
        self.auth_token = auth_token
        self.stats = stats
        self.pacing = pacing or Pacing.compressed()
        self.rest = TwilioTestServer(ACCOUNT_SID, auth_token)
        self.rest.route = self.route  # the handler asks server.route(...)
        self.webhooks: Webhooks | None = None
        self.queues: dict[str, CallerLeg] = {}
        self.conferences: dict[str, CallerLeg] = {}  # a conference's name: the caller in it
        self.legs: dict[str, CallerLeg] = {}
        self.listener_legs: dict[str, dict] = {}
        self.lock = threading.Lock()
        self.callers_placed = 0
        self.threads: list[threading.Thread] = []
        self.hanging_up = threading.Event()  # the storm is over: callers hang up wherever they are
        self.stopping = threading.Event()

    def start(self, app_base_url: str) -> "TwilioEmulator":
        self.webhooks = Webhooks(app_base_url, self.auth_token, self.stats)
        self.rest.start()
        return self

    def settle(self, seconds: float = 30) -> None:
        """Wait for the listeners' legs still being played (a sweep's dispatch dials listeners too)."""
        deadline = time.monotonic() + seconds
        for thread in list(self.threads):
            thread.join(timeout=max(0.0, deadline - time.monotonic()))

    def stop(self) -> None:
        self.hanging_up.set()
        self.stopping.set()
        for thread in list(self.threads):
            thread.join(timeout=10)
        self.rest.stop()

    def _spend(self, seconds: float) -> bool:
        """Let ``seconds`` of the call pass; False when the storm ended meanwhile and the person hangs up."""
        return not self.hanging_up.wait(max(0.0, seconds))

    # -- REST ---------------------------------------------------------------------------------------------

    def route(self, method: str, path: str, params: dict[str, str]) -> tuple[int, dict]:
        prefix = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls"
        if method == "POST" and path == prefix + ".json":
            sid = "CA" + uuid.uuid4().hex
            leg = {"sid": sid, "params": params, "status": "queued", "cancel": threading.Event()}
            with self.lock:
                self.listener_legs[sid] = leg
            thread = threading.Thread(target=self._listener_leg, args=(leg,), daemon=True)
            self.threads.append(thread)
            thread.start()
            return 201, {"sid": sid, "status": "queued", "to": params.get("To"), "from": params.get("From")}
        if path.startswith(prefix + "/") and path.endswith(".json"):
            sid = path[len(prefix) + 1: -5]
            with self.lock:
                listener, caller = self.listener_legs.get(sid), self.legs.get(sid)
            if listener is None and caller is None:
                return 404, {"code": 20404, "message": "not found", "status": 404}
            if method == "POST" and listener is not None and params.get("Status") in ("canceled", "completed"):
                listener["cancel"].set()
            if method == "POST" and caller is not None and params.get("Url"):
                caller.redirect = params["Url"]
                caller.wake.set()
            status = listener["status"] if listener is not None else caller.status
            return 200, {"sid": sid, "status": status}
        return 404, {"code": 20404, "message": f"no route {method} {path}", "status": 404}

    # -- a listener's leg ------------------------------------------------------------------------------------

    def _listener_leg(self, leg: dict) -> None:
        params, sid = leg["params"], leg["sid"]
        base = {"CallSid": sid, "AccountSid": ACCOUNT_SID, "From": params.get("From", ""),
                "To": params.get("To", ""), "Direction": "outbound-api"}
        talked = 0.0
        try:
            if leg["cancel"].wait(random.uniform(*self.pacing.ring)) or self.stopping.is_set():
                leg["status"] = "canceled"  # the phone stopped ringing before it was picked up
                return
            leg["status"] = "in-progress"
            document = self.webhooks.post(params["Url"], {**base, "CallStatus": "in-progress"})
            gather = document.find("Gather") if document is not None else None
            if gather is None or leg["cancel"].wait(self.pacing.keys(gather, "1")):
                return  # the whisper is heard to its end, then 1 is pressed
            document = self.webhooks.post(gather.get("action"), {**base, "CallStatus": "in-progress", "Digits": "1"})
            dial = document.find("Dial") if document is not None else None
            if dial is not None and dial.find("Conference") is not None:
                talked = self._in_conference(base, dial)
        finally:
            if params.get("StatusCallback"):
                final = "canceled" if leg["status"] == "canceled" else "completed"
                leg["status"] = final
                self.webhooks.post(params["StatusCallback"], {**base, "CallStatus": final,
                                                              "CallDuration": str(int(talked))})
            else:
                leg["status"] = "completed"

    def _in_conference(self, base: dict, dial: ET.Element) -> float:
        """The listener waits in the conference for the caller the engine moves there (REST redirect), talks
        until the caller hangs up (which ends the conference), then Twilio requests the listener's Dial action."""
        name = (dial.find("Conference").text or "").strip()
        deadline, caller = time.monotonic() + 20, None
        while caller is None and time.monotonic() < deadline and not self.stopping.is_set():
            with self.lock:
                caller = self.conferences.get(name)
            if caller is None:
                time.sleep(0.05)
        talked = 0.0
        if caller is not None:
            started = time.monotonic()
            caller.hung_up.wait(self.pacing.talk[1] + 30)
            talked = time.monotonic() - started
            self.stats.count("calls_bridged")
        if dial.get("action"):
            self.webhooks.post(dial.get("action"), {**base, "CallStatus": "in-progress", "DialCallStatus": "completed",
                                                    "DialCallDuration": str(int(talked))})
        return talked

    # -- a caller's leg ----------------------------------------------------------------------------------------

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

    def _play(self, leg: CallerLeg, document: ET.Element) -> ET.Element | None:
        """Plays ``document`` on the caller's phone, verb after verb; the next document, or None once hung up."""
        for verb in document:
            if verb.tag in ("Say", "Pause", "Play"):
                if not self._spend(self.pacing.plays(verb)):
                    return None
            elif verb.tag == "Gather":
                if leg.presses:
                    digits = leg.presses.pop(0)
                    if not self._spend(self.pacing.keys(verb, digits)):
                        return None
                    return self._fetch(leg, verb.get("action"), self._params(leg, Digits=digits))
                if not self._spend(self.pacing.plays(verb)):  # heard to its end, its timeout included
                    return None
                if verb.get("actionOnEmptyResult") == "true":
                    return self._fetch(leg, verb.get("action"), self._params(leg, Digits=""))
            elif verb.tag == "Redirect":
                return self._fetch(leg, (verb.text or "").strip(), self._params(leg))
            elif verb.tag == "Dial" and verb.find("Conference") is not None:
                with self.lock:  # in the listener's conference: they talk, then the caller hangs up
                    self.conferences[(verb.find("Conference").text or "").strip()] = leg
                leg.bridged.set()
                self._spend(random.uniform(*self.pacing.talk))
                return None
            elif verb.tag == "Dial":
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
            elif verb.tag == "Enqueue":
                return self._wait_in_queue(leg, verb)
            elif verb.tag in ("Hangup", "Reject", "Leave"):
                return None
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


