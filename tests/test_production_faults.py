"""The load and fault scripts run end to end on a small scale, so they keep working as the engine changes."""

from __future__ import annotations

import pytest

from tests.conftest import TEST_DATABASE_URL


def test_the_mail_server_fault_script_keeps_every_email_and_delivers_each_once(capsys):
    from benchmarks import fault_smtp

    assert fault_smtp.main(["--calls", "4", "--outage-passes", "2"]) == 0
    printed = capsys.readouterr().out
    assert "emails queued                 4" in printed
    assert "sent 0, failed attempts 8, kept for a retry 4" in printed
    assert "delivered 4" in printed and "LOST: nothing" in printed


@pytest.mark.skipif(TEST_DATABASE_URL == "sqlite", reason="the storm runs against PostgreSQL")
def test_a_small_storm_plays_calls_to_their_end_with_valid_twiml_and_leaves_nothing_behind(capsys):
    from benchmarks import load_storm

    status = load_storm.main(["--concurrency", "4", "--calls", "8", "--seconds", "30", "--baseline-seconds", "1",
                              "--listeners", "2", "--workers", "2", "--database-url", TEST_DATABASE_URL])
    printed = capsys.readouterr().out
    assert status == 0, printed
    assert "placed 8, finished 8" in printed and "stuck 0" in printed
    assert "errors         0" in printed and "fallback answers 0" in printed
    assert "{'listeners ringing or on call': 0, 'callers still waiting': 0, 'offers still live': 0}" in printed
