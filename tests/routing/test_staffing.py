"""Erlang B and C against published worked examples and tables; the staffing advice and week coverage on them."""

from __future__ import annotations

import math
from datetime import date, time

import pytest

from routing.coverage import SlotDemand, WeeklyWindow, coverage, week_minutes
from routing.staffing import (
    average_speed_of_answer,
    erlang_b,
    erlang_c,
    listeners_needed,
    service_level,
    traffic_erlangs,
)
from routing.traffic import weekday_occurrences


def textbook_erlang_c(servers: int, traffic: float) -> float:
    """The closed formula with factorials, fine for small numbers: the recursion must agree with it."""
    top = traffic ** servers / math.factorial(servers) * servers / (servers - traffic)
    return top / (sum(traffic ** k / math.factorial(k) for k in range(servers)) + top)


# Erlang B tables (e.g. Cooper, "Introduction to Queueing Theory", table of B(c, a)).
@pytest.mark.parametrize(("servers", "traffic", "blocking"), [
    (1, 1.0, 0.5),
    (2, 1.0, 0.2),
    (10, 5.0, 0.018385),
    (10, 10.0, 0.214582),
])
def test_erlang_b_matches_published_tables(servers, traffic, blocking):
    assert erlang_b(servers, traffic) == pytest.approx(blocking, abs=5e-7)


@pytest.mark.parametrize(("servers", "carried"), [(5, 1.36), (10, 4.46), (20, 12.03), (50, 37.90)])
def test_the_one_percent_column_of_the_erlang_b_table(servers, carried):
    # The table gives, to 0.01 E, the most traffic ``servers`` trunks carry with at most 1 % blocked.
    assert erlang_b(servers, carried) <= 0.01 < erlang_b(servers, carried + 0.01)


def test_erlang_c_of_the_classic_100_calls_in_30_minutes_example():
    # 100 calls per half hour, 3 minutes each: 10 erlangs. The worked example (Call Centre Helper, "Erlang C
    # formula made simple") finds that with 11 agents 68.21 % of callers wait, the service level 80/20 is
    # 39.0 % and the average speed of answer 122.8 s; 14 agents are the fewest reaching 80 % in 20 s (88.8 %).
    traffic = traffic_erlangs(200, 180)
    assert traffic == pytest.approx(10.0)
    assert erlang_c(11, traffic) == pytest.approx(0.6821, abs=5e-5)
    assert service_level(11, traffic, 180, 20) == pytest.approx(0.3896, abs=5e-4)
    assert average_speed_of_answer(11, traffic, 180) == pytest.approx(122.8, abs=0.05)
    assert service_level(13, traffic, 180, 20) == pytest.approx(0.7956, abs=5e-4)  # just short of 80 %
    advice = listeners_needed(200, 180, 20, 0.80)
    assert advice.listeners == 14
    assert advice.service_level == pytest.approx(0.8884, abs=5e-4)
    assert advice.occupancy == pytest.approx(10 / 14)


def test_erlang_c_of_the_360_calls_per_half_hour_worked_example():
    # 360 calls per half hour of 4 minutes with 55 agents, 15 s target: 48 E, occupancy 87.3 %, a caller waits
    # with probability 24 %, the average speed of answer is 8.2 s and 84.6 % are answered within 15 s.
    traffic = traffic_erlangs(720, 240)
    assert traffic == pytest.approx(48.0)
    assert erlang_c(55, traffic) == pytest.approx(0.2387, abs=5e-4)
    assert average_speed_of_answer(55, traffic, 240) == pytest.approx(8.18, abs=0.01)
    assert service_level(55, traffic, 240, 15) == pytest.approx(0.8459, abs=5e-4)


@pytest.mark.parametrize(("servers", "traffic"), [(1, 0.5), (3, 2.2), (8, 7.9), (20, 12.5), (40, 39.0)])
def test_the_recursion_agrees_with_the_factorial_formula(servers, traffic):
    assert erlang_c(servers, traffic) == pytest.approx(textbook_erlang_c(servers, traffic), rel=1e-12)


def test_large_loads_stay_finite_where_factorials_overflow():
    with pytest.raises(OverflowError):
        textbook_erlang_c(700, 650.0)
    waiting = erlang_c(700, 650.0)
    assert 0.0 < waiting < 1.0
    advice = listeners_needed(650 * 3600 / 300, 300, 20, 0.8)
    assert 650 < advice.listeners < 700 and advice.service_level >= 0.8


