"""A helpline engine reduced to fixed answers, for tests/checks/test_conference_world.py: a tiny TwiML app (not the
engine) that puts the independent emulator through each situation with signed webhooks and REST requests."""

from __future__ import annotations

import array
import base64
import io
import json
import math
import urllib.parse
import urllib.request
import wave

from flask import Flask, request
from twilio.request_validator import RequestValidator

TOKEN = "0123456789abcdef0123456789abcdef"
ACCOUNT = "AC" + "0" * 32
LISTENER, SUPERVISOR, THIRD = "+33612000001", "+33612000009", "+33145000000"
CALLER = "+33698765432"
ROOM = "call-7"


def _wav(loud: bool, seconds: float = 8.0) -> bytes:
    samples = array.array("h", [int(8000 * math.sin(i / 5)) if loud else 0 for i in range(int(8000 * seconds))])
    out = io.BytesIO()
    with wave.open(out, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(8000)
        audio.writeframes(samples.tobytes())
    return out.getvalue()


class HelplineDouble:
    """What a helpline engine does, reduced to fixed answers: enough to put the emulator through each situation."""

    def __init__(self) -> None:
        self.app = Flask("helpline-double")
        self.seen: list[tuple[str, dict]] = []
        self.calls: dict[str, str] = {}  # role -> CallSid
        self.rest_url = ""
        self.base = ""
        self.options: dict[str, object] = {}
        self.app.add_url_rule("/<path:path>", view_func=self.answer, methods=["GET", "POST"])

    def rest(self, path: str, fields: dict | None = None, method: str = "POST") -> dict:
        data = urllib.parse.urlencode(fields or {}, doseq=True).encode() if method == "POST" else None
        req = urllib.request.Request(f"{self.rest_url}/2010-04-01/Accounts/{ACCOUNT}/{path}", data=data,
                                     method=method, headers={"Authorization": "Basic " + base64.b64encode(
                                         f"{ACCOUNT}:{TOKEN}".encode()).decode()})
        with urllib.request.urlopen(req, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else {}

    def conference_sid(self) -> str:
        found = self.rest(f"Conferences.json?FriendlyName={ROOM}&Status=in-progress", method="GET")
        return found["conferences"][0]["sid"]

    def answer(self, path: str):
        if path.startswith("media/"):
            return _wav(path.endswith("music.wav")), 200, {"Content-Type": "audio/wav"}
        url = self.base + request.full_path.rstrip("?")
        form = request.form.to_dict() if request.method == "POST" else request.args.to_dict()
        signed = form if request.method == "POST" else {}
        if not RequestValidator(TOKEN).validate(url, signed, request.headers.get("X-Twilio-Signature", "")):
            return "bad signature", 403
        self.seen.append((path, form))
        body = getattr(self, "doc_" + path.replace("-", "_"))(form)
        return f"<Response>{body}</Response>", 200, {"Content-Type": "text/xml"}

    # --- the caller's leg --------------------------------------------------------------------------------------------

    def doc_incoming(self, form):
        self.calls["caller"] = form["CallSid"]
        if self.options.get("offer_at_once"):  # the listener is called before the caller reaches the queue
            self.calls["offered"] = "yes"
            self.rest("Calls.json", {"To": LISTENER, "From": "+33199000116", "Url": self.base + "/listener"})
        greeting = "Bonjour. " * int(self.options.get("long_greeting", 1))
        return f'<Say>{greeting.strip()}</Say><Enqueue waitUrl="/wait" action="/after-queue">q</Enqueue>'

    def doc_wait(self, form):
        if not self.calls.get("offered"):
            self.calls["offered"] = "yes"
            self.rest("Calls.json", {"To": LISTENER, "From": "+33199000116", "Url": self.base + "/listener",
                                     "StatusCallback": self.base + "/listener-status"})
        return '<Play>/media/music.wav</Play>'

    def doc_caller_conference(self, form):
        return (f'<Dial><Conference endConferenceOnExit="true" startConferenceOnEnter="false" waitUrl="/wait-music"'
                f' beep="false">{ROOM}</Conference></Dial>')

    def doc_wait_music(self, form):
        return '<Play>/media/music.wav</Play>'

    def doc_requeue(self, form):
        return '<Say>Votre écoutant a été coupé, nous vous passons au suivant.</Say><Enqueue waitUrl="/wait">q</Enqueue>'

    def doc_hold_music(self, form):
        if self.options.get("hold_redirects"):
            return '<Say>Un instant, votre écoutant revient.</Say><Redirect>/hold-again</Redirect>'
        return '<Say>Un instant, votre écoutant revient.</Say><Play loop="0">/media/music.wav</Play>'

    def doc_hold_again(self, form):
        return '<Play>/media/music.wav</Play><Redirect>/hold-again</Redirect>'

    def doc_after_queue(self, form):
        return ""

    # --- the listener's leg ------------------------------------------------------------------------------------------

    def doc_listener(self, form):
        self.calls["listener"] = form["CallSid"]
        return '<Gather numDigits="1" action="/listener-accept"><Say>Un appel. Tapez 1.</Say></Gather>'

    def listener_dial(self) -> str:
        return (f'<Dial hangupOnStar="true" action="/listener-menu"><Conference startConferenceOnEnter="true"'
                f' statusCallback="/conference-events" statusCallbackEvent="start end join leave hold mute modify"'
                f' beep="false">{ROOM}</Conference></Dial>')

    def doc_listener_accept(self, form):
        if self.options.get("queue_bridge"):
            return '<Dial action="/listener-after"><Queue url="/connecting">q</Queue></Dial>'
        self.rest(f"Calls/{self.calls['caller']}.json", {"Url": self.base + "/caller-conference"})
        return self.listener_dial()

    def doc_connecting(self, form):
        self.calls["dequeued_by"] = form.get("DequeingCallSid", "")
        return "<Say>Un écoutant prend votre appel.</Say>"

    def doc_listener_after(self, form):
        self.calls["listener_dial_status"] = form.get("DialCallStatus", "")
        return "<Say>Fin de l'appel.</Say>"

    def doc_listener_menu(self, form):
        if self.options.get("hold_on_star"):
            self.rest(f"Conferences/{self.conference_sid()}/Participants/{self.calls['caller']}.json",
                      {"Hold": "true", "HoldUrl": self.base + "/hold-music", "HoldMethod": "POST"})
        return '<Gather numDigits="1" action="/listener-menu-key"><Say>Menu. Tapez 1 pour reprendre.</Say></Gather>'

    def doc_listener_menu_key(self, form):
        self.rest(f"Conferences/{self.conference_sid()}/Participants/{self.calls['caller']}.json", {"Hold": "false"})
        return self.listener_dial()

    def doc_listener_status(self, form):
        return ""

    def doc_conference_events(self, form):
        leaving_listener = form["StatusCallbackEvent"] == "participant-leave" and \
            form.get("CallSid") == self.calls.get("listener") and form.get("ReasonParticipantLeft") != "conference_ended"
        if leaving_listener and self.options.get("requeue_on_drop"):
            self.rest(f"Calls/{self.calls['caller']}.json", {"Url": self.base + "/requeue"})
        if form["StatusCallbackEvent"] == "participant-join" and form.get("CallSid") == self.calls.get("caller") \
                and self.options.get("supervisor"):
            self.rest(f"Conferences/{form['ConferenceSid']}/Participants.json",
                      {"From": "+33199000116", "To": SUPERVISOR, "Label": "supervisor", "Coaching": "true",
                       "CallSidToCoach": self.calls["listener"], "EarlyMedia": "false", "Timeout": "20",
                       "Beep": "true" if self.options.get("supervisor_beeps") else "false",
                       "StatusCallback": self.base + "/listener-status"})
        return ""
