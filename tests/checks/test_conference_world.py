"""The independent emulator's conferences, redirects and hangupOnStar, checked against Twilio's documented behaviour.

A tiny TwiML app of this module's own (not the engine) drives the situations through signed webhooks and REST
requests to the emulator's REST side, as a helpline engine would: a queued caller is offered to a listener, both
are put in a conference, the listener presses * for a menu that holds the caller, a supervisor coaches the
listener, the listener's leg drops and the caller is taken back. What each party hears is then read off the
emulator's audio model."""

from __future__ import annotations

import array
import base64
import io
import json
import math
import threading
import urllib.parse
import urllib.request
import wave

import pytest
from flask import Flask, request
from twilio.request_validator import RequestValidator
from werkzeug.serving import make_server

from checks.call_record import Outcome
from checks.twilio_emulator import TwilioEmulator
from checks.twilio_rest import TwilioRest
from checks.world_mode import Party, WorldMode

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


@pytest.fixture()
def double():
    helpline = HelplineDouble()
    server = make_server("127.0.0.1", 0, helpline.app, threaded=True)
    helpline.base = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with TwilioRest(ACCOUNT) as rest:
        helpline.rest_url = rest.base_url
        yield helpline, rest
    server.shutdown()


def _play(helpline, rest, caller: Outcome, phonebook: dict[str, Party]):
    emulator = TwilioEmulator(helpline.base, TOKEN, ACCOUNT, voice_path="/incoming", status_path="/after-queue",
                              rest=rest)
    mode = WorldMode(emulator, rest, phonebook)
    record = emulator.call("+33199000116", CALLER, caller)
    assert mode.world.errors == []
    return record, mode


def _leg(mode, name: str):
    return next(leg for leg in mode.world.legs if leg.name == name)


def _between(record, start: float, end: float, kind: str | None = None):
    return [h for h in record.heard if h.start < end and h.start + h.seconds > start and (kind is None or
                                                                                          h.kind == kind)]


def test_a_listener_who_presses_star_holds_the_caller_who_hears_the_hold_music_then_the_listener_again(double):
    helpline, rest = double
    helpline.options["hold_on_star"] = True
    listener = Party("listener", outcome=Outcome(answers={"Un appel": ["1"], "Menu": ["1"]},
                                                 in_conference=[(40.0, "*"), (30.0, "hangup")]))
    record, mode = _play(helpline, rest, Outcome(hangup_at=200.0), {LISTENER: listener})
    talks = [h for h in record.heard if h.kind == "talk"]
    assert talks and all(h.parties == ("listener",) for h in talks)
    hold = [h for h in record.heard if h.kind == "say" and "revient" in h.text]
    assert len(hold) == 1, "the hold document's sentence plays once, then its music (loop=0)"
    menu_pressed = next(e.at for e in _leg(mode, "listener").record.events if e.kind == "press" and e.detail == "*")
    resumed = [h for h in record.heard if h.kind == "talk" and h.start > hold[0].start]
    assert resumed and [h.kind for h in _between(record, hold[0].start, resumed[0].start)] == ["say", "play"]
    assert len(talks) == 2 and talks[0].seconds == pytest.approx(40.0) and menu_pressed == pytest.approx(42.5)
    # The listener's leg: the offer, the menu after *, back in the conference.
    listener_leg = _leg(mode, "listener")
    assert [e.detail for e in listener_leg.record.events if e.kind == "press"] == ["1", "*", "1"]
    assert [h.text for h in listener_leg.record.says()] == ["Un appel. Tapez 1.", "Menu. Tapez 1 pour reprendre."]
    events = [c["StatusCallbackEvent"] for c in mode.callbacks]
    assert events[:3] == ["conference-start", "participant-join", "participant-join"]
    assert "participant-hold" in events and "participant-unhold" in events
    hold_event = next(c for c in mode.callbacks if c["StatusCallbackEvent"] == "participant-hold")
    assert hold_event["Hold"] == "true" and hold_event["CallSid"] == helpline.calls["caller"]
    assert hold_event["FriendlyName"] == ROOM and hold_event["ConferenceSid"].startswith("CF")
    # The listener hung up at last; the conference goes on with the caller (only the caller's exit ends it).
    assert events[-3:] == ["participant-leave", "participant-leave", "conference-end"]
    assert record.ended_by == "caller hung up"


def test_the_caller_alone_in_the_conference_hears_silence_until_the_engine_takes_them_back(double):
    helpline, rest = double
    listener = Party("listener", outcome=Outcome(answers={"Un appel": ["1"]}, in_conference=[(30.0, "hangup")]))
    record, _ = _play(helpline, rest, Outcome(hangup_at=120.0), {LISTENER: listener})
    silences = [h for h in record.heard if h.kind == "silence" and h.seconds > 5]
    assert silences, "nobody takes the caller back: the model says they are alone, in silence"


