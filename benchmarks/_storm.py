"""A call storm over HTTP: callers and listeners played as Twilio would, against gunicorn, with every webhook timed.

Used by load_storm.py and the fault_*.py scripts. The Twilio side is the test REST server of tests/support,
whose routes are replaced here so that dialling a listener plays that listener's leg (whisper, press 1, the
conference the engine moves the caller into by a REST redirect, talk until the caller hangs up, the Dial action)
and posts the status callbacks; the callers' legs are played by benchmarks/_storm_caller.py.
Everything runs on 127.0.0.1 and every loop is bounded in count and time.
"""

from __future__ import annotations

import random
import sys
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._storm_calls import (  # noqa: E402
    ACCOUNT_SID,
    Pacing,
    Stats,
    Webhooks,
)
from benchmarks._storm_caller import CallerLeg, CallerLegs  # noqa: E402
from tests.support.twilio_server import TwilioTestServer  # noqa: E402


# --- Twilio's side: queues, listeners' legs, the REST API ------------------------------------------------


class TwilioEmulator(CallerLegs):
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
