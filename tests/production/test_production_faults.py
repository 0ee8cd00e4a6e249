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
def test_a_small_compressed_storm_plays_calls_to_their_end_with_valid_twiml_and_leaves_nothing_behind(capsys):
    from benchmarks import load_storm

    status = load_storm.main(["--pace", "compressed", "--concurrency", "4", "--calls", "8", "--seconds", "30",
                              "--baseline-seconds", "1", "--listeners", "2", "--workers", "2",
                              "--database-url", TEST_DATABASE_URL])
    printed = capsys.readouterr().out
    assert status == 0, printed
    assert "placed 8, finished 8" in printed and "stuck 0" in printed
    assert "errors         0" in printed and "fallback answers 0" in printed
    assert "{'listeners ringing or on call': 0, 'callers still waiting': 0, 'offers still live': 0}" in printed
    assert "4 clients that never pause" in printed


@pytest.mark.skipif(TEST_DATABASE_URL == "sqlite", reason="the storm runs against PostgreSQL")
def test_a_short_storm_at_real_pace_hangs_up_at_its_end_and_replays_its_load_to_the_baseline(capsys):
    from benchmarks import load_storm

    status = load_storm.main(["--concurrency", "2", "--seconds", "35", "--listeners", "1", "--workers", "2",
                              "--database-url", TEST_DATABASE_URL])
    printed = capsys.readouterr().out
    assert status == 0, printed
    assert "real pace" in printed and "stuck 0" in printed
    assert "errors         0" in printed and "fallback answers 0" in printed
    # Both callers were still on the phone after 35 s (a greeting, a menu, a queue): they hung up, leaving nothing
    assert "placed 2, finished 2" in printed and "/voice/menu" in printed  # the first one heard the menu out
    assert "{'listeners ringing or on call': 0, 'callers still waiting': 0, 'offers still live': 0}" in printed
    sent = int(printed.split("webhooks       ")[1].split(" in ")[0])
    assert sent >= 3 and f"the storm's {sent} webhooks replayed at the same instants: {sent} requests" in printed


def test_a_listener_whose_hang_up_was_lost_is_freed_by_the_sweep_within_about_ten_minutes(live_app, clock, rest):
    # The database down when the call ended: neither the Dial action nor the status callback was recorded.
    from datetime import timedelta

    from ivr.sweep import sweep
    from tests.conftest import SignedTwilio, at_brussels
    from tests.support.calls import Caller, ListenerLeg, add_listener, bridge, listener, rung

    clock.now = at_brussels(2026, 11, 24, 10, 0)
    tw = SignedTwilio(live_app.test_client())
    camille = add_listener(live_app, "Camille", "+32470111111")
    dominique = add_listener(live_app, "Dominique", "+32470222222")
    first, second = Caller(tw), Caller(tw)
    legs = [ListenerLeg(tw, rest, sid) for sid in rung(rest)[:2]]
    for caller, leg in zip((first, second), legs):
        bridge(tw, caller, leg.press("1"), leg)
    assert {listener(live_app, camille).status, listener(live_app, dominique).status} == {"on_call"}
    ended, still_talking = legs
    rest.calls[ended.sid]["status"] = "completed"  # Twilio knows Camille's call is over; we never heard
    rest.calls[still_talking.sid]["status"] = "in-progress"

    clock.now += timedelta(minutes=9)
    assert sweep(live_app).conversations_closed == 0  # too early to ask Twilio about anyone
    clock.now += timedelta(minutes=1, seconds=5)
    report = sweep(live_app)
    assert report.conversations_closed == 1
    statuses = {listener(live_app, camille).status, listener(live_app, dominique).status}
    assert statuses == {"on_call", "wrap_up"}  # the one still talking is left alone


def test_a_waiting_caller_whose_hang_up_was_lost_leaves_the_queue_within_about_two_minutes(live_app, clock, rest):
    from datetime import timedelta

    from ivr.sweep import sweep
    from routing.queueing import ListenerStatus
    from tests.conftest import SignedTwilio, at_brussels
    from tests.support.calls import Caller, add_listener, queued

    clock.now = at_brussels(2026, 11, 24, 10, 0)
    tw = SignedTwilio(live_app.test_client())
    add_listener(live_app, "Camille", "+32470111111", status=ListenerStatus.PAUSED)  # the queue stays open
    gone, still_there = Caller(tw), Caller(tw)
    # The first caller hung up while the database was down: Twilio no longer knows the call (404).
    # The second is still waiting in Twilio's queue.
    rest.calls[still_there.sid] = {"sid": still_there.sid, "status": "queued", "params": {}}
    clock.now += timedelta(minutes=1)
    assert sweep(live_app).callers_lost == 0
    clock.now += timedelta(minutes=1, seconds=5)
    assert sweep(live_app).callers_lost == 1
    assert queued(live_app, gone.sid).status not in ("waiting", "offered")
    assert queued(live_app, still_there.sid).status == "waiting"
