"""state_url keeps endpoints' URLs, states' queries and parameters' encodings (issue 17): the URLs are the ones
url_for and urlencode write, for every app, script root, public URL, state and parameter value."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import url_for

from ivr.state import CallState
from ivr.twiml import state_url

STATES = (CallState(), CallState(language="en", rule=3, forward_failed=True, department="2A", department_asked=True,
                                  attempts=2, caller_type="victim", closed_announced=True), CallState(rule=1))
PARAMS = ({}, {"no_input": 1}, {"no_input": True}, {"kind": "handoff", "line": "3977", "department": None},
          {"a": "asso é&=", "k": 2})


def written(endpoint: str, state: CallState, base: str | None, **params) -> str:
    query = state.query()
    if params:
        query += "&" + urlencode({k: v for k, v in params.items() if v is not None})
    return f"{base.rstrip('/') if base else ''}{url_for(endpoint)}?{query}"


def test_every_url_is_the_one_url_for_and_urlencode_write(empty_app):
    for base in (None, "https://helpline.example/", "https://other.example"):
        empty_app.config["PUBLIC_URL"] = base
        for script_root in ("", "/prefix"):
            with empty_app.test_request_context("/voice/incoming", method="POST",
                                                base_url=f"http://localhost{script_root}"):
                for state in STATES:
                    for params in PARAMS:
                        for endpoint in ("menu", "voice.whisper", "orientation.orientation_repeat"):
                            full = endpoint if "." in endpoint else f"voice.{endpoint}"
                            expected = written(full, state, base, **params)
                            assert state_url(endpoint, state, **params) == expected
                            assert state_url(endpoint, state, **params) == expected  # kept
                            if script_root:
                                assert "/prefix/voice/" in expected
