"""gunicorn with the shipped config answers a signed call while slow clients hold more connections than it has threads."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from tests.conftest import AUTH_TOKEN, CALLBACK_KEY, PEPPER
from tests.support.paths import REPO as ROOT



def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_slow_clients_beyond_the_threads_do_not_stop_a_signed_call(app, tmp_path):
    """One worker of two threads, three clients trickling headers: sync workers (or plain gthread) would give
    them the worker until they finish, and the call would wait past Twilio's 15 s; here each is dropped 5 s
    after its first bytes, and the call is answered when the first two go."""
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    environment = {
        **os.environ, "HELPLINE_ENV": "production", "HELPLINE_DATABASE_URL": app.config["DATABASE_URL"],
        "HELPLINE_INSTANCE_PATH": str(tmp_path), "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "HELPLINE_NUMBER_PEPPER": PEPPER, "HELPLINE_CALLBACK_KEY": CALLBACK_KEY,
        "HELPLINE_PUBLIC_URL": public, "TWILIO_API_BASE_URL": "http://127.0.0.1:9",
    }
    log = tmp_path / "gunicorn.log"
    with log.open("w") as output:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-w", "1",
                                   "--threads", "2", "-b", f"127.0.0.1:{port}", "app:create_app()"], cwd=ROOT,
                                  env=environment, stdout=output, stderr=subprocess.STDOUT)
    slow = []
    try:
        deadline = time.monotonic() + 30
        while "worker warmed up" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        for _ in range(3):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"POST /voice/incoming HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a\r\n")
            slow.append(sock)
        time.sleep(0.5)  # both threads now hold a slow client; a third waits behind them
        params = {"CallSid": "CA" + "d" * 32, "From": "+33612345678", "To": "+33199009494", "CallStatus": "ringing"}
        signature = RequestValidator(AUTH_TOKEN).compute_signature(public + "/voice/incoming", params)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=14)  # Twilio gives up at 15 s
        connection.request("POST", "/voice/incoming", body=urlencode(params), headers={
            "X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"})
        for sock in slow:  # the slow clients go on trickling while the call waits
            sock.sendall(b"X-Slow: b\r\n")
        response = connection.getresponse()
        assert response.status == 200 and b"<Say" in response.read()
    finally:
        for sock in slow:
            sock.close()
        server.terminate()
        server.wait(timeout=15)
