"""The independent check of issue 12: every shipped line, at boundary times, through checks/'s own Twilio emulator.

The emulator is first checked against a small TwiML server written here (so that a failure below is the
engine's, not the emulator's), and its checks against sentences known to be right and wrong."""

from __future__ import annotations

import array
import io
import math
import threading
import wave

import pytest
from flask import Flask, request
from twilio.request_validator import RequestValidator
from werkzeug.serving import make_server

from checks.call_record import CallRecord, Event, Heard, Outcome
from checks.hear_every_line import play_all, report
from checks.listener_leg import answer
from checks.scenarios import Scenario
from checks.twilio_emulator import TwilioEmulator
from checks.twilio_http import twilio_signature
from checks.twilio_rest import TwilioRest
from checks.what_callers_must_hear import (check_country_numbers, check_max_wait, check_natural_language,
                                           check_nothing_twice, check_queue_silence, check_truth_first,
                                           spoken_numbers)

TOKEN = "0123456789abcdef0123456789abcdef"


def test_the_emulator_signs_requests_exactly_as_twilio_s_request_validator_expects():
    url = "http://127.0.0.1:5000/voice/menu?l=fr&r=0"
    params = {"CallSid": "CA" + "1" * 32, "Digits": "94300", "From": "+33612345678", "To": "+33199000116"}
    signature = twilio_signature(TOKEN, url, params)
    validator = RequestValidator(TOKEN)
    assert signature == validator.compute_signature(url, params)
    assert validator.validate(url, params, signature)
    assert not validator.validate(url, dict(params, Digits="94301"), signature)


@pytest.fixture()
def twiml_server():
    """A server that answers fixed TwiML and refuses any request not signed as Twilio signs."""
    app = Flask("twiml-fixture")
    seen: list[tuple[str, dict]] = []
    documents = {
        "/incoming": '<Response><Say>Bonjour.</Say><Gather action="/menu" numDigits="1" timeout="4">'
                     '<Say>Tapez 1.</Say></Gather><Say>Rien entendu.</Say>'
                     '<Redirect>/menu?again=1</Redirect></Response>',
        "/menu": '<Response><Dial action="/dialled" timeout="20"><Number url="/whisper">+33199000001</Number></Dial>'
                 '</Response>',
        "/whisper": '<Response><Say>Appel pour vous.</Say></Response>',
        "/dialled": '<Response><Enqueue action="/left" waitUrl="/wait">q1</Enqueue></Response>',
        "/wait": '<Response><Say>Patientez.</Say><Pause length="7"/><Play>https://example.org/m.mp3</Play>'
                 '<Gather numDigits="1" action="/wait-key" timeout="3"/></Response>',
        "/wait-key": '<Response><Leave/></Response>',
        "/left": '<Response><Say>Au revoir.</Say><Hangup/></Response>',
        "/status": "<Response/>",
        "/queued": '<Response><Enqueue action="/after-queue" waitUrl="/wait">q2</Enqueue></Response>',
        "/listener": '<Response><Gather numDigits="1" action="/listener-key"><Say>Un appel.</Say></Gather></Response>',
        "/listener-key": '<Response><Dial action="/listener-after"><Queue url="/connecting">q2</Queue></Dial>'
                         '</Response>',
        "/connecting": '<Response><Say>On vous répond.</Say></Response>',
        "/after-queue": "<Response/>",
        "/listener-after": '<Response><Say>Classez cet appel.</Say></Response>',
        "/listener-status": "<Response/>",
    }
    holder = {}

    @app.post("/<path:path>")
    def answer(path):
        url = holder["base"] + request.full_path.rstrip("?")
        if not RequestValidator(TOKEN).validate(url, request.form.to_dict(), request.headers["X-Twilio-Signature"]):
            return "bad signature", 403
        seen.append((request.path, request.form.to_dict()))
        return documents[request.path], 200, {"Content-Type": "text/xml"}

    @app.get("/media/<name>.wav")
    def media(name):
        samples = array.array("h", [0 if name == "silence" else int(8000 * math.sin(i / 5)) for i in range(8000)])
        out = io.BytesIO()
        with wave.open(out, "wb") as audio:
            audio.setnchannels(1)
            audio.setsampwidth(2)
            audio.setframerate(8000)
            audio.writeframes(samples.tobytes())
        return out.getvalue(), 200, {"Content-Type": "audio/wav"}

    server = make_server("127.0.0.1", 0, app)
    holder["base"] = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield holder["base"], seen
    server.shutdown()


