"""Random and malformed webhook parameters never produce an HTTP error or invalid TwiML, on every webhook.

The webhooks are read from the app's URL map, so a route added under /voice is fuzzed without editing this
file. HELPLINE_FUZZ_EXAMPLES sets the number of examples per test (the normal suite: 150; the dedicated
run: ``HELPLINE_FUZZ_EXAMPLES=10000 .venv/bin/python -m pytest tests/test_webhook_fuzz.py``).
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings, strategies as st

from app import create_app
from tests.conftest import AUTH_TOKEN, PEPPER, SignedTwilio

EXAMPLES = int(os.environ.get("HELPLINE_FUZZ_EXAMPLES", "150"))
# Every verb and noun Twilio's voice TwiML knows that the engine may use; anything else is not TwiML.
TWIML_TAGS = {"Response", "Say", "Play", "Pause", "Gather", "Redirect", "Dial", "Number", "Queue", "Enqueue",
              "Leave", "Hangup", "Reject", "Record", "Client", "Conference", "Sip", "Sms", "Message"}


def voice_paths() -> list[str]:
    """Every webhook the app serves, whichever module adds it (read from a throwaway app's URL map)."""
    app = create_app({"ENVIRONMENT": "development", "DATABASE_URL": "sqlite://", "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                      "NUMBER_PEPPER": PEPPER, "LOG_LEVEL": "WARNING"})
    return sorted({rule.rule for rule in app.url_map.iter_rules()
                   if rule.rule.startswith("/voice/") and not rule.arguments})


PATHS = voice_paths()
NUMBERS = st.sampled_from(["+3225550300", "+33199003977", "+33199000116", "+33199009494", "anonymous",
                           "+266696687", "", "0612345678", "+33612345678", "client:listener", "sip:x@y"])
TEXT = st.text(max_size=60)
SMALL_NUMBER = st.integers(min_value=-10, max_value=10**12).map(str)
FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "CallSid": st.one_of(TEXT, st.just("CA" + "f" * 32)),
        "AccountSid": st.one_of(TEXT, st.just("AC" + "1" * 32)),
        "From": st.one_of(NUMBERS, TEXT),
        "To": st.one_of(NUMBERS, TEXT),
        "Digits": st.one_of(st.text(alphabet="0123456789*#", max_size=12), TEXT),
        "DialCallStatus": st.one_of(st.sampled_from(["completed", "busy", "no-answer", "failed", "canceled"]), TEXT),
        "DialCallSid": TEXT,
        "DialCallDuration": st.one_of(SMALL_NUMBER, TEXT),
        "QueueResult": st.one_of(st.sampled_from(["bridged", "leave", "hangup", "queue-full", "error",
                                                  "redirected", "system-error"]), TEXT),
        "QueuePosition": st.one_of(SMALL_NUMBER, TEXT),
        "QueueTime": st.one_of(SMALL_NUMBER, TEXT),
        "CurrentQueueSize": st.one_of(SMALL_NUMBER, TEXT),
        "DequeingCallSid": TEXT,
        "AnsweredBy": st.one_of(st.sampled_from(["human", "machine_start", "fax", "unknown"]), TEXT),
        "CallStatus": st.one_of(st.sampled_from(["ringing", "in-progress", "completed", "busy", "no-answer",
                                                 "failed", "canceled"]), TEXT),
        "CallDuration": st.one_of(SMALL_NUMBER, TEXT),
        "Direction": st.one_of(st.sampled_from(["inbound", "outbound-api", "outbound-dial"]), TEXT),
        "SpeechResult": TEXT,
    },
)
QUERY_KEYS = ("r", "n", "d", "t", "l", "ff", "da", "ca", "kind", "line", "department", "no_input", "qc", "offer",
              "attempt", "request", "step", "typed", "window", "tries")
QUERY = st.fixed_dictionaries(
    {}, optional={k: st.one_of(st.text(alphabet="0123456789", max_size=14), SMALL_NUMBER, TEXT) for k in QUERY_KEYS})
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                             HealthCheck.too_slow])


def no_nul(values: dict[str, str]) -> dict[str, str]:
    return {k: v.replace("\x00", "") for k, v in values.items()}


def assert_twiml(response) -> None:
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == "text/xml"
    document = ET.fromstring(response.data)
    assert document.tag == "Response"
    unknown = {element.tag for element in document.iter()} - TWIML_TAGS
    assert not unknown, response.data[:300]


def test_the_fuzzed_webhooks_are_read_from_the_url_map():
    assert {"/voice/incoming", "/voice/queue/wait", "/voice/listener/offer", "/voice/callback/consent",
            "/voice/presence/pin"} <= set(PATHS)


@FUZZ
@given(path=st.sampled_from(PATHS), form=FIELDS, query=QUERY)
def test_any_webhook_with_any_parameters_answers_valid_twiml(client, path, form, query):
    response = SignedTwilio(client).post(path, no_nul(form), query=no_nul(query))
    assert_twiml(response)


@FUZZ
@given(path=st.sampled_from(PATHS), query=QUERY)
def test_any_webhook_fetched_with_get_answers_valid_twiml(client, path, query):
    twilio = SignedTwilio(client)
    full = f"{path}?{urlencode(no_nul(query))}" if query else path
    response = client.get(full, headers={"X-Twilio-Signature": twilio.signature(full, {})},
                          base_url=twilio.public_url)
    assert_twiml(response)


@FUZZ
@given(path=st.sampled_from(PATHS), body=st.binary(max_size=2000),
       content_type=st.sampled_from(["application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                                     "application/json", "text/plain", ""]),
       signature=st.one_of(st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40), st.just("")))
def test_raw_garbage_bodies_never_get_a_server_error(client, path, body, content_type, signature):
    headers = {"X-Twilio-Signature": signature} if signature else {}
    response = client.post(path, data=body, content_type=content_type or None, headers=headers,
                           base_url="https://ivr.example.org")
    assert response.status_code < 500, response.data[:300]
    assert response.status_code in (200, 400, 403, 413)


def test_a_control_character_in_the_queue_key_url_still_gives_well_formed_twiml(twilio):
    # Found by the 10,000-example run: the key webhook copied its "qc" argument into the Redirect URL.
    for method in ("post", "get"):
        if method == "post":
            response = twilio.post("/voice/queue/key", {}, query={"qc": "\x1f"})
        else:
            path = "/voice/queue/key?qc=%08"
            response = twilio.client.get(path, headers={"X-Twilio-Signature": twilio.signature(path, {})},
                                         base_url=twilio.public_url)
        assert_twiml(response)
        assert ET.fromstring(response.data).find("Redirect").text.endswith("/voice/queue/wait?qc=")
