"""Opening hours, worked examples: the helplines' real schedules, holidays, closures, overrides and DST."""

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from schedules import (
    Closure,
    HolidayCalendar,
    Override,
    OverrideMode,
    Reason,
    Schedule,
    Shift,
    next_opening,
    status_at,
    upcoming_holidays,
)
from schedules.weekly import wall_to_utc

PARIS = ZoneInfo("Europe/Paris")
BRUSSELS = ZoneInfo("Europe/Brussels")
UTC = timezone.utc
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def every_day(start: int, end: int, days=range(7)) -> tuple[Shift, ...]:
    return tuple(Shift(day, time(start), time(end)) for day in days)


# 08VICTIMES: 7 days a week, 9h-21h, holidays included.
VICTIMES = Schedule("Europe/Paris", every_day(9, 21))
# Écoute Violences Conjugales: Mon-Fri 9h-19h except Belgian public holidays.
EVC = Schedule("Europe/Brussels", every_day(9, 19, range(5)), HolidayCalendar("BE"))
OFFICE_FR = Schedule("Europe/Paris", every_day(9, 19, range(5)), HolidayCalendar("FR"))


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def brussels(*args) -> datetime:
    return datetime(*args, tzinfo=BRUSSELS)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- weekly hours -------------------------------------------------------------------------------------


def test_seven_day_line_open_sunday_at_20_59_until_21_00():
    status = status_at(VICTIMES, paris(2026, 6, 14, 20, 59))
    assert status.is_open and status.reason is Reason.HOURS
    assert status.changes_at == paris(2026, 6, 14, 21, 0)


def test_seven_day_line_closed_sunday_at_21_00_reopens_monday_9_00():
    status = status_at(VICTIMES, paris(2026, 6, 14, 21, 0))
    assert not status.is_open and status.reason is Reason.OUTSIDE_HOURS
    assert status.changes_at == paris(2026, 6, 15, 9, 0)
    assert status.reopens_at == paris(2026, 6, 15, 9, 0)


def test_office_line_closed_friday_19_00_reopens_monday_9_00():
    status = status_at(EVC, brussels(2026, 6, 12, 19, 0))
    assert not status.is_open
    assert status.changes_at == brussels(2026, 6, 15, 9, 0)


def test_status_is_expressed_in_the_schedule_timezone_whatever_the_timezone_of_now():
    status = status_at(EVC, utc(2026, 6, 12, 16, 59))  # 18:59 in Brussels
    assert status.is_open
    assert status.at == brussels(2026, 6, 12, 18, 59) and status.at.tzinfo == BRUSSELS
    assert status.changes_at.tzinfo == BRUSSELS and status.changes_at == brussels(2026, 6, 12, 19, 0)


def test_touching_shifts_make_one_open_stretch_with_no_flip_at_noon():
    schedule = Schedule("Europe/Paris", (Shift(MON, time(9), time(12)), Shift(MON, time(12), time(14))))
    assert status_at(schedule, paris(2026, 6, 15, 10)).changes_at == paris(2026, 6, 15, 14)
    assert status_at(schedule, paris(2026, 6, 15, 12)).is_open


def test_shift_across_midnight_is_open_saturday_at_1_00_until_2_00():
    schedule = Schedule("Europe/Paris", (Shift(FRI, time(22), time(2)),))
    status = status_at(schedule, paris(2026, 6, 13, 1, 0))
    assert status.is_open and status.changes_at == paris(2026, 6, 13, 2, 0)
    assert status_at(schedule, paris(2026, 6, 12, 21, 59)).changes_at == paris(2026, 6, 12, 22, 0)
    assert status_at(schedule, paris(2026, 6, 13, 2, 0)).changes_at == paris(2026, 6, 19, 22, 0)


def test_shift_until_midnight_followed_by_shift_from_midnight_does_not_flip_at_midnight():
    schedule = Schedule("Europe/Paris", (Shift(MON, time(20), time(0)), Shift(TUE, time(0), time(6))))
    status = status_at(schedule, paris(2026, 6, 15, 21))
    assert status.is_open and status.changes_at == paris(2026, 6, 16, 6)
    assert status_at(schedule, paris(2026, 6, 16, 0, 0)).is_open