def test_too_few_listeners_means_everyone_waits_and_no_finite_answer_time():
    assert erlang_c(5, 5.0) == 1.0 and erlang_c(4, 5.0) == 1.0
    assert service_level(5, 5.0, 300, 60) == 0.0
    assert average_speed_of_answer(5, 5.0, 300) is None


def test_no_calls_need_no_listener():
    advice = listeners_needed(0, 300, 60, 0.8)
    assert (advice.listeners, advice.traffic, advice.service_level, advice.occupancy) == (0, 0.0, 1.0, None)


def test_a_single_call_an_hour_still_needs_one_listener_and_more_calls_never_need_fewer():
    assert listeners_needed(1, 600, 60, 0.8).listeners == 1
    needed = [listeners_needed(rate, 600, 60, 0.8).listeners for rate in range(1, 60)]
    assert needed == sorted(needed)
    assert needed[-1] > needed[0]


def test_a_stricter_target_never_needs_fewer_listeners():
    levels = [listeners_needed(30, 420, 20, level).listeners for level in (0.5, 0.7, 0.8, 0.9, 0.95, 0.99)]
    assert levels == sorted(levels) and levels[-1] > levels[0]


def test_nonsense_inputs_are_refused():
    for args in ((-1, 300, 60, 0.8), (10, 0, 60, 0.8), (10, 300, -1, 0.8), (10, 300, 60, 1.0), (10, 300, 60, 0)):
        with pytest.raises(ValueError):
            listeners_needed(*args)
    with pytest.raises(ValueError):
        erlang_b(-1, 2.0)


# --- coverage of a usual week: opening hours against listeners' shifts, slot by slot --------------------------


def minute(weekday: int, hour: int, minute_: int = 0) -> int:
    return (weekday * 24 + hour) * 60 + minute_


def test_a_sunday_night_shift_runs_on_into_monday_morning():
    covered = week_minutes([WeeklyWindow(6, time(22), time(2))])
    assert covered[minute(6, 22)] and covered[minute(6, 23, 59)]
    assert covered[minute(0, 0)] and covered[minute(0, 1, 59)] and not covered[minute(0, 2)]
    assert sum(covered) == 4 * 60
    until_midnight = week_minutes([WeeklyWindow(2, time(20), time(0))])
    assert sum(until_midnight) == 4 * 60 and not until_midnight[minute(3, 0)]


def test_a_shift_written_in_another_zone_moves_by_the_difference():
    covered = week_minutes([WeeklyWindow(0, time(9), time(10))], shift_minutes=-60)
    assert covered[minute(0, 8)] and not covered[minute(0, 9)]


def test_an_hour_counts_the_fewest_listeners_at_any_open_minute_and_flags_the_gaps():
    open_ = week_minutes([WeeklyWindow(0, time(9), time(12))])
    alex = week_minutes([WeeklyWindow(0, time(9), time(12))])
    sam = week_minutes([WeeklyWindow(0, time(9), time(10, 30))])  # leaves half-way through 10h
    # Monday 9h: 40 calls over 4 Mondays = 10 an hour, 10 minutes each: Erlang C wants 4 listeners for 80/60.
    demand = [SlotDemand(0, 9, 40, 4, 600, "slot"), SlotDemand(0, 11, 4, 4, 600, "slot")]
    slots = {(s.weekday, s.hour): s for s in coverage(open_, [alex, sam], demand, 60, 0.8)}
    assert slots[0, 9].scheduled == 2 and slots[0, 9].advice.listeners == 4 and slots[0, 9].gap == "short"
    assert slots[0, 10].scheduled == 1 and slots[0, 10].advice.listeners == 0 and slots[0, 10].gap is None
    assert slots[0, 11].scheduled == 1 and slots[0, 11].advice.listeners == 1 and slots[0, 11].gap is None
    nobody = coverage(open_, [], demand, 60, 0.8)
    assert {(s.weekday, s.hour) for s in nobody if s.gap == "nobody"} == {(0, 9), (0, 10), (0, 11)}
    assert slots[0, 12].is_open is False and slots[0, 12].gap is None


def test_each_weekday_hour_occurs_as_often_as_the_period_holds_that_weekday():
    assert weekday_occurrences(date(2026, 11, 2), date(2026, 11, 30)) == [4] * 7
    # 10 days from Wednesday 4 November: two Wednesdays, Thursdays and Fridays, one of every other day.
    assert weekday_occurrences(date(2026, 11, 4), date(2026, 11, 14)) == [1, 1, 2, 2, 2, 1, 1]
    assert weekday_occurrences(date(2026, 11, 4), date(2026, 11, 4)) == [0] * 7
