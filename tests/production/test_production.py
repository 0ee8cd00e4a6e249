"""Production wiring: the health endpoint, structured logs without numbers, gunicorn with the shipped config."""

from __future__ import annotations

import http.client
import io
import json
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from ivr.logs import EngineLogHandler, configure_logging
from tests.conftest import AUTH_TOKEN, CALLBACK_KEY, PEPPER, PUBLIC_URL, make_test_app
from tests.support.paths import REPO as ROOT

CALLER = "+33612345678"


# --- /health ----------------------------------------------------------------------------------------------


def test_health_says_ok_when_the_database_answers(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok" and response.get_json()["database"] == "ok"
    assert response.headers["Cache-Control"] == "no-store"
    assert client.head("/health").status_code == 200


def test_health_answers_503_without_details_when_the_database_is_unreachable(clock, tmp_path):
    unreachable = "postgresql+psycopg://helpline:secret-password@127.0.0.1:9/helpline"
    app = make_test_app(unreachable, clock)
    started = time.monotonic()
    response = app.test_client().get("/health")
    assert time.monotonic() - started < 5  # a load balancer's probe must not hang
    assert response.status_code == 503
    body = response.get_data(as_text=True)
    assert json.loads(body)["status"] == "unavailable"
    for secret in ("secret-password", "127.0.0.1", "psycopg", "OperationalError"):
        assert secret not in body


def test_health_needs_no_signature_and_no_console_sign_in(client):
    response = client.get("/health", headers={})
    assert response.status_code == 200 and response.is_json


# --- a worker's warm-up ----------------------------------------------------------------------------------


def test_a_warmed_up_worker_has_the_directory_before_its_first_call(app):
    from app import warm_up
    from store.extension import directory

    with app.app_context():
        assert directory.peek() is None
    assert warm_up(app) is True
    with app.app_context():
        snapshot = directory.peek()
    assert snapshot is not None and snapshot.line_for("+33199009494").slug == "un-premier-pas"


def test_a_worker_warms_up_without_its_database_and_its_first_caller_still_gets_twiml(clock):
    from app import warm_up
    from tests.conftest import SignedTwilio

    app = make_test_app("postgresql+psycopg://helpline:secret@127.0.0.1:9/helpline", clock)
    assert warm_up(app) is False  # no exception: gunicorn must still start the worker
    response = SignedTwilio(app.test_client()).post("/voice/incoming", {
        "CallSid": "CA" + "d" * 32, "From": CALLER, "To": "+33199009494", "CallStatus": "ringing"})
    assert response.status_code == 200 and "<Say" in response.get_data(as_text=True)


# --- logs -------------------------------------------------------------------------------------------------


@pytest.fixture
def json_log(app):
    """The engine's handler on the root logger writing JSON into a buffer (after the app set logging up)."""
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    configure_logging("INFO", "json", stream=stream)
    yield stream
    for handler in [h for h in root.handlers if isinstance(h, EngineLogHandler)]:
        root.removeHandler(handler)
    root.setLevel(level)


def log_entries(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_json_logs_are_one_object_per_line_and_never_hold_a_callers_number(json_log, call, twilio):
    call("+33199009494", caller=CALLER, presses=["1"])  # Un premier pas, open: menu, route, queue or forward
    twilio.post("/voice/incoming", {"CallSid": "CA" + "e" * 32, "From": CALLER, "To": "+33100000000"})
    logging.getLogger("careless.module").warning("callback for %s failed, typed %s", CALLER, "06 12 34 56 78")
    text = json_log.getvalue()
    entries = log_entries(json_log)
    assert entries, "the call wrote no log line"
    assert {"time", "level", "logger", "event", "process"} <= set(entries[-1])
    for digits in ("612345678", "12 34 56 78"):
        assert digits not in text
    assert entries[-1]["event"] == "callback for [number] failed, typed [number]"


def test_log_lines_keep_call_sids_and_instants_while_blanking_numbers(json_log):
    logging.getLogger("helpline").info("call CA0123456789abcdef0123456789abcdef ended at 2026-11-24T10:00:00+01:00, "
                                       "queue 42 for 125 s; caller 0032 475 12 34 56 and 116006")
    event = log_entries(json_log)[-1]["event"]
    assert event == ("call CA0123456789abcdef0123456789abcdef ended at 2026-11-24T10:00:00+01:00, queue 42 for "
                     "125 s; caller [number] and 116006")


def test_a_failed_webhook_logs_its_path_and_exception_type_but_no_message(json_log, app, twilio):
    app.config["LIVE_STATE"] = lambda *args: (_ for _ in ()).throw(ValueError(f"caller {CALLER} exploded"))
    response = twilio.post("/voice/incoming", {"CallSid": "CA" + "d" * 32, "From": CALLER, "To": "+33199009494"})
    assert response.status_code == 200 and b"<Dial" in response.data  # the caller still reaches someone
    failure = [e for e in log_entries(json_log) if e["level"] == "ERROR"][-1]
    assert failure["path"] == "/voice/incoming" and failure["method"] == "POST"
    assert "ValueError" in failure["event"] and "exploded" not in json_log.getvalue()
    assert "612345678" not in json_log.getvalue()


def test_an_unknown_log_format_is_refused_at_start():
    from settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match="HELPLINE_LOG_FORMAT"):
        load_settings(Path("/tmp"), {"ENVIRONMENT": "development", "LOG_FORMAT": "xml"}, environ={})


def place_a_call_through_the_apps_client(app, rest) -> None:
    from ivr.twilio_rest import make_client

    make_client(app.config).calls.create(to="+33600000001", from_="+33199009494", url=PUBLIC_URL + "/voice/x")
    assert len(rest.calls) == 1


def test_a_rest_call_to_twilio_writes_no_info_line(live_app, rest, caplog):
    caplog.set_level(logging.INFO)
    place_a_call_through_the_apps_client(live_app, rest)
    assert not [r.getMessage() for r in caplog.records if r.name.startswith("twilio") and r.levelno < logging.WARNING]


def test_at_debug_level_the_twilio_librarys_request_lines_are_kept(database_url, clock, rest, caplog):
    app = make_test_app(database_url, clock, LOG_LEVEL="DEBUG", TWILIO_API_BASE_URL=rest.base_url)
    caplog.set_level(logging.INFO)
    place_a_call_through_the_apps_client(app, rest)
    twilio_lines = [r.getMessage() for r in caplog.records if r.name == "twilio.http_client"]
    assert "-- BEGIN Twilio API Request --" in twilio_lines


# --- gunicorn with gunicorn.conf.py -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_gunicorn_with_the_shipped_config_serves_calls_and_logs_neither_numbers_nor_queries(app, tmp_path):
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    environment = {
        **os.environ, "HELPLINE_ENV": "production", "HELPLINE_DATABASE_URL": app.config["DATABASE_URL"],
        "HELPLINE_INSTANCE_PATH": str(tmp_path), "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "HELPLINE_NUMBER_PEPPER": PEPPER, "HELPLINE_CALLBACK_KEY": CALLBACK_KEY,
        "HELPLINE_PUBLIC_URL": public, "TWILIO_API_BASE_URL": "http://127.0.0.1:9", "HELPLINE_LOG_FORMAT": "json",
    }
    log = tmp_path / "gunicorn.log"
    with log.open("w") as output:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-w", "2",
                                   "-b", f"127.0.0.1:{port}", "app:create_app()"], cwd=ROOT, env=environment,
                                  stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        status = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/health")
                status = connection.getresponse().status
                break
            except OSError:
                time.sleep(0.2)
        assert status == 200, log.read_text()[-2000:]
        path = "/voice/incoming?l=fr"
        params = {"CallSid": "CA" + "c" * 32, "From": CALLER, "To": "+33199009494", "CallStatus": "ringing"}
        signature = RequestValidator(AUTH_TOKEN).compute_signature(public + path, params)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("POST", path, body=urlencode(params), headers={
            "X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"})
        response = connection.getresponse()
        body = response.read().decode()
        assert response.status == 200 and body.startswith("<?xml") and "<Say" in body
    finally:
        server.terminate()
        server.wait(timeout=15)
    written = log.read_text()
    entries = [json.loads(line) for line in written.splitlines()]  # gunicorn's own lines are JSON too
    assert any(entry["logger"] == "gunicorn.error" for entry in entries)  # "Starting gunicorn", workers booting
    access = [entry["event"] for entry in entries if entry["logger"] == "gunicorn.access"]
    assert any('"POST /voice/incoming" 200' in event for event in access)  # the path, without "?l=fr"
    assert sum("worker warmed up" in entry["event"] for entry in entries) == 2  # each worker, before its first call
    assert "l=fr" not in written and "612345678" not in written
    assert "Control socket" not in written  # no per-user socket that another gunicorn would take over


def test_a_failing_warm_up_lets_the_worker_start_cold_rather_than_halt_gunicorn(monkeypatch):
    import runpy
    from types import SimpleNamespace

    import app as application

    def broken(_app):
        raise ValueError("a prompt that does not compile")

    monkeypatch.setattr(application, "warm_up", broken)
    hooks = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    warnings = []
    worker = SimpleNamespace(wsgi=SimpleNamespace(extensions={"dispatcher": object()}),
                             log=SimpleNamespace(warning=lambda *args: warnings.append(args[0] % args[1:])))
    hooks["post_worker_init"](worker)  # an exception here makes gunicorn's arbiter halt every worker
    assert warnings == ["warm-up failed (ValueError): the worker starts cold"]