def test_round_the_clock_line_never_changes():
    schedule = Schedule("Europe/Paris", tuple(Shift(day, time(0), time(0)) for day in range(7)))
    status = status_at(schedule, paris(2026, 6, 15, 3))
    assert status.is_open and status.changes_at is None


def test_round_the_clock_line_with_holidays_closes_at_the_next_holiday_midnight():
    shifts = tuple(Shift(day, time(0), time(0)) for day in range(7))
    schedule = Schedule("Europe/Paris", shifts, HolidayCalendar("FR"))
    assert status_at(schedule, paris(2026, 6, 15, 3)).changes_at == paris(2026, 7, 14, 0, 0)
    assert status_at(schedule, paris(2026, 7, 14, 12)).changes_at == paris(2026, 7, 15, 0, 0)


def test_schedule_without_shifts_is_closed_and_never_reopens():
    status = status_at(Schedule("Europe/Paris"), paris(2026, 6, 15, 10))
    assert not status.is_open and status.reason is Reason.OUTSIDE_HOURS
    assert status.changes_at is None
    assert next_opening(Schedule("Europe/Paris"), paris(2026, 6, 15, 10)) is None


def test_schedule_without_shifts_reopens_when_a_future_override_forces_it_open():
    override = Override(OverrideMode.OPEN, paris(2026, 6, 20, 8), paris(2026, 6, 20, 20), "Permanence")
    schedule = Schedule("Europe/Paris", overrides=(override,))
    assert status_at(schedule, paris(2026, 6, 15, 10)).changes_at == paris(2026, 6, 20, 8)
    during = status_at(schedule, paris(2026, 6, 20, 9))
    assert during.reason is Reason.OVERRIDE_OPEN and during.changes_at == paris(2026, 6, 20, 20)


def test_naive_now_is_rejected():
    with pytest.raises(ValueError):
        status_at(VICTIMES, datetime(2026, 6, 15, 10))


def test_naive_closure_is_rejected():
    closure = Closure(datetime(2026, 6, 15), datetime(2026, 6, 16), "Déménagement")
    with pytest.raises(ValueError):
        status_at(Schedule("Europe/Paris", closures=(closure,)), paris(2026, 6, 15, 10))


def test_shift_weekday_out_of_range_is_rejected():
    with pytest.raises(ValueError):
        status_at(Schedule("Europe/Paris", (Shift(7, time(9), time(17)),)), paris(2026, 6, 15, 10))


def test_next_opening_is_now_when_open_and_the_reopening_when_closed():
    assert next_opening(EVC, utc(2026, 6, 15, 10)) == brussels(2026, 6, 15, 12)
    assert next_opening(EVC, brussels(2026, 6, 13, 10)) == brussels(2026, 6, 15, 9)


# --- holidays -----------------------------------------------------------------------------------------


def test_line_closed_on_belgian_national_day_reopens_next_morning():
    status = status_at(EVC, brussels(2026, 7, 21, 10))
    assert not status.is_open
    assert status.reason is Reason.HOLIDAY and status.detail == "Fête nationale"
    assert status.holiday_date == date(2026, 7, 21)
    assert status.changes_at == brussels(2026, 7, 22, 9)


def test_closing_on_the_eve_of_belgian_national_day_skips_the_holiday():
    assert status_at(EVC, brussels(2026, 7, 20, 18)).changes_at == brussels(2026, 7, 20, 19)
    assert status_at(EVC, brussels(2026, 7, 20, 19)).changes_at == brussels(2026, 7, 22, 9)


def test_line_closed_on_belgian_whit_monday_reopens_tuesday():
    status = status_at(EVC, brussels(2026, 5, 25, 11))
    assert status.reason is Reason.HOLIDAY and status.detail == "Lundi de Pentecôte"
    assert status.changes_at == brussels(2026, 5, 26, 9)
    assert status_at(EVC, brussels(2026, 5, 22, 19)).changes_at == brussels(2026, 5, 26, 9)


