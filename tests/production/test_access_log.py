"""serving.EngineLogger writes the access lines gunicorn's own logger writes, for our format and any other."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest
from gunicorn.config import Config
from gunicorn.glogging import Logger

from serving import EngineLogger

OURS = '%(h)s "%(m)s %(U)s" %(s)s %(B)sB %(M)sms'
FORMATS = [
    OURS,
    '%(h)s %(l)s %(u)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"',  # gunicorn's default, but for %(t)s (the clock)
    '%(h)s %({x-twilio-signature}i)s %({Content-Type}o)s %({wsgi.url_scheme}e)s %(q)s %(L)s %(D)s %(nothing)s',
]


class Response:
    def __init__(self, status="200 OK", sent=812):
        self.status, self.sent = status, sent
        self.headers = [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(sent))]


class Request:
    headers = [("HOST", "127.0.0.1:8000"), ("X-TWILIO-SIGNATURE", 'ab"c='), ("USER-AGENT", "TwilioProxy/1.1")]


def environ(path: str = "/voice/incoming") -> dict:
    return {"REQUEST_METHOD": "POST", "RAW_URI": path + "?l=fr", "PATH_INFO": path, "QUERY_STRING": "l=fr",
            "SERVER_PROTOCOL": "HTTP/1.0", "REMOTE_ADDR": "203.0.113.7", "HTTP_USER_AGENT": "TwilioProxy/1.1",
            "wsgi.url_scheme": "https"}


def lines(logger_class, log_format: str, tmp_path: Path, name: str, *requests) -> list[str]:
    config = Config()
    config.set("accesslog", str(tmp_path / name))
    config.set("access_log_format", log_format)
    logger = logger_class(config)
    for resp, env, took in requests:
        logger.access(resp, Request(), env, took)
    for handler in logger.access_log.handlers:
        handler.flush()
    logger.access_log.handlers.clear()  # gunicorn's loggers are process-wide: the next logger sets its own
    return (tmp_path / name).read_text().splitlines()


@pytest.mark.parametrize("log_format", FORMATS)
def test_the_access_lines_are_gunicorns(tmp_path, log_format):
    requests = [
        (Response(), environ(), timedelta(microseconds=1870)),
        (Response("403 FORBIDDEN", 9), environ('/voice/"quoted"'), timedelta(seconds=2, microseconds=4999)),
        (Response(200, None), environ("/health"), timedelta(0)),
    ]
    ours = lines(EngineLogger, log_format, tmp_path, "ours.log", *requests)
    theirs = lines(Logger, log_format, tmp_path, "theirs.log", *requests)
    assert ours == theirs and len(ours) == 3
    if log_format == OURS:
        assert ours[0] == '203.0.113.7 "POST /voice/incoming" 200 812B 1ms'


def test_gunicorn_conf_uses_it():
    settings: dict = {}
    exec((Path(__file__).resolve().parents[2] / "gunicorn.conf.py").read_text(), settings)  # noqa: S102
    assert settings["logger_class"] == "serving.EngineLogger"
    assert settings["access_log_format"] == OURS


@pytest.mark.parametrize("logger_class", [EngineLogger, Logger])
def test_a_broken_format_never_fails_the_request(tmp_path, logger_class, monkeypatch):
    monkeypatch.setattr(logging, "raiseExceptions", False)  # logging's own report of a bad line, kept quiet here
    config = Config()
    config.set("accesslog", str(tmp_path / "broken.log"))
    config.set("access_log_format", "%(h)d")
    logger = logger_class(config)
    logger.access(Response(), Request(), environ(), timedelta(0))  # raises nothing
    logger.access_log.handlers.clear()
