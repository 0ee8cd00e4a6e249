"""The Twilio side: signatures, unknown numbers, garbage, failures, and what is (never) kept about callers."""

from __future__ import annotations

import hashlib
import hmac
import logging
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import sessionmaker

from ivr.twilio_rest import make_client
from store.db import make_engine
from store.extension import database
from store.models import Base, Call
from tests.conftest import AUTH_TOKEN, PEPPER, PUBLIC_URL, SignedTwilio, at_brussels, at_paris, make_test_app
from tests.support.twilio_server import TwilioTestServer

EVC = "+3225550300"
CALLER = "+33612345678"
CALLER_FORMS = ("+33612345678", "0612345678", "612345678", "33612345678", "06 12 34 56 78")
TWIML_VERBS = {"Say", "Play", "Pause", "Gather", "Redirect", "Dial", "Enqueue", "Hangup", "Leave", "Reject"}


def params(**extra):
    base = {"CallSid": "CA" + "a" * 32, "AccountSid": "AC" + "1" * 32, "From": CALLER, "To": EVC,
            "CallStatus": "ringing", "Direction": "inbound"}
    base.update(extra)
    return base


def assert_valid_twiml(response) -> ET.Element:
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    document = ET.fromstring(response.data)
    assert document.tag == "Response"
    assert {child.tag for child in document} <= TWIML_VERBS
    assert len(document) > 0, "an empty document is silence"
    return document


# --- signatures -------------------------------------------------------------------------------------------------


def test_a_correctly_signed_call_is_answered(twilio):
    document = assert_valid_twiml(twilio.post("/voice/incoming", params()))
    assert document.find("Say") is not None


def test_missing_signature_is_refused(client):
    response = client.post("/voice/incoming", data=params(), base_url=PUBLIC_URL)
    assert response.status_code == 403


def test_signature_made_with_another_token_is_refused(client):
    forged = SignedTwilio(client, token="not-our-token")
    assert forged.post("/voice/incoming", params()).status_code == 403


def test_signed_request_replayed_to_another_url_is_refused(client, twilio):
    signature = twilio.signature("/voice/route", params())
    response = client.post("/voice/incoming", data=params(), headers={"X-Twilio-Signature": signature},
                           base_url=PUBLIC_URL)
    assert response.status_code == 403


def test_tampered_parameters_are_refused(client, twilio):
    signature = twilio.signature("/voice/incoming", params())
    response = client.post("/voice/incoming", data=params(To="+33199000116"),
                           headers={"X-Twilio-Signature": signature}, base_url=PUBLIC_URL)
    assert response.status_code == 403


def test_signature_is_checked_against_the_public_url_behind_a_proxy(app, client):
    # Twilio signed https://ivr.example.org/...; the app sees http://10.0.0.5:8000/... from the proxy.
    signature = SignedTwilio(client).signature("/voice/incoming", params())
    response = client.post("/voice/incoming", data=params(), headers={"X-Twilio-Signature": signature},
                           base_url="http://10.0.0.5:8000")
    assert_valid_twiml(response)


def test_without_a_public_url_the_request_url_is_used_with_or_without_port(database_url, clock, shipped_directory):
    # Only in development: production refuses to start without HELPLINE_PUBLIC_URL.
    app = make_test_app(database_url, clock, PUBLIC_URL=None, ENVIRONMENT="development")
    with app.app_context(), database.session() as session:
        from store.directory import load_documents

        load_documents(session, shipped_directory)
        session.commit()
    client = app.test_client()
    signer = SignedTwilio(client, public_url="https://ivr.example.org")
    signature = signer.signature("/voice/incoming", params())
    response = client.post("/voice/incoming", data=params(), headers={"X-Twilio-Signature": signature},
                           base_url="https://ivr.example.org:443")
    assert_valid_twiml(response)


def test_get_webhooks_are_signed_over_the_url_alone(client, twilio):
    from urllib.parse import urlencode

    path = "/voice/incoming?" + urlencode(params())
    signature = twilio.validator.compute_signature(PUBLIC_URL + path, {})
    response = client.get(path, headers={"X-Twilio-Signature": signature}, base_url=PUBLIC_URL)
    assert_valid_twiml(response)


# --- unknown numbers and garbage --------------------------------------------------------------------------------


def test_unknown_number_gets_a_polite_message_in_french_and_english(twilio):
    document = assert_valid_twiml(twilio.post("/voice/incoming", params(To="+33100000000")))
    said = " ".join(s.text for s in document.iter("Say"))
    assert "n'est rattaché à aucune ligne" in said and "not linked to any helpline" in said
    assert document[-1].tag == "Hangup"


