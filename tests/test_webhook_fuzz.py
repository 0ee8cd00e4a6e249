"""Random and malformed webhook parameters never produce an HTTP error or invalid TwiML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import HealthCheck, given, settings, strategies as st

from tests.conftest import SignedTwilio

PATHS = ["/voice/incoming", "/voice/menu", "/voice/department", "/voice/route", "/voice/dial-result",
         "/voice/queue-result", "/voice/queue/wait", "/voice/whisper", "/voice/status"]
NUMBERS = st.sampled_from(["+3225550300", "+33199003977", "+33199000116", "+33199009494", "anonymous",
                           "+266696687", "", "0612345678"])
TEXT = st.text(max_size=60)
FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "CallSid": st.one_of(TEXT, st.just("CA" + "f" * 32)),
        "From": st.one_of(NUMBERS, TEXT),
        "To": st.one_of(NUMBERS, TEXT),
        "Digits": st.one_of(st.text(alphabet="0123456789*#", max_size=12), TEXT),
        "DialCallStatus": st.one_of(st.sampled_from(["completed", "busy", "no-answer", "failed", "canceled"]), TEXT),
        "QueueResult": st.one_of(st.sampled_from(["bridged", "leave", "hangup", "queue-full", "error"]), TEXT),
        "CallStatus": TEXT,
        "CallDuration": TEXT,
    },
)
QUERY = st.fixed_dictionaries(
    {},
    optional={k: st.one_of(st.text(alphabet="0123456789", max_size=4), TEXT) for k in ("r", "n", "d", "t", "l", "ff", "da", "ca", "kind", "line", "department", "no_input")},
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(PATHS), form=FIELDS, query=QUERY)
def test_any_webhook_with_any_parameters_answers_valid_twiml(client, path, form, query):
    form = {k: v.replace("\x00", "") for k, v in form.items()}
    query = {k: v.replace("\x00", "") for k, v in query.items()}
    response = SignedTwilio(client).post(path, form, query=query)
    assert response.status_code == 200, response.data[:200]
    document = ET.fromstring(response.data)
    assert document.tag == "Response"