@pytest.mark.parametrize(
    "day, name", [(date(2026, 12, 26), "Saint-Étienne"), (date(2026, 4, 3), "Vendredi saint")]
)
def test_alsace_moselle_closes_on_its_two_extra_holidays_while_the_rest_of_france_is_open(day, name):
    alsace = Schedule("Europe/Paris", every_day(9, 21), HolidayCalendar("FR", "6AE"))
    france = Schedule("Europe/Paris", every_day(9, 21), HolidayCalendar("FR"))
    noon = datetime.combine(day, time(12), PARIS)
    in_alsace = status_at(alsace, noon)
    assert not in_alsace.is_open and in_alsace.reason is Reason.HOLIDAY and in_alsace.detail == name
    assert in_alsace.changes_at == datetime.combine(day + timedelta(days=1), time(9), PARIS)
    assert status_at(france, noon).is_open


def test_holidays_that_do_not_close_leave_the_line_open():
    schedule = Schedule("Europe/Brussels", every_day(9, 19, range(5)), HolidayCalendar("BE", closes=False))
    status = status_at(schedule, brussels(2026, 7, 21, 10))
    assert status.is_open and status.reason is Reason.HOURS and status.holiday_date is None


def test_night_shift_crossing_into_a_holiday_is_cut_at_midnight():
    nights = (Shift(SUN, time(22), time(6)), Shift(MON, time(22), time(6)))
    night = Schedule("Europe/Paris", nights, HolidayCalendar("FR"))
    sunday_night = status_at(night, paris(2026, 4, 5, 23))  # Easter Monday follows
    assert sunday_night.is_open and sunday_night.changes_at == paris(2026, 4, 6, 0, 0)
    monday = status_at(night, paris(2026, 4, 6, 1))
    assert monday.reason is Reason.HOLIDAY and monday.detail == "Lundi de Pâques"
    # Monday's own night shift starts on the holiday; its Tuesday part opens when the holiday ends.
    assert monday.changes_at == paris(2026, 4, 7, 0, 0)
    assert status_at(night, paris(2026, 4, 7, 0, 30)).changes_at == paris(2026, 4, 7, 6)


def test_upcoming_holidays_lists_alsace_year_end_in_french_and_in_order():
    listed = upcoming_holidays(HolidayCalendar("FR", "6AE"), date(2026, 12, 1), days=40)
    assert listed == [
        (date(2026, 12, 25), "Noël"),
        (date(2026, 12, 26), "Saint-Étienne"),
        (date(2027, 1, 1), "Jour de l'an"),
    ]


def test_upcoming_holidays_covers_twelve_months_of_belgian_holidays():
    listed = upcoming_holidays(HolidayCalendar("BE"), date(2026, 7, 21))
    assert listed[0] == (date(2026, 7, 21), "Fête nationale")
    assert listed[-1][0] < date(2027, 7, 21) and (date(2027, 1, 1), "Nouvel An") in listed
    assert [day for day, _ in listed] == sorted(day for day, _ in listed)


def test_upcoming_holidays_falls_back_to_the_country_language_without_french():
    assert upcoming_holidays(HolidayCalendar("DE"), date(2026, 1, 1), days=1) == [(date(2026, 1, 1), "Neujahr")]


# --- closures -----------------------------------------------------------------------------------------


def test_closure_beats_shifts_and_reopens_when_it_ends():
    closure = Closure(paris(2026, 6, 16, 14), paris(2026, 6, 16, 16), "Formation de l'équipe")
    schedule = Schedule("Europe/Paris", every_day(9, 19, range(5)), closures=(closure,))
    assert status_at(schedule, paris(2026, 6, 16, 10)).changes_at == paris(2026, 6, 16, 14)
    status = status_at(schedule, paris(2026, 6, 16, 15))
    assert not status.is_open and status.reason is Reason.CLOSURE and status.detail == "Formation de l'équipe"
    assert status.changes_at == paris(2026, 6, 16, 16)