@pytest.mark.parametrize("changes", [
    {"To": ""},
    {"To": "not a number"},
    {"From": "anonymous"},
    {"From": "+266696687"},
    {"From": ""},
    {"From": "x" * 5000},
    {"CallSid": ""},
    {"CallSid": "CA" + "b" * 5000},
], ids=["no-to", "garbage-to", "anonymous", "placeholder", "no-from", "huge-from", "no-sid", "huge-sid"])
def test_garbage_parameters_still_get_valid_twiml(twilio, changes):
    assert_valid_twiml(twilio.post("/voice/incoming", params(**changes)))


@pytest.mark.parametrize("path", ["/voice/menu", "/voice/department", "/voice/dial-result", "/voice/queue-result",
                                  "/voice/route", "/voice/whisper", "/voice/queue/wait"])
@pytest.mark.parametrize("digits", ["abc", "", "9" * 500, "*#*#", "é"])
def test_letters_and_huge_digits_never_break_a_webhook(twilio, path, digits):
    response = twilio.post(path, params(Digits=digits, DialCallStatus=digits, QueueResult=digits),
                           query={"r": "999", "l": "xx", "d": "<script>", "n": "-1", "t": "a" * 200})
    assert_valid_twiml(response)


def test_an_oversized_body_is_refused(twilio):
    response = twilio.post("/voice/incoming", params(From="1" * 70_000))
    assert response.status_code == 413


def test_unknown_voice_path_still_answers_twiml(twilio):
    assert_valid_twiml(twilio.post("/voice/nowhere", params()))


# --- never fail --------------------------------------------------------------------------------------------------


def test_an_exception_in_routing_still_gives_an_apology_and_the_lines_emergency_fallback(database_url, clock,
                                                                                          shipped_directory):
    def broken_live_state(*args):
        raise RuntimeError("listener service crashed")

    app = make_test_app(database_url, clock, LIVE_STATE=broken_live_state)
    with app.app_context(), database.session() as session:
        from store.directory import load_documents

        load_documents(session, shipped_directory)
        session.commit()
    document = assert_valid_twiml(SignedTwilio(app.test_client()).post("/voice/incoming", params()))
    said = " ".join(s.text for s in document.iter("Say"))
    assert "problème technique" in said
    assert document.find("Dial").text == "+3225550107"  # the Belgian line's own fallback, the 107


def test_database_down_uses_the_lines_own_emergency_fallback_from_the_last_snapshot(app, twilio):
    assert_valid_twiml(twilio.post("/voice/incoming", params()))  # the worker has a snapshot now
    unreachable = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    app.extensions["database"] = (unreachable, sessionmaker(bind=unreachable))
    document = assert_valid_twiml(twilio.post("/voice/incoming", params(CallSid="CA" + "c" * 32)))
    assert document.find("Dial").text == "+3225550107"  # the Belgian line's own fallback: the 107


def test_database_down_from_the_start_dials_the_configured_emergency_number(database_url, clock, tmp_path):
    app = make_test_app(f"sqlite:///{tmp_path}/missing/dir/db.sqlite3", clock)
    document = assert_valid_twiml(SignedTwilio(app.test_client()).post("/voice/incoming", params()))
    assert document.find("Dial").text == "+33199000999"


def test_fallback_url_works_without_any_database(clock, tmp_path):
    app = make_test_app(f"sqlite:///{tmp_path}/missing/dir/db.sqlite3", clock)
    document = assert_valid_twiml(SignedTwilio(app.test_client()).post("/voice/fallback", params()))
    assert document.find("Dial").text == "+33199000999"


def test_fallback_url_without_emergency_number_tells_the_caller_to_call_back(clock, tmp_path):
    app = make_test_app(f"sqlite:///{tmp_path}/x.sqlite3", clock, EMERGENCY_FALLBACK=None)
    document = assert_valid_twiml(SignedTwilio(app.test_client()).post("/voice/fallback", params()))
    said = " ".join(s.text for s in document.iter("Say"))
    assert "rappeler" in said and "112" in said
    assert document[-1].tag == "Hangup"


def test_fallback_url_still_checks_the_signature(clock, tmp_path):
    app = make_test_app(f"sqlite:///{tmp_path}/x.sqlite3", clock)
    assert app.test_client().post("/voice/fallback", data=params(), base_url=PUBLIC_URL).status_code == 403


# --- what is recorded, and what never is -------------------------------------------------------------------------


def test_every_call_and_routing_step_is_recorded(app, call):
    transcript = call(EVC, at=at_brussels(2026, 11, 23, 19, 30), caller=CALLER)
    with app.app_context(), database.session() as session:
        record = session.scalar(select(Call).where(Call.sid == transcript.call_sid))
        kinds = [e.kind for e in record.events]
        assert kinds[:3] == ["incoming", "decision", "forward"]
        assert "closed: outside opening hours" in record.events[1].detail
        assert record.closed_reason == "outside_hours"
        assert record.outcome == "forwarded"
        assert record.started_at is not None


