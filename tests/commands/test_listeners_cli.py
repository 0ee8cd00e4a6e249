"""`helpline listeners` as a coordinator uses it, and listeners who follow their shifts (apply_shifts)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app import cli
from store.extension import database
from commands.listeners import masked_phone
from store.listeners import choose_status, find_by_phone, pin_matches
from store.listener_shifts import apply_shifts
from store.models import Listener, ListenerShift, ListenerStatusChange, QueuedCaller
from routing.queueing import ListenerStatus
from tests.conftest import AUTH_TOKEN, at_paris, make_test_app
from tests.support.twilio_server import TwilioTestServer

POOL = "france-victimes"


def invoke(app, *args, input=None):
    return app.test_cli_runner().invoke(cli, ["listeners", *args], input=input)


def add(app, name="Camille Martin", phone="06 12 34 56 78", pin="2468", *extra):
    result = invoke(app, "add", "--name", name, "--phone", phone, "--pool", POOL, "--pin", pin, *extra)
    return result


def listener_named(app, name: str) -> Listener | None:
    with app.app_context(), database.session() as session:
        listener = session.scalar(select(Listener).where(Listener.name == name))
        if listener is not None:
            listener.pools, listener.shifts  # loaded before the session closes
        return listener


def reasons(app, listener_id: int) -> list[str]:
    with app.app_context(), database.session() as session:
        return list(session.scalars(select(ListenerStatusChange.reason)
                                    .where(ListenerStatusChange.listener_id == listener_id)
                                    .order_by(ListenerStatusChange.id)))


# --- the roster ----------------------------------------------------------------------------------------------


def test_added_listener_is_listed_with_a_masked_phone_and_offline(app):
    result = add(app, "Camille Martin", "06 12 34 56 78", "2468", "--language", "fr", "--language", "en",
                 "--skill", "Adult")
    assert result.exit_code == 0, result.output
    assert "+33 6 •• •• •• 78" in result.output
    listener = listener_named(app, "Camille Martin")
    assert listener.phone == "+33612345678" and listener.languages == ["fr", "en"] and listener.skills == ["adult"]
    assert [p.pool for p in listener.pools] == [POOL] and listener.status == "offline"

    listed = invoke(app, "list")
    assert listed.exit_code == 0, listed.output
    assert "Camille Martin" in listed.output and "+33 6 •• •• •• 78" in listed.output
    assert POOL in listed.output and "offline" in listed.output and "since 2026-11-24 10:00 CET" in listed.output
    for shown in (result.output, listed.output):
        assert "12 34 56" not in shown and "612345678" not in shown


def test_phones_are_masked_to_the_kind_of_line_and_last_two_digits():
    assert masked_phone("+33612345678") == "+33 6 •• •• •• 78"
    assert masked_phone("+32470123456") == "+32 4•• •• •• 56"
    assert masked_phone("not a number") == "••"


def test_list_by_pool_shows_only_that_pools_listeners(app):
    assert add(app, "Camille Martin", "0612345678").exit_code == 0
    result = invoke(app, "add", "--name", "Sam Taylor", "--phone", "+32470123456", "--pool", "evc", "--pin", "1357")
    assert result.exit_code == 0, result.output
    listed = invoke(app, "list", "--pool", "evc")
    assert "Sam Taylor" in listed.output and "Camille" not in listed.output
    assert "no listeners in the pool nobody" in invoke(app, "list", "--pool", "nobody").output


def test_a_pool_no_line_queues_to_is_added_with_a_warning(app):
    result = invoke(app, "add", "--name", "Sam Taylor", "--phone", "0612345679", "--pool", "franec-victimes",
                    "--pin", "1357")
    assert result.exit_code == 0
    assert "no line queues callers to the pool 'franec-victimes'" in result.output


@pytest.mark.parametrize("phone", ["+33612345678", "06 12 34 56 78", "0033612345678"])
def test_a_phone_that_already_belongs_to_a_listener_is_refused(app, phone):
    assert add(app, "Camille Martin", "0612345678").exit_code == 0
    result = add(app, "Dominique Petit", phone)
    assert result.exit_code == 1
    assert "this phone already belongs to the listener #1 (Camille Martin)" in result.output
    assert "612345678" not in result.output
    assert listener_named(app, "Dominique Petit") is None


@pytest.mark.parametrize("phone, pin, message", [
    ("12", "2468", "the phone is not a phone number"),
    ("call me maybe", "2468", "the phone is not a phone number"),
    ("0612345678", "12", "the PIN must be 4 to 8 digits"),
    ("0612345678", "12ab", "the PIN must be 4 to 8 digits"),
])
def test_bad_phone_or_pin_is_refused_clearly(app, phone, pin, message):
    result = add(app, "Camille Martin", phone, pin)
    assert result.exit_code == 1
    assert f"Error: {message}" in result.output
    assert listener_named(app, "Camille Martin") is None


def test_a_bad_language_code_is_refused(app):
    result = add(app, "Camille Martin", "0612345678", "2468", "--language", "French")
    assert result.exit_code == 2 and "two-letter language code" in result.output


@pytest.mark.parametrize("command", [("status", "Nobody", "available"), ("pin", "42", "--pin", "1234"),
                                     ("shift", "Nobody", "--day", "mon", "--from", "09:00", "--to", "13:00"),
                                     ("deactivate", "Nobody")])
def test_unknown_listener_is_an_error(app, command):
    result = invoke(app, *command)
    assert result.exit_code == 1
    assert "no listener" in result.output


def test_two_listeners_with_one_name_must_be_named_by_id(app):
    assert add(app, "Camille Martin", "0612345678").exit_code == 0
    assert add(app, "Camille Martin", "0612345679").exit_code == 0
    result = invoke(app, "status", "camille martin", "available")
    assert result.exit_code == 1 and "give the id (#1, #2)" in result.output
    assert invoke(app, "status", "2", "available").exit_code == 0


# --- presence from the terminal ----------------------------------------------------------------------------


def test_status_from_the_terminal_is_recorded_as_chosen_by_cli(app):
    assert add(app).exit_code == 0
    for status in ("available", "paused", "offline"):
        result = invoke(app, "status", "Camille Martin", status)
        assert result.exit_code == 0, result.output
        assert f"Camille Martin is {status}" in result.output
    listener = listener_named(app, "Camille Martin")
    assert listener.status == "offline"
    assert reasons(app, listener.id) == ["chosen by cli"] * 3


def test_status_of_a_listener_on_a_call_is_refused_and_unchanged(app):
    assert add(app).exit_code == 0
    with app.app_context(), database.session() as session:
        listener = session.scalar(select(Listener))
        listener.status = ListenerStatus.ON_CALL.value
        session.commit()
    result = invoke(app, "status", "Camille Martin", "paused")
    assert result.exit_code == 1 and "is on call: choose again when the call is over" in result.output
    assert listener_named(app, "Camille Martin").status == "on_call"


def test_going_available_from_the_terminal_dials_the_waiting_caller(database_url, clock, shipped_directory):
    from store.directory import load_documents

    server = TwilioTestServer("AC" + "3" * 32, AUTH_TOKEN).start()
    app = make_test_app(database_url, clock, DISPATCH_MODE="inline", TWILIO_API_BASE_URL=server.base_url,
                        TWILIO_ACCOUNT_SID=server.account_sid, TWILIO_AUTH_TOKEN=AUTH_TOKEN)
    try:
        with app.app_context(), database.session() as session:
            load_documents(session, shipped_directory)
            session.add(QueuedCaller(call_sid="CA" + "f" * 32, pool=POOL, enqueued_at=clock.now, language="fr"))
            session.commit()
        assert add(app).exit_code == 0
        assert server.calls == {}
        result = invoke(app, "status", "Camille Martin", "available")
        assert result.exit_code == 0, result.output
        assert [c["to"] for c in server.calls.values()] == ["+33612345678"]
        assert listener_named(app, "Camille Martin").status == "ringing"
    finally:
        server.stop()
        with app.app_context():
            database.engine.dispose()


def test_pin_change_takes_effect_and_a_bad_pin_is_refused(app):
    assert add(app).exit_code == 0
    assert invoke(app, "pin", "Camille Martin", "--pin", "97531").exit_code == 0
    bad = invoke(app, "pin", "1", "--pin", "123")
    assert bad.exit_code == 1 and "the PIN must be 4 to 8 digits" in bad.output
    listener = listener_named(app, "Camille Martin")
    assert pin_matches(listener, "97531") and not pin_matches(listener, "2468")


def test_pin_can_be_typed_hidden_at_a_prompt(app):
    result = invoke(app, "add", "--name", "Camille Martin", "--phone", "0612345678", "--pool", POOL,
                    input="8642\n8642\n")
    assert result.exit_code == 0, result.output
    assert "8642" not in result.output
    assert pin_matches(listener_named(app, "Camille Martin"), "8642")


def test_deactivated_listener_is_off_the_roster_and_the_presence_line(app):
    assert add(app).exit_code == 0
    assert invoke(app, "status", "Camille Martin", "available").exit_code == 0
    result = invoke(app, "deactivate", "Camille Martin")
    assert result.exit_code == 0, result.output
    listener = listener_named(app, "Camille Martin")
    assert not listener.active and listener.status == "offline"
    assert "Camille" not in invoke(app, "list").output
    with app.app_context(), database.session() as session:
        assert find_by_phone(session, "+33612345678") is None
    assert invoke(app, "status", "Camille Martin", "available").exit_code == 1
    again = add(app, "Camille Martin", "0612345678")
    assert again.exit_code == 1 and "the deactivated listener #1" in again.output


# --- shifts --------------------------------------------------------------------------------------------------


def test_shifts_are_added_and_bad_ones_refused_clearly(app):
    assert add(app, "Camille Martin", "0612345678", "2468", "--follows-shifts").exit_code == 0
    ok = invoke(app, "shift", "Camille Martin", "--day", "mon", "--from", "09:00", "--to", "13:00")
    assert ok.exit_code == 0 and "Monday 09:00–13:00 Europe/Paris" in ok.output
    night = invoke(app, "shift", "Camille Martin", "--day", "fri", "--from", "22:00", "--to", "02:00")
    assert night.exit_code == 0 and "(ends the next day)" in night.output
    for args, message in [
        (("--day", "mon", "--from", "9h", "--to", "13:00"), "--from '9h' is not a time such as 09:00"),
        (("--day", "mon", "--from", "09:00", "--to", "25:00"), "--to '25:00' is not a time"),
        (("--day", "mon", "--from", "09:00", "--to", "09:00"), "cannot start and end at the same time"),
        (("--day", "mon", "--from", "09:00", "--to", "13:00", "--timezone", "Paris"), "'Paris' is not a time zone"),
        (("--day", "mon", "--from", "09:00", "--to", "13:00"), "already has this shift"),
    ]:
        result = invoke(app, "shift", "Camille Martin", *args)
        assert result.exit_code == 1, args
        assert message in result.output
    assert invoke(app, "shift", "1", "--day", "someday", "--from", "09:00", "--to", "13:00").exit_code == 2
    shifts = listener_named(app, "Camille Martin").shifts
    assert [(s.weekday, f"{s.starts:%H:%M}", f"{s.ends:%H:%M}") for s in shifts] == [(0, "09:00", "13:00"),
                                                                                       (4, "22:00", "02:00")]


def test_a_shift_for_someone_who_does_not_follow_shifts_says_so(app):
    assert add(app).exit_code == 0
    result = invoke(app, "shift", "Camille Martin", "--day", "tue", "--from", "09:00", "--to", "13:00")
    assert result.exit_code == 0 and "does not follow shifts" in result.output


@pytest.fixture
def on_shift(app, clock):
    """Camille follows a Tuesday 09:00–13:00 and a Friday 22:00–02:00 shift (Paris), added on a Monday."""
    clock.now = at_paris(2026, 11, 23, 18, 0)
    assert add(app, "Camille Martin", "0612345678", "2468", "--follows-shifts").exit_code == 0
    for day, start, end in (("tue", "09:00", "13:00"), ("fri", "22:00", "02:00")):
        assert invoke(app, "shift", "1", "--day", day, "--from", start, "--to", end).exit_code == 0

    def shifts_at(*moment) -> str:
        clock.now = at_paris(*moment)
        with app.app_context(), database.session() as session:
            apply_shifts(session, clock.now)
            session.commit()
        return listener_named(app, "Camille Martin").status

    return shifts_at


def test_listener_following_shifts_goes_available_when_it_starts_and_offline_when_it_ends(app, on_shift):
    assert on_shift(2026, 11, 24, 8, 59) == "offline"
    assert on_shift(2026, 11, 24, 9, 0) == "available"
    assert on_shift(2026, 11, 24, 12, 59) == "available"
    assert on_shift(2026, 11, 24, 13, 0) == "offline"
    assert reasons(app, 1) == ["shift started", "shift ended"]


def test_a_shift_across_midnight_runs_into_the_next_day(app, on_shift):
    assert on_shift(2026, 11, 27, 21, 59) == "offline"
    assert on_shift(2026, 11, 27, 22, 0) == "available"
    assert on_shift(2026, 11, 28, 1, 59) == "available"  # Saturday, still Friday's shift
    assert on_shift(2026, 11, 28, 2, 0) == "offline"
    assert on_shift(2026, 11, 28, 22, 30) == "offline"  # Saturday has no shift of its own


def test_shift_hours_are_paris_hours_in_summer_time_too(app, on_shift):
    assert on_shift(2027, 7, 6, 8, 59) == "offline"  # a Tuesday in summer time (UTC+2)
    assert on_shift(2027, 7, 6, 9, 0) == "available"
    assert on_shift(2027, 7, 6, 13, 0) == "offline"


def test_a_pause_or_logging_off_during_the_shift_is_respected(app, on_shift, clock):
    assert on_shift(2026, 11, 24, 9, 0) == "available"
    clock.now = at_paris(2026, 11, 24, 10, 0)
    assert invoke(app, "status", "Camille Martin", "paused").exit_code == 0
    assert on_shift(2026, 11, 24, 10, 1) == "paused"
    assert on_shift(2026, 11, 24, 11, 0) == "paused"
    clock.now = at_paris(2026, 11, 24, 11, 30)
    assert invoke(app, "status", "Camille Martin", "offline").exit_code == 0
    assert on_shift(2026, 11, 24, 11, 31) == "offline"
    assert on_shift(2026, 11, 27, 22, 0) == "available"  # the next shift starts afresh
    assert reasons(app, 1) == ["shift started", "chosen by cli", "chosen by cli", "shift started"]


def test_a_pause_running_at_the_end_of_the_shift_ends_offline(app, on_shift, clock):
    on_shift(2026, 11, 24, 9, 0)
    with app.app_context(), database.session() as session:
        choose_status(session, session.get(Listener, 1), ListenerStatus.PAUSED, clock.now + timedelta(hours=3),
                      how="phone")
        session.commit()
    assert on_shift(2026, 11, 24, 13, 0) == "offline"


def test_a_listener_on_a_call_when_the_shift_ends_is_not_cut_off(app, on_shift):
    on_shift(2026, 11, 24, 9, 0)
    with app.app_context(), database.session() as session:
        session.get(Listener, 1).status = ListenerStatus.ON_CALL.value
        session.commit()
    assert on_shift(2026, 11, 24, 13, 0) == "on_call"


def test_deactivated_listeners_do_not_follow_their_shifts(app, on_shift):
    assert invoke(app, "deactivate", "1").exit_code == 0
    assert on_shift(2026, 11, 24, 9, 0) == "offline"
    with app.app_context(), database.session() as session:
        assert session.scalar(select(ListenerShift).where(ListenerShift.listener_id == 1)) is not None
