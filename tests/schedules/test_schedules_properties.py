"""Opening hours, properties: for random schedules and instants, `changes_at` really is the next flip."""

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
)
from schedules.holiday_calendar import holiday_name
from schedules.hours import HORIZON
from schedules.weekly import wall_to_utc

UTC = timezone.utc
ONE_MICROSECOND = timedelta(microseconds=1)
TIMEZONES = ["Europe/Paris", "Europe/Brussels", "Indian/Reunion", "America/Guadeloupe", "Pacific/Noumea"]
CALENDARS = [
    None,
    HolidayCalendar("FR"),
    HolidayCalendar("FR", "6AE"),
    HolidayCalendar("FR", "974"),
    HolidayCalendar("BE"),
    HolidayCalendar("BE", closes=False),
]
PROPERTY_SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _last_sunday_1am_utc(year: int, month: int) -> datetime:
    last = date(year, month + 1, 1) - timedelta(days=1)
    return datetime.combine(last - timedelta(days=(last.weekday() + 1) % 7), time(1), UTC)


# European DST changes happen at 01:00 UTC on the last Sundays of March and October.
ANCHORS = (
    [_last_sunday_1am_utc(year, month) for year in range(2025, 2031) for month in (3, 10)]
    + [datetime(year, 12, 31, 23, tzinfo=UTC) for year in range(2025, 2031)]
    + [datetime(year, 12, 31, 12, tzinfo=UTC) for year in range(2025, 2031)]  # New Year in Nouméa
)

clock_times = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))
shifts = st.lists(st.builds(Shift, st.integers(0, 6), clock_times, clock_times), max_size=6).map(tuple)
instants = st.one_of(
    st.builds(
        lambda anchor, minutes: anchor + timedelta(minutes=minutes),
        st.sampled_from(ANCHORS),
        st.integers(-4320, 4320),  # three days either side
    ),
    st.datetimes(datetime(2025, 1, 1), datetime(2030, 12, 31)).map(lambda naive: naive.replace(tzinfo=UTC)),
)
hours_around = st.integers(-96, 96).map(lambda hours: timedelta(hours=hours))
durations = st.integers(1, 120).map(lambda hours: timedelta(hours=hours))


@st.composite
def schedules_and_instants(draw):
    now = draw(instants)
    closures = tuple(
        Closure(now + start, now + start + length, f"fermeture {n}")
        for n, (start, length) in enumerate(draw(st.lists(st.tuples(hours_around, durations), max_size=3)))
    )
    forcing = st.tuples(st.sampled_from(OverrideMode), hours_around, st.none() | durations)
    forcings = draw(st.lists(forcing, max_size=2))
    overrides = tuple(
        Override(mode, now + start, None if length is None else now + start + length, f"forçage {n}")
        for n, (mode, start, length) in enumerate(forcings)
    )
    schedule = Schedule(
        draw(st.sampled_from(TIMEZONES)), draw(shifts), draw(st.sampled_from(CALENDARS)), closures, overrides
    )
    return schedule, now


def _instants_inside(start: datetime, end: datetime, count: int = 6) -> list[datetime]:
    # In UTC: arithmetic on local wall times is wrong across the repeated hour of a DST change.
    start, end = start.astimezone(timezone.utc), end.astimezone(timezone.utc)
    step = (end - start) / count
    return [start + step * n for n in range(count)] + [end - ONE_MICROSECOND]


def _open_by_definition(schedule: Schedule, instant: datetime) -> bool:
    """Closures, holidays and shifts evaluated straight from their definitions, shift by shift."""
    if any(c.starts_at <= instant < c.ends_at for c in schedule.closures):
        return False
    zone = ZoneInfo(schedule.timezone)
    today = instant.astimezone(zone).date()
    calendar = schedule.holidays
    if calendar is not None and calendar.closes and holiday_name(calendar, today) is not None:
        return False
    midnight = wall_to_utc(zone, today, time(0))
    for shift in schedule.shifts:
        for day in (today - timedelta(days=1), today):
            if day.weekday() != shift.weekday:
                continue
            opens = max(wall_to_utc(zone, day, shift.start), midnight)
            closes = wall_to_utc(zone, day + timedelta(days=shift.crosses_midnight), shift.end)
            if opens <= instant < closes:
                return True
    return False


@PROPERTY_SETTINGS
@given(schedules_and_instants())
def test_status_holds_until_changes_at_and_flips_there(case):
    schedule, now = case
    status = status_at(schedule, now)
    end = status.changes_at if status.changes_at is not None else now + HORIZON
    assert end > now
    for instant in _instants_inside(now, end):
        assert status_at(schedule, instant).is_open == status.is_open, instant
    if status.changes_at is not None:
        assert status_at(schedule, status.changes_at).is_open != status.is_open


@PROPERTY_SETTINGS
@given(schedules_and_instants())
def test_next_opening_is_open_or_none(case):
    schedule, now = case
    opening = next_opening(schedule, now)
    if opening is not None:
        assert opening >= now
        assert status_at(schedule, opening).is_open


@PROPERTY_SETTINGS
@given(schedules_and_instants(), st.sampled_from(TIMEZONES + ["UTC", "America/New_York"]))
def test_answer_does_not_depend_on_the_timezone_of_now(case, other_zone):
    schedule, now = case
    in_utc = status_at(schedule, now)
    elsewhere = status_at(schedule, now.astimezone(ZoneInfo(other_zone)))
    assert (in_utc.is_open, in_utc.reason, in_utc.detail, in_utc.holiday_date) == (
        elsewhere.is_open,
        elsewhere.reason,
        elsewhere.detail,
        elsewhere.holiday_date,
    )
    assert in_utc.at.utcoffset() == elsewhere.at.utcoffset()
    assert in_utc.at.timestamp() == elsewhere.at.timestamp()
    same_change = (in_utc.changes_at is None and elsewhere.changes_at is None) or (
        in_utc.changes_at.timestamp() == elsewhere.changes_at.timestamp()
    )
    assert same_change


@PROPERTY_SETTINGS
@given(schedules_and_instants())
def test_without_overrides_status_matches_the_definition_shift_by_shift(case):
    schedule, now = case
    schedule = Schedule(schedule.timezone, schedule.shifts, schedule.holidays, schedule.closures)
    status = status_at(schedule, now)
    assert status.is_open == _open_by_definition(schedule, now)
    if status.changes_at is not None:
        assert _open_by_definition(schedule, status.changes_at) != status.is_open


@PROPERTY_SETTINGS
@given(schedules_and_instants(), st.sampled_from(OverrideMode))
def test_override_until_next_change_ends_when_the_plain_schedule_flips(case, mode):
    schedule, now = case
    plain = Schedule(schedule.timezone, schedule.shifts, schedule.holidays, schedule.closures)
    scheduled_change = status_at(plain, now).changes_at
    override = Override(mode, now, None)
    forced = Schedule(plain.timezone, plain.shifts, plain.holidays, plain.closures, (override,))
    expected = Reason.OVERRIDE_OPEN if mode is OverrideMode.OPEN else Reason.OVERRIDE_CLOSED
    assert status_at(forced, now).reason is expected
    if scheduled_change is None:
        assert status_at(forced, now.astimezone(timezone.utc) + HORIZON - ONE_MICROSECOND).reason is expected
    else:
        assert status_at(forced, scheduled_change.astimezone(timezone.utc) - ONE_MICROSECOND).reason is expected
        assert status_at(forced, scheduled_change).reason not in (Reason.OVERRIDE_OPEN, Reason.OVERRIDE_CLOSED)
