"""A webhook's request side, made cheaper (issue 17) and still the same: forms, fields, signatures, NUL bytes."""

from __future__ import annotations

import hashlib
import hmac
import xml.etree.ElementTree as ET

import pytest
from flask import Flask, Request, request
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.test import EnvironBuilder

from ivr import prompts
from ivr.forms import Parameters, WebhookRequest
from ivr.security import _strip_nul_bytes
from ivr.twiml import field
from phones.numbers import caller_hash, is_withheld, number_hash
from tests.conftest import AUTH_TOKEN, PUBLIC_URL

FORM = "application/x-www-form-urlencoded"
BODIES = [
    b"CallSid=CA1&From=%2B33612345678&To=%2B3225550300&Digits=",
    b"a=1&a=2&b=&c&=d&&e=%20x+y%2B",
    b"bad=%ZZ&half=%4&pct=%&q=%E9t%C3%A9",  # bad escapes; a Latin-1 escape that is not UTF-8
    b"raw=\xe9t\xe9",  # a body that is not UTF-8 at all: werkzeug reads no form
    b"nul=a%00b&x=\x00",
    b"semi=1;2&amp;x=3",
    b"",
]


def parsed(request_class, body: bytes, content_type: str = FORM, method: str = "POST", query: str = ""):
    app = Flask(__name__)
    app.request_class = request_class
    environ = EnvironBuilder(method=method, data=body, content_type=content_type, query_string=query).get_environ()
    with app.request_context(environ):
        return request.form.to_dict(flat=False), request.files.to_dict(flat=False)


@pytest.mark.parametrize("body", BODIES)
def test_a_urlencoded_form_reads_as_werkzeug_reads_it(body):
    assert parsed(WebhookRequest, body) == parsed(Request, body)


def test_parameters_answer_as_werkzeugs_multidict_does():
    items = [("a", "1"), ("a", "2"), ("b", ""), ("n", "12"), ("x", "y")]
    ours, theirs = Parameters(items), ImmutableMultiDict(items)
    assert isinstance(ours, ImmutableMultiDict) and ours == theirs
    for key in ("a", "b", "n", "x", "missing", "", None, 3):
        for default in (None, "", "d"):
            for convert in (None, int, str):
                assert ours.get(key, default, convert) == theirs.get(key, default, convert)
                assert ours.get(key, default=default, type=convert) == theirs.get(key, default=default, type=convert)
    assert ours.get("a") == "1" and ours.getlist("a") == ["1", "2"] and ours.to_dict() == theirs.to_dict()


def test_a_request_reads_its_form_and_arguments_into_parameters():
    app = Flask(__name__)
    app.request_class = WebhookRequest
    environ = EnvironBuilder(method="POST", data=b"x=%00y", content_type=FORM, query_string="l=f%00r").get_environ()
    with app.request_context(environ):
        assert type(request.form) is Parameters and type(request.args) is Parameters
        _strip_nul_bytes(request._get_current_object())
        assert type(request.form) is Parameters and type(request.args) is Parameters


@pytest.mark.parametrize("content_type", [FORM + "; charset=utf-8", "text/plain", "multipart/form-data"])
def test_other_bodies_are_left_to_werkzeug(content_type):
    body = b"CallSid=CA1&From=%2B33612345678"
    assert parsed(WebhookRequest, body, content_type) == parsed(Request, body, content_type)


def test_an_oversized_form_is_still_refused_before_it_is_read():
    app = Flask(__name__)
    app.request_class = WebhookRequest
    app.config["MAX_CONTENT_LENGTH"] = 100
    environ = EnvironBuilder(method="POST", data=b"x=" + b"y" * 200, content_type=FORM).get_environ()
    with app.request_context(environ):
        with pytest.raises(Exception) as refused:
            request.form  # noqa: B018 — reading it is the test
    assert getattr(refused.value, "code", None) == 413


@pytest.mark.parametrize("method,query,body", [
    ("POST", "CallSid=CAargs&l=fr", b"CallSid=CAform&To=%2B3225550300"),
    ("POST", "", b"CallSid=CAform&Digits=12"),
    ("GET", "To=%2B3225550300&l=en", b"CallSid=CAform"),  # GET: the arguments alone, as request.values
])
def test_a_field_reads_as_request_values_reads_it(method, query, body):
    app = Flask(__name__)
    app.request_class = WebhookRequest
    environ = EnvironBuilder(method=method, data=body, content_type=FORM, query_string=query).get_environ()
    with app.request_context(environ):
        for name in ("CallSid", "To", "l", "Digits", "Missing"):
            assert field(name) == request.values.get(name, "")
        assert field("To") == request.values.get("To", "")


