"""The README's first command: the demo server starts on a fresh instance and answers signed webhooks."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator
from tests.support.paths import REPO



def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_demo_server_on_a_fresh_instance_answers_a_signed_call(tmp_path):
    port = free_port()
    env = {**os.environ, "HELPLINE_INSTANCE_PATH": str(tmp_path / "instance")}
    for name in ("HELPLINE_ENV", "HELPLINE_DATABASE_URL", "TWILIO_AUTH_TOKEN", "HELPLINE_NUMBER_PEPPER",
                 "HELPLINE_PUBLIC_URL"):
        env.pop(name, None)
    server = subprocess.Popen([sys.executable, "-c", "from app import cli; cli()", "demo", "--port", str(port)],
                              cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        output = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = server.stdout.readline()
            if not line:
                break
            output.append(line)
            if "Running on" in line:
                break
        text = "".join(output)
        assert f"Voice URL:        http://127.0.0.1:{port}/voice/incoming" in text, text
        assert "ecoute-violences-conjugales  +3225550300" in text
        assert f"Coordinators' console: http://127.0.0.1:{port}/console/" in text
        assert '.venv/bin/helpline accounts create-admin --email you@example.org --name "Your Name"' in text
        assert (tmp_path / "instance" / "helpline.sqlite3").exists()

        token = (tmp_path / "instance" / "demo-auth-token").read_text().strip()
        params = {"CallSid": "CA" + "d" * 32, "From": "anonymous", "To": "+3225550300", "CallStatus": "ringing"}
        url = f"http://127.0.0.1:{port}/voice/incoming"
        signature = RequestValidator(token).compute_signature(url, params)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("POST", "/voice/incoming", body=urlencode(params),
                           headers={"Content-Type": "application/x-www-form-urlencoded",
                                    "X-Twilio-Signature": signature})
        response = connection.getresponse()
        body = response.read()
        assert response.status == 200
        document = ET.fromstring(body)
        assert "Écoute Violences Conjugales" in " ".join(s.text or "" for s in document.iter("Say"))

        connection.request("POST", "/voice/incoming", body=urlencode(params),
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert connection.getresponse().status == 403
    finally:
        server.terminate()
        server.wait(timeout=10)