def test_overlapping_closures_act_as_one():
    closures = (
        Closure(paris(2026, 6, 16, 14), paris(2026, 6, 16, 16), "Formation"),
        Closure(utc(2026, 6, 16, 13), utc(2026, 6, 17, 8), "Déménagement"),  # 15:00 to 10:00 in Paris
    )
    schedule = Schedule("Europe/Paris", every_day(9, 19, range(5)), closures=closures)
    status = status_at(schedule, paris(2026, 6, 16, 14, 30))
    assert status.detail == "Formation" and status.changes_at == paris(2026, 6, 17, 10)
    assert status_at(schedule, paris(2026, 6, 16, 15, 30)).detail == "Déménagement"


def test_back_to_back_closures_reopen_only_after_the_second():
    closures = (
        Closure(paris(2026, 6, 16, 10), paris(2026, 6, 16, 12), "Réunion"),
        Closure(paris(2026, 6, 16, 12), paris(2026, 6, 16, 15), "Formation"),
    )
    schedule = Schedule("Europe/Paris", every_day(9, 19, range(5)), closures=closures)
    assert status_at(schedule, paris(2026, 6, 16, 11)).changes_at == paris(2026, 6, 16, 15)
    assert status_at(schedule, paris(2026, 6, 16, 9)).changes_at == paris(2026, 6, 16, 10)


def test_closure_over_a_weekend_changes_nothing_visible():
    closure = Closure(paris(2026, 6, 13), paris(2026, 6, 15), "Peinture")
    schedule = Schedule("Europe/Paris", every_day(9, 19, range(5)), closures=(closure,))
    assert status_at(schedule, paris(2026, 6, 12, 19)).changes_at == paris(2026, 6, 15, 9)


# --- overrides ----------------------------------------------------------------------------------------


def test_override_open_beats_the_belgian_national_day():
    override = Override(OverrideMode.OPEN, brussels(2026, 7, 21, 8), brussels(2026, 7, 21, 16), "Campagne")
    schedule = Schedule("Europe/Brussels", EVC.shifts, EVC.holidays, overrides=(override,))
    status = status_at(schedule, brussels(2026, 7, 21, 10))
    assert status.is_open and status.reason is Reason.OVERRIDE_OPEN and status.detail == "Campagne"
    assert status.changes_at == brussels(2026, 7, 21, 16)


def test_override_closed_until_next_change_ends_at_the_scheduled_closing():
    override = Override(OverrideMode.CLOSED, brussels(2026, 6, 15, 10), None, "Panne")
    schedule = Schedule("Europe/Brussels", EVC.shifts, EVC.holidays, overrides=(override,))
    status = status_at(schedule, brussels(2026, 6, 15, 18))
    assert status.reason is Reason.OVERRIDE_CLOSED and status.detail == "Panne"
    # The override ends at 19:00, when the line would have closed anyway: next flip is Tuesday 09:00.
    assert status.changes_at == brussels(2026, 6, 16, 9)
    assert status_at(schedule, brussels(2026, 6, 15, 19)).reason is Reason.OUTSIDE_HOURS


def test_override_open_until_next_change_bridges_to_the_scheduled_opening():
    override = Override(OverrideMode.OPEN, brussels(2026, 6, 15, 20), None, "Renfort de nuit")
    schedule = Schedule("Europe/Brussels", EVC.shifts, EVC.holidays, overrides=(override,))
    status = status_at(schedule, brussels(2026, 6, 15, 20))
    assert status.reason is Reason.OVERRIDE_OPEN and status.changes_at == brussels(2026, 6, 16, 19)
    assert status_at(schedule, brussels(2026, 6, 16, 9)).reason is Reason.HOURS


def test_expired_override_is_ignored():
    override = Override(OverrideMode.CLOSED, brussels(2026, 6, 14, 10), brussels(2026, 6, 15, 8), "Grève")
    schedule = Schedule("Europe/Brussels", EVC.shifts, EVC.holidays, overrides=(override,))
    status = status_at(schedule, brussels(2026, 6, 15, 10))
    assert status.is_open and status.reason is Reason.HOURS


