"""Random and malformed webhook parameters never produce an HTTP error, invalid TwiML or a logged exception.

An exception a webhook caught and answered with its fallback apology still fails here: the fallback is for
real outages, not for inputs Twilio may send. Nothing is filtered out of the inputs (NUL bytes included).

The webhooks are read from the app's URL map, so a route added under /voice is fuzzed without editing this
file. HELPLINE_FUZZ_EXAMPLES sets the number of examples per test (the normal suite: 150; the dedicated
run: ``HELPLINE_FUZZ_EXAMPLES=10000 .venv/bin/python -m pytest tests/ivr/test_webhook_fuzz.py``).
"""

from __future__ import annotations

import logging
import os
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.conftest import SignedTwilio
from tests.support.voice_paths import PATHS

EXAMPLES = int(os.environ.get("HELPLINE_FUZZ_EXAMPLES", "150"))
# Every verb and noun Twilio's voice TwiML knows that the engine may use; anything else is not TwiML.
TWIML_TAGS = {"Response", "Say", "Play", "Pause", "Gather", "Redirect", "Dial", "Number", "Queue", "Enqueue",
              "Leave", "Hangup", "Reject", "Record", "Client", "Conference", "Sip", "Sms", "Message"}
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


class ErrorRecords(logging.Handler):
    """Every record at ERROR or above, from any logger: a webhook's caught exception is logged at ERROR."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def logged_errors():
    handler = ErrorRecords()
    logging.getLogger().addHandler(handler)
    yield handler.records
    logging.getLogger().removeHandler(handler)


def assert_no_error_logged(records: list[logging.LogRecord]) -> None:
    assert not records, [f"{r.name}: {r.getMessage()}" for r in records]
    records.clear()


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
def test_any_webhook_with_any_parameters_answers_valid_twiml(client, logged_errors, path, form, query):
    logged_errors.clear()
    response = SignedTwilio(client).post(path, form, query=query)
    assert_twiml(response)
    assert_no_error_logged(logged_errors)


@FUZZ
@given(path=st.sampled_from(PATHS), query=QUERY)
def test_any_webhook_fetched_with_get_answers_valid_twiml(client, logged_errors, path, query):
    logged_errors.clear()
    twilio = SignedTwilio(client)
    full = f"{path}?{urlencode(query)}" if query else path
    response = client.get(full, headers={"X-Twilio-Signature": twilio.signature(full, {})},
                          base_url=twilio.public_url)
    assert_twiml(response)
    assert_no_error_logged(logged_errors)


@FUZZ
@given(path=st.sampled_from(PATHS), body=st.binary(max_size=2000),
       content_type=st.sampled_from(["application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                                     "application/json", "text/plain", ""]),
       signature=st.one_of(st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40), st.just("")))
def test_raw_garbage_bodies_never_get_a_server_error(client, logged_errors, path, body, content_type, signature):
    logged_errors.clear()
    headers = {"X-Twilio-Signature": signature} if signature else {}
    response = client.post(path, data=body, content_type=content_type or None, headers=headers,
                           base_url="https://ivr.example.org")
    assert response.status_code < 500, response.data[:300]
    assert response.status_code in (200, 400, 403, 413)
    assert_no_error_logged(logged_errors)


def test_a_webhook_that_fell_back_on_an_exception_fails_the_fuzz(app, logged_errors, monkeypatch):
    # The check itself: a webhook that raises answers the caller with the fallback (valid TwiML, HTTP 200),
    # and the fuzz must still count it as a failure.
    from ivr import conversation

    def broken(turn):
        raise RuntimeError("deliberately raised in a webhook")

    monkeypatch.setattr(conversation, "welcome", broken)
    response = SignedTwilio(app.test_client()).post(
        "/voice/incoming", {"CallSid": "CA" + "e" * 32, "From": "+33612345678", "To": "+33199009494"})
    assert_twiml(response)
    with pytest.raises(AssertionError, match="RuntimeError"):
        assert_no_error_logged(logged_errors)


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
