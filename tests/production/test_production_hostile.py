"""Hostile requests on every webhook in the URL map: a wrong signature, a replay elsewhere, a huge body."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from store.extension import database
from store.models import Call
from tests.conftest import PUBLIC_URL, SignedTwilio
from tests.support.voice_paths import PATHS

CALL = {"CallSid": "CA" + "a" * 32, "AccountSid": "AC" + "1" * 32, "From": "+33612345678", "To": "+33199009494",
        "CallStatus": "ringing", "Direction": "inbound", "Digits": "1"}


def calls_recorded(app) -> int:
    with app.app_context(), database.session() as session:
        return session.scalar(select(func.count()).select_from(Call))


def post_signed_for(client, signed_path: str, sent_path: str, params=CALL, token=None, host=PUBLIC_URL):
    twilio = SignedTwilio(client, **({"token": token} if token else {}))
    signature = twilio.validator.compute_signature(host + signed_path, params)
    return client.post(sent_path, data=params, headers={"X-Twilio-Signature": signature}, base_url=PUBLIC_URL)


@pytest.mark.parametrize("path", PATHS)
def test_every_webhook_refuses_a_missing_or_foreign_signature(app, client, path):
    assert client.post(path, data=CALL, base_url=PUBLIC_URL).status_code == 403
    assert post_signed_for(client, path, path, token="another-accounts-auth-token-000").status_code == 403
    assert post_signed_for(client, path, path, host="https://attacker.example.net").status_code == 403
    assert calls_recorded(app) == 0


@pytest.mark.parametrize("path", PATHS)
def test_every_webhook_refuses_a_signed_request_replayed_to_another_url(app, client, path):
    other = "/voice/incoming" if path != "/voice/incoming" else "/voice/menu"
    assert post_signed_for(client, other, path).status_code == 403  # another webhook's signature
    with_query = f"{path}?{urlencode({'l': 'en', 'r': '1'})}"
    assert post_signed_for(client, with_query, path).status_code == 403  # the query string is signed too
    assert post_signed_for(client, path, with_query).status_code == 403
    tampered = {**CALL, "Digits": "2"}
    twilio = SignedTwilio(client)
    response = client.post(path, data=tampered, base_url=PUBLIC_URL,
                           headers={"X-Twilio-Signature": twilio.signature(path, CALL)})
    assert response.status_code == 403
    assert calls_recorded(app) == 0


@pytest.mark.parametrize("path", PATHS)
def test_every_webhook_refuses_an_oversized_body_even_when_signed(app, client, path):
    huge = {**CALL, "SpeechResult": "x" * (70 * 1024)}  # Twilio's own requests are a few hundred bytes
    response = SignedTwilio(client).post(path, huge)
    assert response.status_code == 413
    assert calls_recorded(app) == 0


def test_a_signed_request_is_answered_so_the_refusals_above_are_not_a_broken_route(app, twilio):
    response = twilio.post("/voice/incoming", CALL)
    assert response.status_code == 200 and b"<Response>" in response.data
    assert calls_recorded(app) == 1