def test_nul_bytes_leave_the_form_and_the_arguments_and_nothing_is_rebuilt_without_them():
    app = Flask(__name__)
    app.request_class = WebhookRequest
    clean = EnvironBuilder(method="POST", data=b"CallSid=CA1", content_type=FORM, query_string="l=fr").get_environ()
    with app.request_context(clean):
        form, args = request.form, request.args
        _strip_nul_bytes(request._get_current_object())
        assert request.form is form and request.args is args
    dirty = EnvironBuilder(method="POST", data=b"CallSid=CA%001&x%00=y", content_type=FORM,
                           query_string="l=f%00r").get_environ()
    with app.request_context(dirty):
        request.values  # noqa: B018 — built before the cleaning, rebuilt after it
        _strip_nul_bytes(request._get_current_object())
        assert request.form.to_dict() == {"CallSid": "CA1", "x": "y"}
        assert request.args.to_dict() == {"l": "fr"}
        assert request.values.get("l") == "fr" and field("CallSid") == "CA1"
    second_value = EnvironBuilder(method="POST", data=b"r=1&r=2%00", content_type=FORM).get_environ()
    with app.request_context(second_value):
        _strip_nul_bytes(request._get_current_object())
        assert request.form.getlist("r") == ["1", "2"]
    name_only = EnvironBuilder(method="GET", query_string="l%00=fr").get_environ()
    with app.request_context(name_only):
        _strip_nul_bytes(request._get_current_object())
        assert request.args.to_dict() == {"l": "fr"}


def test_a_nul_byte_in_the_url_arguments_does_not_reach_the_call(app, client):
    from urllib.parse import urlencode

    params = {"CallSid": "CA" + "c" * 32, "From": "+33612345678", "To": "+3225550300", "CallStatus": "ringing"}
    path = "/voice/incoming?" + urlencode({"l": "fr\x00"})
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + path, params)
    response = client.post(path, data=params, headers={"X-Twilio-Signature": signature}, base_url=PUBLIC_URL)
    said = " ".join(say.text or "" for say in ET.fromstring(response.data).iter("Say"))
    assert response.status_code == 200 and said and prompts.render("technical_problem", "fr") not in said
    assert "\x00" not in response.data.decode()


@pytest.mark.parametrize("signed_url", [PUBLIC_URL, PUBLIC_URL.replace(".org", ".org:443")])
def test_twilio_may_sign_the_public_url_with_or_without_its_default_port(client, signed_url):
    params = {"CallSid": "CA" + "d" * 32, "From": "+33612345678", "To": "+3225550300", "CallStatus": "ringing"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(signed_url + "/voice/incoming?l=fr", params)
    ok = client.post("/voice/incoming?l=fr", data=params, headers={"X-Twilio-Signature": signature},
                     base_url="http://10.0.0.5:8000")
    assert ok.status_code == 200
    other = client.post("/voice/incoming?l=en", data=params, headers={"X-Twilio-Signature": signature},
                        base_url="http://10.0.0.5:8000")
    assert other.status_code == 403


def test_a_repeated_parameter_is_signed_with_all_its_values(client):
    params = [("CallSid", "CA" + "e" * 32), ("To", "+3225550300"), ("From", "+33612345678"), ("X", "2"), ("X", "1")]
    from werkzeug.datastructures import MultiDict

    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + "/voice/incoming", MultiDict(params))
    first_only = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + "/voice/incoming", dict(params[:4]))
    for signed, status in ((signature, 200), (first_only, 403)):
        response = client.post("/voice/incoming", data=MultiDict(params), headers={"X-Twilio-Signature": signed},
                               base_url=PUBLIC_URL)
        assert response.status_code == status


@pytest.mark.parametrize("number", ["+33612345678", "0612345678", "+33 6 12 34 56 78", "+", "", "+٣٣٦", "+3²3",
                                    "33612345678", "+33612345678 "])
def test_a_numbers_hash_is_the_hmac_of_its_digits_as_before(number):
    digits = "+" + "".join(c for c in number if c.isdigit())
    assert number_hash(number, "pepper") == hmac.new(b"pepper", digits.encode(), hashlib.sha256).hexdigest()
    withheld = number.strip().lower() in {"", "anonymous"} or not any(c.isdigit() for c in number.strip())
    assert is_withheld(number) == withheld
    assert (caller_hash(number, "pepper") is None) == withheld