def test_the_emulator_follows_gather_timeouts_redirects_dial_actions_and_the_queue_loop(twiml_server):
    base, seen = twiml_server
    emulator = TwilioEmulator(base, TOKEN, "AC" + "0" * 32, voice_path="/incoming", status_path="/status")
    record = emulator.call("+33199000116", "anonymous",
                           Outcome(presses=[""], queue_presses=["", "5"], dial={"+33199000001": "busy"}))
    assert record.problems == []
    paths = [path for path, _ in seen]
    # Gather timed out: the next verbs ran (no request to its action), the Redirect kept its query string.
    assert paths[:2] == ["/incoming", "/menu"]
    assert seen[1][1].get("Digits") is None
    assert paths[2] == "/dialled" and seen[2][1]["DialCallStatus"] == "busy"
    # The wait document was fetched again after it ended, with the queue's parameters, until the key's <Leave>.
    assert paths[3:7] == ["/wait", "/wait", "/wait-key", "/left"]
    assert int(seen[4][1]["QueueTime"]) > int(seen[3][1]["QueueTime"])
    assert seen[5][1]["Digits"] == "5"
    assert seen[6][1]["QueueResult"] == "leave"
    assert paths[-1] == "/status" and seen[-1][1]["CallStatus"] == "completed"
    said = [h.text for h in record.says()]
    assert said == ["Bonjour.", "Tapez 1.", "Rien entendu.", "Patientez.", "Patientez.", "Au revoir."]
    assert [h.seconds for h in record.heard if h.kind == "silence"] == [4.0, 7.0, 3.0, 7.0]
    assert record.ended_by == "<Hangup>"


@pytest.mark.parametrize("listener_first", [False, True])
def test_a_listener_called_through_the_rest_api_is_bridged_with_the_queued_caller(twiml_server, listener_first):
    order = ("dial-action", "queue-action", "caller-status") if listener_first else Outcome().after_talk
    base, seen = twiml_server
    with TwilioRest("AC" + "0" * 32) as rest:
        emulator = TwilioEmulator(base, TOKEN, "AC" + "0" * 32, voice_path="/queued", status_path="/status",
                                  rest=rest, answer_placed=answer)
        # As if the server had asked Twilio to call a listener when the caller was queued.
        rest.handle("POST", "/2010-04-01/Accounts/AC" + "0" * 32 + "/Calls.json",
                    {"To": "+33612000001", "From": "+33199000116", "Url": base + "/listener",
                     "StatusCallback": base + "/listener-status"})
        record = emulator.call("+33199000116", "anonymous", Outcome(after_talk=order))
    assert record.problems == []
    paths = [path for path, _ in seen]
    caller_end, listener_end = ["/after-queue", "/status"], ["/listener-after", "/listener-status"]
    assert paths == ["/queued", "/wait", "/listener", "/listener-key", "/connecting"] + (
        listener_end + caller_end if listener_first else caller_end + listener_end)
    form = dict(seen)
    assert form["/connecting"]["DequeingCallSid"] == form["/listener"]["CallSid"]
    assert form["/listener-key"]["Digits"] == "1"
    assert form["/after-queue"]["QueueResult"] == "bridged"
    assert form["/listener-after"]["DialCallStatus"] == "completed"
    assert [h.text for h in record.says()] == ["On vous répond."]
    assert record.listener == ["Un appel.", "Classez cet appel."]


def test_hold_music_served_on_this_machine_is_timed_and_a_silent_file_counts_as_silence(twiml_server):
    base, _ = twiml_server
    emulator = TwilioEmulator(base, TOKEN, "AC" + "0" * 32)
    assert emulator.media(base + "/media/tone.wav") == (1.0, True)
    assert emulator.media(base + "/media/silence.wav") == (1.0, False)
    assert emulator.media(base + "/media/missing.mp3") is None
    assert emulator.media("https://media.example.org/hold.mp3") == (20.0, True)  # never fetched