def test_callers_number_is_kept_only_as_a_keyed_hmac(app, call):
    transcript = call(EVC, at=at_brussels(2026, 11, 23, 12, 0), caller=CALLER)
    with app.app_context(), database.session() as session:
        record = session.scalar(select(Call).where(Call.sid == transcript.call_sid))
        expected = hmac.new(PEPPER.encode(), CALLER.encode(), hashlib.sha256).hexdigest()
        assert record.caller_hash == expected
        assert record.caller_hash != hashlib.sha256(CALLER.encode()).hexdigest()


def test_repeat_callers_are_recognised_by_their_hash_and_withheld_ones_are_not(app, call):
    first = call(EVC, caller=CALLER)
    second = call(EVC, caller=CALLER)
    hidden = call(EVC, caller="anonymous")
    with app.app_context(), database.session() as session:
        hashes = {c.sid: c for c in session.scalars(select(Call))}
        assert hashes[first.call_sid].caller_hash == hashes[second.call_sid].caller_hash
        assert hashes[hidden.call_sid].caller_hash is None
        assert hashes[hidden.call_sid].caller_withheld is True


def test_no_table_holds_the_callers_number_in_any_form(app, call):
    call(EVC, caller=CALLER, at=at_brussels(2026, 11, 23, 19, 30), outcomes={"+3225550107": "busy"})
    call("+33199003977", caller=CALLER, presses=["94000#"], at=at_paris(2026, 11, 24, 10, 0))
    with app.app_context(), database.session() as session:
        dump = []
        for table in Base.metadata.sorted_tables:
            for row in session.execute(table.select()):
                dump.append(" ".join(str(value) for value in row))
        everything = "\n".join(dump)
        assert everything, "the dump should not be empty"
        for form in CALLER_FORMS:
            assert form not in everything


def test_logs_never_contain_the_callers_number_even_when_things_break(database_url, clock, shipped_directory, caplog):
    def broken_live_state(*args):
        raise ValueError(f"cannot route {CALLER}")  # an exception that quotes the number

    app = make_test_app(database_url, clock, LIVE_STATE=broken_live_state)
    with app.app_context(), database.session() as session:
        from store.directory import load_documents

        load_documents(session, shipped_directory)
        session.commit()
    caplog.set_level(logging.DEBUG)
    signer = SignedTwilio(app.test_client())
    signer.post("/voice/incoming", params())
    signer.post("/voice/incoming", params(To="+33100000000"))
    signer.client.post("/voice/incoming", data=params(), base_url=PUBLIC_URL)  # unsigned
    assert caplog.records, "failures should be logged"
    logged = "\n".join(r.getMessage() + str(r.exc_info or "") for r in caplog.records)
    for form in CALLER_FORMS:
        assert form not in logged


def test_status_callback_closes_the_call_record(app, twilio):
    twilio.post("/voice/incoming", params())
    twilio.post("/voice/status", params(CallStatus="completed", CallDuration="42"))
    with app.app_context(), database.session() as session:
        record = session.scalar(select(Call).where(Call.sid == params()["CallSid"]))
        assert record.status == "completed"
        assert record.duration == 42
        assert record.ended_at is not None


def test_a_retried_first_webhook_does_not_create_a_second_call(app, twilio):
    twilio.post("/voice/incoming", params())
    twilio.post("/voice/incoming", params())
    with app.app_context(), database.session() as session:
        assert session.scalar(select(text("count(*)")).select_from(Call)) == 1


# --- the REST client --------------------------------------------------------------------------------------------


def test_rest_client_talks_to_the_configured_base_url():
    server = TwilioTestServer("AC" + "1" * 32, AUTH_TOKEN).start()
    try:
        client = make_client({"TWILIO_API_BASE_URL": server.base_url, "TWILIO_ACCOUNT_SID": server.account_sid,
                              "TWILIO_AUTH_TOKEN": AUTH_TOKEN})
        created = client.calls.create(to="+33199000094", from_="+33199003977", url=PUBLIC_URL + "/voice/whisper")
        assert created.sid.startswith("CA")
        assert server.requests[-1].params["To"] == "+33199000094"
        assert server.requests[-1].account_sid == server.account_sid
    finally:
        server.stop()


def test_settings_refuse_to_start_production_without_secrets(tmp_path):
    from settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match="TWILIO_AUTH_TOKEN"):
        load_settings(tmp_path, environ={})
    key = "pCzMHsIlNbrJsIH1zjU3V8JIVvh0AQZC9JVbf5EeTKM="
    with pytest.raises(SettingsError, match="PEPPER"):
        load_settings(tmp_path, environ={"TWILIO_AUTH_TOKEN": "x", "HELPLINE_NUMBER_PEPPER": "short",
                                         "HELPLINE_CALLBACK_KEY": key})
    with pytest.raises(SettingsError, match="not a Fernet key"):
        load_settings(tmp_path, environ={"TWILIO_AUTH_TOKEN": "x", "HELPLINE_NUMBER_PEPPER": "p" * 20,
                                         "HELPLINE_CALLBACK_KEY": "not-a-key"})