def test_most_recently_started_override_wins():
    overrides = (
        Override(OverrideMode.CLOSED, brussels(2026, 6, 15, 8), brussels(2026, 6, 15, 18), "Grève"),
        Override(OverrideMode.OPEN, brussels(2026, 6, 15, 12), brussels(2026, 6, 15, 14), "Renfort"),
    )
    schedule = Schedule("Europe/Brussels", EVC.shifts, EVC.holidays, overrides=overrides)
    assert status_at(schedule, brussels(2026, 6, 15, 11)).changes_at == brussels(2026, 6, 15, 12)
    assert status_at(schedule, brussels(2026, 6, 15, 13)).reason is Reason.OVERRIDE_OPEN
    after = status_at(schedule, brussels(2026, 6, 15, 14))
    assert after.reason is Reason.OVERRIDE_CLOSED and after.changes_at == brussels(2026, 6, 15, 18)


def test_override_that_repeats_the_schedule_does_not_invent_a_flip():
    override = Override(OverrideMode.OPEN, brussels(2026, 6, 15, 10), brussels(2026, 6, 15, 12), "")
    schedule = Schedule("Europe/Brussels", EVC.shifts, EVC.holidays, overrides=(override,))
    assert status_at(schedule, brussels(2026, 6, 15, 11)).changes_at == brussels(2026, 6, 15, 19)


# --- daylight saving ----------------------------------------------------------------------------------


def test_spring_forward_shift_starting_in_the_gap_opens_at_3_00_local():
    schedule = Schedule("Europe/Paris", (Shift(SUN, time(2, 30), time(5)),))
    assert status_at(schedule, utc(2026, 3, 28, 23)).changes_at == utc(2026, 3, 29, 1, 0)  # 03:00 CEST
    assert not status_at(schedule, utc(2026, 3, 29, 0, 59, 59)).is_open
    status = status_at(schedule, utc(2026, 3, 29, 1, 0))
    assert status.is_open and status.changes_at == utc(2026, 3, 29, 3, 0)  # 05:00 CEST


def test_spring_forward_night_shift_is_one_hour_shorter():
    schedule = Schedule("Europe/Paris", (Shift(SUN, time(1), time(4)),))
    status = status_at(schedule, utc(2026, 3, 29, 0, 0))  # 01:00 CET
    assert status.is_open and status.changes_at == utc(2026, 3, 29, 2, 0)  # 04:00 CEST


def test_fall_back_night_shift_is_one_hour_longer():
    schedule = Schedule("Europe/Paris", (Shift(SUN, time(1), time(4)),))
    assert status_at(schedule, utc(2026, 10, 24, 22)).changes_at == utc(2026, 10, 24, 23, 0)  # 01:00 CEST
    status = status_at(schedule, utc(2026, 10, 24, 23, 0))
    assert status.is_open and status.changes_at == utc(2026, 10, 25, 3, 0)  # 04:00 CET, 4 real hours


def test_fall_back_ambiguous_start_uses_the_first_occurrence():
    schedule = Schedule("Europe/Paris", (Shift(SUN, time(2, 30), time(5)),))
    opening = status_at(schedule, utc(2026, 10, 24, 23)).changes_at
    # Python never finds an ambiguous local time equal to another zone's datetime: compare in UTC.
    assert opening.astimezone(UTC) == utc(2026, 10, 25, 0, 30) and opening.fold == 0  # 02:30 CEST
    assert status_at(schedule, utc(2026, 10, 25, 1, 15)).is_open  # the second 02:15, in CET


def test_wall_to_utc_resolves_gaps_and_folds():
    assert wall_to_utc(PARIS, date(2026, 3, 29), time(2, 30)) == utc(2026, 3, 29, 1)
    assert wall_to_utc(PARIS, date(2026, 10, 25), time(2, 30)) == utc(2026, 10, 25, 0, 30)
    assert wall_to_utc(PARIS, date(2026, 6, 15), time(9)) == utc(2026, 6, 15, 7)