def test_a_dropped_listener_leg_sends_the_caller_back_to_the_queue_through_a_redirect(double):
    helpline, rest = double
    helpline.options["requeue_on_drop"] = True
    listener = Party("listener", outcome=Outcome(answers={"Un appel": ["1"]}, in_conference=[(30.0, "hangup")]))
    record, _ = _play(helpline, rest, Outcome(hangup_at=150.0), {LISTENER: listener})
    said = [h.text for h in record.says()]
    assert said[-1].startswith("Votre écoutant a été coupé")
    left = next(e for e in record.events if e.kind == "conference-left")
    gap = [h for h in _between(record, left.at, left.at + 10) if h.kind == "silence"]
    assert sum(h.seconds for h in gap) < 1, "redirected at once: no silence in between"
    assert [e.detail for e in record.events if e.kind == "enqueue"] == ["q", "q"]
    assert record.ended_by == "caller hung up"


def test_a_coaching_supervisor_is_heard_by_the_listener_only(double):
    helpline, rest = double
    helpline.options["supervisor"] = True
    listener = Party("listener", outcome=Outcome(answers={"Un appel": ["1"]}, in_conference=[(60.0, "hangup")]))
    supervisor = Party("supervisor", ring=3.0, outcome=Outcome(in_conference=[(20.0, "hangup")]))
    record, mode = _play(helpline, rest, Outcome(hangup_at=100.0), {LISTENER: listener, SUPERVISOR: supervisor})
    assert all("supervisor" not in h.parties for h in record.heard)
    assert any("supervisor" in h.parties for h in _leg(mode, "listener").record.heard)
    supervisor_leg = _leg(mode, "supervisor")
    heard = {p for h in supervisor_leg.record.heard for p in h.parties}
    assert heard == {"caller", "listener"}, "a coach hears everyone"
    assert supervisor_leg.record.ended_by == "supervisor hung up"


def test_a_listener_s_dial_queue_bridges_the_first_caller_after_the_queue_url_document(double):
    helpline, rest = double
    helpline.options["queue_bridge"] = True
    listener = Party("listener", outcome=Outcome(answers={"Un appel": ["1"]}))
    record, mode = _play(helpline, rest, Outcome(), {LISTENER: listener})
    assert [h.text for h in record.says()] == ["Bonjour.", "Un écoutant prend votre appel."]
    assert [h.parties for h in record.heard if h.kind == "talk"] == [("listener",)]
    assert helpline.calls["dequeued_by"] == helpline.calls["listener"]
    assert helpline.calls["listener_dial_status"] == "completed"
    bridged = next(form for path, form in helpline.seen if path == "after-queue" and "QueueResult" in form)
    assert bridged["QueueResult"] == "bridged"
    assert record.ended_by == "caller hung up after talking with a listener"


def test_a_listener_who_dials_a_queue_the_caller_has_not_reached_yet_gets_an_error_status(double):
    helpline, rest = double
    helpline.options.update(queue_bridge=True, offer_at_once=True, long_greeting=12)  # 12 × "Bonjour." ≈ 6 s
    listener = Party("listener", ring=1.0, outcome=Outcome(answers={"Un appel": ["1"]}))
    record, _ = _play(helpline, rest, Outcome(hangup_at=60.0), {LISTENER: listener})
    assert helpline.calls["listener_dial_status"] == "failed"
    assert not any(h.kind == "talk" for h in record.heard)


def test_a_supervisor_added_with_twilio_s_default_beep_is_betrayed_to_the_caller_by_the_beep(double):
    helpline, rest = double
    helpline.options.update(supervisor=True, supervisor_beeps=True)
    listener = Party("listener", outcome=Outcome(answers={"Un appel": ["1"]}, in_conference=[(60.0, "hangup")]))
    supervisor = Party("supervisor", ring=3.0, outcome=Outcome(in_conference=[(20.0, "hangup")]))
    record, _ = _play(helpline, rest, Outcome(hangup_at=100.0), {LISTENER: listener, SUPERVISOR: supervisor})
    beeps = [h for h in record.heard if h.kind == "tone"]
    assert [h.parties for h in beeps] == [("supervisor",), ("supervisor",)]  # came, went (the listener: beep="false")


def test_a_redirect_in_the_hold_music_is_followed_when_the_music_reaches_it_and_no_more_once_resumed(double):
    helpline, rest = double
    helpline.options.update(hold_on_star=True, hold_redirects=True)
    listener = Party("listener", outcome=Outcome(answers={"Un appel": ["1"], "Menu": ["1"]},
                                                 in_conference=[(40.0, "*"), (30.0, "hangup")]))
    record, _ = _play(helpline, rest, Outcome(hangup_at=200.0), {LISTENER: listener})
    paths = [path for path, _ in helpline.seen]
    held = [h for h in record.heard if h.kind in ("say", "play") and h.start >= 48.0 and h.start < 52.0]
    assert [h.kind for h in held][:2] == ["say", "play"]
    again = [i for i, path in enumerate(paths) if path == "hold-again"]
    # Held from 48 s to about 51 s (the menu's key): the sentence (2.3 s), then one document of 8 s of music —
    # fetched once, when the sentence ended; its own <Redirect>, reached after the resume, is never fetched.
    assert len(again) == 1 and again[0] < paths.index("listener-menu-key")