def _record(*texts, queued=False, closed_at=None, question_at=None) -> CallRecord:
    record = CallRecord()
    t = 0.0
    for text in texts:
        kind, _, body = text.partition(":") if text.startswith(("silence:", "play:")) else ("say", "", text)
        seconds = float(body) if kind in ("silence", "play") else 3.0
        record.heard.append(Heard(t, seconds, kind, body if kind != "say" else text, queued=queued))
        t += seconds
    if question_at is not None:
        record.events.append(Event(question_at, "question", "Tapez votre code postal."))
    return record


def test_the_checks_hear_a_belgian_caller_told_to_call_17_and_a_french_one_told_the_right_numbers():
    belgian = Scenario("ecoute-violences-conjugales", (2026, 7, 21, 10, 0), True, "holiday")
    wrong = _record("Si vous êtes en danger immédiat, appelez le 17 ou le 112. "
                    "Si vous ne pouvez pas parler, envoyez un SMS au 114.")
    right = _record("Si vous êtes en danger immédiat, appelez le 101 ou le 112.")
    assert check_country_numbers(belgian, wrong)
    assert check_country_numbers(belgian, right) == []
    french = Scenario("un-premier-pas", (2026, 11, 24, 10, 0), False, "open")
    assert check_country_numbers(french, wrong) == []
    assert check_country_numbers(french, right)
    assert spoken_numbers("call 1 1 2, or 39 19, from 9 heures to 17 heures") == ["112", "3919"]


def test_the_checks_hear_a_label_without_its_article_and_a_question_before_the_closing():
    closed = Scenario("3977", (2026, 11, 25, 3, 0), True, "night")
    assert check_natural_language(closed, _record("Nous vous mettons en relation avec 107."))
    assert check_natural_language(closed, _record("Nous vous mettons en relation avec le 107, Télé-Accueil.")) == []
    late = _record("Bonjour.", "Nous sommes actuellement fermés. Nous rouvrons demain à 9 heures.", question_at=1.0)
    early = _record("Bonjour.", "Nous sommes actuellement fermés. Nous rouvrons demain à 9 heures.", question_at=7.0)
    assert check_truth_first(closed, late)
    assert check_truth_first(closed, early) == []


def test_the_checks_hear_a_sentence_said_twice_and_silence_while_queued():
    scenario = Scenario("3977", (2026, 11, 24, 10, 0), False, "open", staffed=True)
    twice = _record("Nous allons vous mettre en relation avec la plateforme nationale.",
                    "Nous vous mettons en relation avec la plateforme nationale.")
    assert check_nothing_twice(scenario, twice)
    assert check_nothing_twice(scenario, _record("Bonjour, ici le 39 77.", "Nous sommes ouverts.")) == []
    silent = _record("Patientez.", "silence:45", "silence:1", "Patientez.", queued=True)
    music = _record("Patientez.", "play:20", "silence:4", "Patientez.", queued=True)
    silent.events.append(Event(0.0, "enqueue", "q"))
    music.events.append(Event(0.0, "enqueue", "q"))
    assert check_queue_silence(scenario, silent)
    assert check_queue_silence(scenario, music) == []


def test_the_checks_hear_a_queue_that_keeps_a_caller_past_its_max_wait():
    belgian = Scenario("ecoute-violences-conjugales", (2026, 11, 24, 10, 0), False, "open", staffed=True)
    late, in_time = CallRecord(), CallRecord()
    for record, left in ((late, 330.0), (in_time, 303.0)):
        record.events += [Event(20.0, "enqueue", "q"), Event(20.0 + left, "queue-end", "leave")]
    assert check_max_wait(belgian, late) == ["max_wait is 300 s but the caller left the queue after 330 s"]
    assert check_max_wait(belgian, in_time) == []


def test_every_shipped_line_at_its_boundary_times_sounds_right_to_an_independent_twilio(database_url):
    # database_url: an empty database of the suite's kind (SQLite, or PostgreSQL in the suite's second run).
    played = play_all(database_url=database_url)
    text, ok = report(played)
    assert ok, "\n" + text
