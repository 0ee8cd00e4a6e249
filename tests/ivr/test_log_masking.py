"""What the log lines blank: every notation of a caller's number, and none of the instants, addresses and SIDs
an operator reads the logs for."""

from __future__ import annotations

import io
import json
import logging

import pytest

from ivr.logs import EngineLogHandler, JsonFormatter, scrub
from tests.support.paths import REPO

CALL_SID = "CA0123456789abcdef0123456789abcdef"
ACCOUNT_SID = "AC" + "1" * 32


@pytest.mark.parametrize("number", [
    "+33612345678",
    "+32470112233",
    "06 12 34 56 78",
    "06.12.34.56.78",
    "06-12-34-56-78",
    "+32 470 11 22 33",
    "+33 6 12 34 56 78",
    "+33 (0)6 12 34 56 78",
    "0470 11 22 33",
    "02 123 45 67",
    "02.123.45.67",  # four dotted groups, but "02" is no IPv4 octet
    "0612345678",
    "0032 475 12 34 56",
    "%2B33612345678",
    "%2b32470112233",
    "06+12+34+56+78",  # a form-encoded query
    "06%2012%2034%2056%2078",
])
def test_every_notation_of_a_callers_number_is_blanked(number):
    for line in (f"caller {number} hung up", f"caller {number}", f"To={number}&From=x", f"callback ({number}): failed"):
        scrubbed = scrub(line)
        assert "[number]" in scrubbed, line
        assert not any(digit in scrubbed.replace("[number]", "") for digit in "0123456789"), (line, scrubbed)


def test_numbers_in_a_twilio_request_url_are_blanked_but_the_api_version_and_sids_kept():
    line = (f"GET Request: https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json"
            "?To=%2B33612345678&From=%2B3226101010&StartTime%3E=2026-11-24")
    assert scrub(line) == (f"GET Request: https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json"
                           "?To=[number]&From=[number]&StartTime%3E=2026-11-24")


def test_a_number_after_a_plus_is_blanked_even_glued_to_a_word():
    assert scrub("caller_id=x+33612345678") == "caller_id=x[number]"
    assert scrub("From%3Dx%2B33612345678") == "From%3Dx[number]"


def test_two_numbers_one_space_apart_leave_no_digit_of_either():
    assert scrub("tried 06 12 34 56 78 06 98 76 54 32 then gave up") == "tried [number] then gave up"
    assert scrub("+33612345678 +32470112233") == "[number] [number]"


@pytest.mark.parametrize("kept", [
    "PostgreSQL advisory lock -8380128797202283488",  # sixteen digits or more in a row: no numbering plan has them
    "2026-11-24T10:16:06.123456+00:00",
    "2026-11-24T10:16:06+01:00",
    "2026-11-24T10:16:06Z",
    "2026-11-24T10:16:06.123Z",
    "2026-11-24 10:16:06.123456+00:00",
    "2026-11-24 10:16:06,123",
    "2026-11-24 10:16",
    "2026-11-24",
    "10:16:06.123456",
    "/2010-04-01/Accounts/AC11111111111111111111111111111111/Calls.json",
    "127.0.0.1",
    "203.0.113.7",
    "203.0.113.7:51234",
    "192.168.100.200",
    CALL_SID,
    "QU" + "0123456789" * 3 + "ab",
    "CA" + "7" * 32,
])
def test_instants_dates_addresses_and_sids_are_kept(kept):
    for line in (kept, f"next run {kept}", f"next run {kept}, queue 42", f'{kept} "POST /voice/incoming" 200 345 12ms'):
        assert scrub(line) == line


def test_a_number_written_before_a_date_is_blanked_whole():
    # Digits before a date-shaped group could be a number's first digits: caller safety wins over the date.
    assert scrub("caller 06 2026-11-24 hung up") == "caller [number] hung up"
    assert scrub("at 2026-11-24 0612345678") == "at 2026-11-24 [number]"
    assert scrub("2026-11-24-0612345678") == "[number]"


def test_a_number_glued_to_a_kept_shape_is_not_kept_with_it():
    assert "34" not in scrub("2010-04-01-23-45")  # no date ends where a number's digits go on
    assert "168" not in scrub("192.168.100.200.12")  # nor an address
    assert "12345678" not in scrub("10:16+0612345678")  # nor an offset


def test_the_json_log_keeps_a_schedulers_next_run_and_a_proxys_address():
    stream = io.StringIO()
    handler = EngineLogHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("helpline.test_log_masking")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        logger.info("job sweep: next run %s", "2026-11-24T10:16:06.123456+00:00")
        logger.info('%s "GET /health" 200 15 3ms', "203.0.113.7")
        logger.info("callback for %s", "+33612345678")
    finally:
        logger.removeHandler(handler)
    events = [json.loads(line)["event"] for line in stream.getvalue().splitlines()]
    assert events == ["job sweep: next run 2026-11-24T10:16:06.123456+00:00", '203.0.113.7 "GET /health" 200 15 3ms',
                      "callback for [number]"]


def test_the_access_logs_status_size_and_time_survive_the_masking_even_for_a_large_page():
    import runpy

    settings = runpy.run_path(str(REPO / "gunicorn.conf.py"))
    line = settings["access_log_format"] % {"h": "203.0.113.7", "m": "GET", "U": "/console/reports", "s": "200",
                                            "B": "48213", "M": "35"}
    assert scrub(line) == line and "200" in line and "48213" in line


@pytest.mark.parametrize("glued", ["x0612345678", "call_33612345678", "caller=0612345678"])
def test_a_number_glued_after_a_letter_or_underscore_is_blanked(glued):
    assert "12345678" not in scrub(f"dialling {glued} now")
