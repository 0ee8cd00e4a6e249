"""Start-up refuses what is unsafe, and a standby server with no secret still answers callers meanwhile."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import pytest
from werkzeug.test import Client

from settings import SETTINGS, SettingsError, load_settings
from tests.conftest import AUTH_TOKEN, CALLBACK_KEY, PEPPER, PUBLIC_URL
from tests.support.paths import REPO as ROOT

GOOD = {"HELPLINE_ENV": "production", "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "HELPLINE_NUMBER_PEPPER": PEPPER,
        "HELPLINE_CALLBACK_KEY": CALLBACK_KEY, "HELPLINE_PUBLIC_URL": PUBLIC_URL,
        "HELPLINE_SECRET_KEY": "test-secret-key-0123456789abcdef0123456789"}


def start(tmp_path, **changes):
    environ = {**GOOD, **changes}
    return load_settings(tmp_path, environ={k: v for k, v in environ.items() if v is not None})


def test_the_test_settings_are_acceptable(tmp_path):
    assert start(tmp_path)["ENVIRONMENT"] == "production"


@pytest.mark.parametrize("name", ["prod", "Production", "staging", "dev", ""])
def test_an_unknown_environment_name_is_refused_with_the_valid_ones(tmp_path, name):
    # Before: any name but "production" started, with the console's cookie sent over plain HTTP.
    with pytest.raises(SettingsError, match="HELPLINE_ENV must be one of production, development"):
        start(tmp_path, HELPLINE_ENV=name)


def test_production_without_a_public_url_is_refused(tmp_path):
    with pytest.raises(SettingsError, match="HELPLINE_PUBLIC_URL"):
        start(tmp_path, HELPLINE_PUBLIC_URL=None)
    with pytest.raises(SettingsError, match="HELPLINE_PUBLIC_URL"):
        start(tmp_path, HELPLINE_PUBLIC_URL="ivr.example.org")


def test_development_may_go_without_a_public_url(tmp_path):
    assert start(tmp_path, HELPLINE_ENV="development", HELPLINE_PUBLIC_URL=None)["PUBLIC_URL"] is None


@pytest.mark.parametrize("variable,weak", [
    ("HELPLINE_NUMBER_PEPPER", "a" * 16),
    ("HELPLINE_NUMBER_PEPPER", "ab" * 20),
    ("HELPLINE_CALLBACK_KEY", "A" * 43 + "="),  # a valid Fernet key, 32 zero bytes
    ("TWILIO_AUTH_TOKEN", "x"),
    ("TWILIO_AUTH_TOKEN", "x" * 32),
    ("HELPLINE_SECRET_KEY", "0" * 64),
])
def test_a_guessable_secret_is_refused_by_name(tmp_path, variable, weak):
    with pytest.raises(SettingsError, match=variable):
        start(tmp_path, **{variable: weak})


def test_generated_secrets_pass(tmp_path):
    import secrets

    from store.crypto import new_key

    values = start(tmp_path, TWILIO_AUTH_TOKEN=secrets.token_hex(16), HELPLINE_NUMBER_PEPPER=secrets.token_hex(16),
                   HELPLINE_CALLBACK_KEY=new_key(), HELPLINE_SECRET_KEY=secrets.token_hex(32))
    assert len(values["TWILIO_AUTH_TOKEN"]) == 32


def test_the_demo_secrets_generated_in_development_are_acceptable(tmp_path):
    values = load_settings(tmp_path, environ={"HELPLINE_ENV": "development"})
    assert values["NUMBER_PEPPER"] and (tmp_path / "demo-pepper").exists()


def test_the_command_line_names_the_refused_environment_without_a_traceback(tmp_path):
    environment = {name: value for name, value in os.environ.items()
                   if name not in {variable for variable, _, _ in SETTINGS.values()}}
    environment.update(GOOD, HELPLINE_ENV="prod", HELPLINE_INSTANCE_PATH=str(tmp_path))
    result = subprocess.run([sys.executable, "-c", "from app import cli; cli(prog_name='helpline')", "db", "upgrade"],
                            cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "HELPLINE_ENV must be one of production, development, not 'prod'" in result.stderr


# --- the standby server for Twilio's fallback URL -------------------------------------------------------------


def standby_client(environ):
    from ivr.standby import make_standby

    return Client(make_standby(environ))


def test_the_standby_server_puts_callers_through_to_the_emergency_number_as_the_line():
    response = standby_client({"HELPLINE_EMERGENCY_FALLBACK": "+33 1 99 00 09 99"}).post(
        "/voice/incoming", data={"CallSid": "CA" + "a" * 32, "From": "+33612345678", "To": "+33199009494"})
    assert response.status_code == 200 and response.mimetype == "text/xml"
    document = ET.fromstring(response.data)
    dial = document.find("Dial")
    assert dial.text == "+33199000999" and dial.get("callerId") == "+33199009494"
    assert "problème technique" in document.find("Say").text
    assert b"612345678" not in response.data


def test_the_standby_server_without_an_emergency_number_apologises_and_gives_112():
    for method in ("get", "post"):
        response = getattr(standby_client({}), method)("/anything", data=b"\x00garbage")
        document = ET.fromstring(response.data)
        assert response.status_code == 200 and document.find("Dial") is None
        assert "112" in " ".join(say.text for say in document.iter("Say"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_standby_server_runs_under_gunicorn_with_no_secret_at_all(tmp_path):
    port = free_port()
    environment = {name: value for name, value in os.environ.items()
                   if name not in {variable for variable, _, _ in SETTINGS.values()}}
    environment["HELPLINE_EMERGENCY_FALLBACK"] = "+33199000999"
    log = tmp_path / "standby.log"
    with log.open("w") as output:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}",
                                   "ivr.standby:application"], cwd=ROOT, env=environment, stdout=output,
                                  stderr=subprocess.STDOUT)
    try:
        deadline, answer = time.monotonic() + 30, None
        while time.monotonic() < deadline and server.poll() is None and answer is None:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("POST", "/voice/fallback", body=urlencode({"To": "+33199009494"}),
                                   headers={"Content-Type": "application/x-www-form-urlencoded"})
                answer = connection.getresponse()
            except OSError:
                time.sleep(0.2)
        assert answer is not None and answer.status == 200, log.read_text()[-2000:]
        assert ET.fromstring(answer.read()).find("Dial").text == "+33199000999"
    finally:
        server.terminate()
        server.wait(timeout=20)
