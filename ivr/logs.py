"""The engine's log lines, as text or one JSON object per line, with anything shaped like a phone number blanked."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import traceback
from typing import IO

# A caller's number in any notation our logs can hold: eight digits or more, after "+" or its URL encoding "%2B"
# (glued to anything), or after anything but a digit (so "call_0612345678" is blanked too; Twilio SIDs are kept
# below) and not followed by a letter, split by spaces, dots, dashes, a form's "+" or "%20", or the
# brackets of "+33 (0)6 ..." and "(212) 555-1234". No upper bound: two numbers one space apart are one run,
# and a bound would cut it inside the second number and leave its last digits. Only sixteen digits or more in
# a row, without "+", are no number (E.164 stops at fifteen): a 64-bit key such as the scheduler lock's.
_SEPARATOR = r"(?:[ .\-+]|%20|\s?\(|\)\s?)"
_PHONE = (rf"(?:(?:\+|%2[bB])\d(?:{_SEPARATOR}?\d){{7,}}(?!\d)"
          rf"|(?<![\d+])(?!\d{{16}})\d(?:{_SEPARATOR}?\d){{7,}}(?!\w))")

# What is kept although its digits would pass for a number: ISO dates and instants (Twilio's API version
# /2010-04-01/ among them), times with fractions and offsets, IPv4 addresses, Twilio SIDs. A shape is kept only
# when no digit follows it through a dot, dash or "+", where a number's digits could go on; a number that starts
# earlier (digits, "+" or "00" before the shape) is matched from its start, so it is blanked whole.
_DATE = r"(?:19|20)\d\d-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
_TIME = r"(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:[.,]\d{1,9})?)?"
_OFFSET = r"(?:Z|[+-](?:[01]\d|2[0-3])(?::?[0-5]\d)?)"
_INSTANT = rf"(?:{_DATE}(?:[T ]{_TIME})?|{_TIME}){_OFFSET}?"
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"  # no leading zero: "02.123.45.67" is a number
_IPV4 = rf"(?<![\d.]){_OCTET}(?:\.{_OCTET}){{3}}"
_TWILIO_SID = r"\b[A-Z]{2}[0-9a-fA-F]{32}\b"
_KEPT = rf"(?:{_INSTANT}|{_IPV4}|{_TWILIO_SID})(?![.\-+]?\d)"

_NUMBER_OR_KEPT_SHAPE = re.compile(rf"(?P<kept>{_KEPT})|{_PHONE}")
BLANKED = "[number]"
LOG_FORMATS = ("text", "json")
TWILIO_REQUEST_LOGGER = "twilio.http_client"


def scrub(text: str) -> str:
    """The text with every phone-number-shaped run replaced: a careless log call still writes no number."""
    return _NUMBER_OR_KEPT_SHAPE.sub(lambda match: match.group("kept") or BLANKED, text)


class _NoNumbers(logging.Filter):
    """Formats the message once, scrubbed, so no formatter after it can bring a number back."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 — a broken log call must not become a crash; say so instead
            message = f"unformattable log message from {record.pathname.rsplit('/', 1)[-1]}:{record.lineno}"
        record.msg, record.args = scrub(message), None
        return True


def _exception_summary(record: logging.LogRecord) -> dict[str, str]:
    """An exception by type and place only: its message may quote a request value."""
    if not record.exc_info or record.exc_info[0] is None:
        return {}
    kind, _error, trace = record.exc_info
    frames = traceback.extract_tb(trace)
    where = f"{frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" if frames else "?"
    return {"exception": f"{kind.__module__}.{kind.__qualname__}", "at": where}


def _request_fields() -> dict[str, str]:
    try:
        from flask import has_request_context, request
    except ImportError:  # the scheduler without Flask on the path
        return {}
    if not has_request_context():
        return {}
    return {"method": request.method, "path": request.path}  # never the query string or the form


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "event", ...}`` — what log collectors index, without caller numbers."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        entry = {
            "time": f"{stamp}.{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "event": scrub(record.getMessage()),
            "process": record.process,
        }
        entry.update(_request_fields())
        entry.update(_exception_summary(record))
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The classic one-line format; exceptions by type and place, as in JSON."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatException(self, exc_info) -> str:  # noqa: N802 — logging's name
        record = logging.LogRecord("", 0, "", 0, "", None, exc_info)
        summary = _exception_summary(record)
        return f"  {summary.get('exception', '?')} at {summary.get('at', '?')}"


class EngineLogHandler(logging.StreamHandler):
    """Writes to the stream given, or to whatever sys.stderr is at the time (pytest swaps it per test)."""

    def __init__(self, stream: IO[str] | None = None):
        super().__init__(stream or sys.stderr)
        self._follow_stderr = stream is None
        self.addFilter(_NoNumbers())

    def emit(self, record: logging.LogRecord) -> None:
        if self._follow_stderr:
            self.stream = sys.stderr
        super().emit(record)


def formatter_for(log_format: str) -> logging.Formatter:
    if log_format not in LOG_FORMATS:
        raise ValueError(f"HELPLINE_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {log_format!r}")
    return JsonFormatter() if log_format == "json" else TextFormatter()


def quiet_twilio_requests(level: str) -> None:
    """The twilio library logs 9-11 INFO lines per REST call (URL, headers, response); they are kept for DEBUG."""
    debugging = str(level).upper() == "DEBUG"
    logging.getLogger(TWILIO_REQUEST_LOGGER).setLevel(logging.NOTSET if debugging else logging.WARNING)


def configure_logging(level: str, log_format: str, stream: IO[str] | None = None,
                      root: logging.Logger | None = None) -> None:
    """One engine handler on the root logger, set to ``level`` and ``log_format``; calling again updates it.

    When something else already set logging up (pytest, a host application) and no stream is asked for,
    its handlers are left as they are, as logging.basicConfig would.
    """
    quiet_twilio_requests(level)
    root = root or logging.getLogger()
    handler = next((h for h in root.handlers if isinstance(h, EngineLogHandler)), None)
    if handler is None:
        if root.handlers and stream is None:
            return
        handler = EngineLogHandler(stream)
        root.addHandler(handler)
    handler.setFormatter(formatter_for(log_format))
    root.setLevel(level)
