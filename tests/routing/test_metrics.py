"""Queue metrics: every figure on hand-made histories, local hours across DST, and `helpline queue stats`."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from routing.metrics import Event, QueueStats, Thresholds, queue_stats, stats_by_day, stats_by_hour

PARIS = ZoneInfo("Europe/Paris")
UTC = timezone.utc
T = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def history(caller: int, joined: datetime, *steps: tuple[str, int, int | None], pool: str = "p") -> list[Event]:
    """A caller's events: `joined`, then (kind, seconds after joining, wait_seconds) steps."""
    return [Event(joined, "joined", caller, None, pool)] + [
        Event(joined + timedelta(seconds=after), kind, caller, wait, pool) for kind, after, wait in steps]


def mixed_day() -> list[Event]:
    return [
        *history(1, T, ("offered", 5, 5), ("bridged", 20, 20), ("talk", 620, 600)),
        *history(2, T, ("offered", 10, 10), ("missed", 30, 30), ("offered", 31, 31), ("bridged", 90, 90),
                 ("talk", 390, 300)),
        *history(3, T, ("abandoned", 10, 10)),  # exactly the short-abandon threshold: short
        *history(4, T, ("abandoned", 11, 11)),
        *history(5, T, ("announced", 30, 30), ("abandoned", 45, 45)),
        *history(6, T, ("left_key", 30, 30)),
        *history(7, T, ("left_max_wait", 600, 600)),
        *history(8, T, ("moved_on", 15, 15)),
        *history(9, T, ("left", 0, 0)),
        *history(10, T, ("announced", 45, 45)),  # still waiting
        *history(11, T, ("bridged", 60, 60)),  # exactly the service-level threshold: within; no talk yet
    ]


def test_every_figure_of_a_mixed_day():
    stats = queue_stats(mixed_day())
    assert (stats.offered, stats.answered, stats.answered_within) == (11, 3, 2)
    assert (stats.abandoned, stats.short_abandons) == (3, 1)
    assert dict(stats.left_by_kind) == {"left_key": 1, "left_max_wait": 1, "moved_on": 1, "left": 1}
    assert stats.left == 4
    assert stats.waiting == 1
    assert stats.service_level == 2 / 3
    assert stats.service_level_with_abandons == 2 / (3 + 3 - 1)
    assert stats.abandon_rate == (3 - 1) / (11 - 1)
    assert stats.average_wait == (20 + 90 + 60) / 3
    assert stats.longest_wait == 90
    assert stats.average_abandon_wait == (10 + 11 + 45) / 3
    assert (stats.talks, stats.average_talk) == (2, (600 + 300) / 2)
    assert (stats.offers, stats.missed_offers, stats.miss_rate) == (3, 1, 1 / 3)


def test_no_callers_leave_every_rate_and_average_undefined():
    stats = queue_stats([])
    assert stats == QueueStats()
    assert stats.offered == stats.left == 0
    for figure in ("service_level", "service_level_with_abandons", "abandon_rate", "average_wait", "longest_wait",
                   "average_abandon_wait", "average_talk", "miss_rate"):
        assert getattr(stats, figure) is None, figure


def test_short_abandons_alone_define_no_abandon_rate_nor_service_level():
    stats = queue_stats(history(1, T, ("abandoned", 3, 3)) + history(2, T, ("abandoned", 9, 9)))
    assert (stats.offered, stats.abandoned, stats.short_abandons) == (2, 2, 2)
    assert stats.abandon_rate is None  # (2 − 2) / (2 − 2)
    assert stats.service_level is None and stats.service_level_with_abandons is None
    assert stats.average_abandon_wait == 6


def test_callers_who_only_left_have_no_service_level_but_an_abandon_rate_of_zero():
    stats = queue_stats(history(1, T, ("moved_on", 40, 40)) + history(2, T, ("left_key", 20, 20)))
    assert stats.service_level is None and stats.service_level_with_abandons is None
    assert stats.abandon_rate == 0.0
    assert stats.average_wait is None and stats.miss_rate is None


def test_a_missing_wait_is_the_time_since_joining():
    stats = queue_stats(history(1, T, ("bridged", 75, None)) + history(2, T, ("abandoned", 4, None)))
    assert stats.longest_wait == 75 and stats.answered_within == 0
    assert stats.short_abandons == 1


def test_first_outcome_counts_and_callers_without_joined_are_ignored():
    # The sweep records moved_on, then Twilio's Enqueue action reports the hang-up: one caller, one outcome.
    events = history(1, T, ("moved_on", 50, 50), ("abandoned", 55, 55)) + [
        Event(T, "bridged", 99, 5, "p"), Event(T, "offered", 99, 0, "p")]
    stats = queue_stats(events)
    assert (stats.offered, stats.left, stats.abandoned, stats.answered, stats.offers) == (1, 1, 0, 0, 0)


def test_events_given_out_of_order_are_sorted_by_time():
    events = list(reversed(history(1, T, ("abandoned", 30, None), ("moved_on", 40, None))))
    stats = queue_stats(events)
    assert (stats.abandoned, stats.average_abandon_wait) == (1, 30)


def test_each_caller_is_judged_by_its_own_pools_thresholds():
    events = (history(1, T, ("bridged", 45, 45), pool="strict") + history(2, T, ("bridged", 45, 45), pool="p")
              + history(3, T, ("abandoned", 7, 7), pool="strict") + history(4, T, ("abandoned", 7, 7), pool="p"))
    stats = queue_stats(events, Thresholds(60, 10), per_pool={"strict": Thresholds(30, 5)})
    assert (stats.answered, stats.answered_within) == (2, 1)
    assert (stats.abandoned, stats.short_abandons) == (2, 1)
    assert stats.service_level_with_abandons == 1 / (2 + 2 - 1)


def test_a_caller_counts_in_the_local_hour_it_joined_not_the_hour_it_was_answered():
    joined = datetime(2026, 11, 24, 9, 59, 30, tzinfo=PARIS)
    hours = stats_by_hour(history(1, joined, ("bridged", 61, 61), ("talk", 400, 339)), PARIS)
    assert sorted(hours) == list(range(24))
    assert (hours[9].offered, hours[9].answered, hours[9].talks) == (1, 1, 1)
    assert hours[10] == QueueStats()
    assert hours[8].service_level is None


def test_both_two_oclock_hours_count_as_hour_2_when_paris_clocks_go_back():
    # 25 October 2026: 03:00 CEST becomes 02:00 CET, so 00:30 and 01:30 UTC are both 02:30 in Paris.
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    second = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    events = history(1, first, ("bridged", 30, 30)) + history(2, second, ("abandoned", 100, 100))
    hours = stats_by_hour(events, PARIS)
    assert (hours[2].offered, hours[2].answered, hours[2].abandoned) == (2, 1, 1)
    assert hours[2].abandon_rate == 0.5
    assert hours[1].offered == hours[3].offered == 0


def test_hour_2_stays_empty_when_paris_clocks_go_forward():
    # 29 March 2026: 02:00 CET becomes 03:00 CEST; 00:59 UTC is 01:59 and 01:00 UTC is 03:00 in Paris.
    events = (history(1, datetime(2026, 3, 29, 0, 59, tzinfo=UTC), ("bridged", 10, 10))
              + history(2, datetime(2026, 3, 29, 1, 0, tzinfo=UTC), ("bridged", 70, 70)))
    hours = stats_by_hour(events, PARIS)
    assert (hours[1].offered, hours[1].service_level) == (1, 1.0)
    assert hours[2].offered == 0
    assert (hours[3].offered, hours[3].service_level) == (1, 0.0)


def test_days_follow_paris_midnight_on_the_25_hour_day():
    # The local day of 25 October 2026 runs from 22:00 UTC on the 24th to 23:00 UTC on the 25th.
    events = (history(1, datetime(2026, 10, 24, 21, 59, tzinfo=UTC), ("bridged", 5, 5))
              + history(2, datetime(2026, 10, 24, 22, 0, tzinfo=UTC), ("bridged", 5, 5))
              + history(3, datetime(2026, 10, 25, 22, 59, tzinfo=UTC), ("abandoned", 120, 120))
              + history(4, datetime(2026, 10, 25, 23, 0, tzinfo=UTC), ("left", 1, 1)))
    days = stats_by_day(events, PARIS)
    assert list(days) == [date(2026, 10, 24), date(2026, 10, 25), date(2026, 10, 26)]
    assert [d.offered for d in days.values()] == [1, 2, 1]
    assert (days[date(2026, 10, 25)].answered, days[date(2026, 10, 25)].abandoned) == (1, 1)


# --- read from the database and printed by `helpline queue stats` ------------------------------------------


def store_callers(app, *callers: tuple[str, str, datetime, tuple]) -> None:
    """Insert (line slug, pool, joined at, steps) callers as the engine records them: QueuedCaller + QueueEvents."""
    from sqlalchemy import select

    from store.dispatch import record_event
    from store.extension import database
    from store.models import LineRow, QueuedCaller

    with app.app_context(), database.session() as session:
        for number, (slug, pool, joined, steps) in enumerate(callers):
            line_id = session.scalar(select(LineRow.id).where(LineRow.slug == slug))
            caller = QueuedCaller(call_sid=f"CA{number:032d}", line_id=line_id, pool=pool, enqueued_at=joined)
            session.add(caller)
            session.flush()
            record_event(session, caller, pool, joined, "joined")
            for kind, after, wait in steps:
                record_event(session, caller, pool, joined + timedelta(seconds=after), kind, None, wait)
        session.commit()


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


NOVEMBER = [
    # joined before the period: left out, though answered inside it
    ("france-victimes", "france-victimes", paris(2026, 10, 31, 23, 59, 50), (("bridged", 20, 20),)),
    # joined at the first instant: in
    ("france-victimes", "france-victimes", paris(2026, 11, 1, 0, 0), (("offered", 2, 2), ("bridged", 30, 30),
                                                                    ("talk", 630, 600))),
    ("france-victimes", "france-victimes", paris(2026, 11, 12, 9, 15), (("offered", 40, 40), ("missed", 60, 60),
                                                                      ("bridged", 130, 130))),
    ("france-victimes", "france-victimes", paris(2026, 11, 12, 9, 40), (("abandoned", 5, 5),)),
    ("france-victimes", "france-victimes", paris(2026, 11, 12, 14, 0), (("abandoned", 200, 200),)),
    ("france-victimes", "france-victimes", paris(2026, 11, 20, 14, 30), (("left_key", 50, 50),)),
    # joined just before the end, answered after it: in, with its answer
    ("france-victimes", "france-victimes", paris(2026, 11, 30, 23, 59, 30), (("bridged", 45, 45),)),
    # joined at the end: out
    ("france-victimes", "france-victimes", paris(2026, 12, 1, 0, 0), (("abandoned", 30, 30),)),
    # another line and pool
    ("un-premier-pas", "un-premier-pas", paris(2026, 11, 12, 10, 0), (("moved_on", 15, 15),)),
]


def test_queue_stats_takes_callers_who_joined_in_the_period_with_all_their_events(app):
    from store.extension import database, directory
    from store.metrics import queue_stats as stored_stats, queue_stats_by_day, queue_stats_by_hour

    store_callers(app, *NOVEMBER)
    with app.app_context(), database.session() as session:
        snapshot = directory.get(session, paris(2026, 12, 2, 9, 0))
        start, end = paris(2026, 11, 1, 0, 0), paris(2026, 12, 1, 0, 0)
        pool = stored_stats(session, start, end, snapshot, pool="france-victimes")
        line = stored_stats(session, start, end, snapshot, line_slug="france-victimes")
        everything = stored_stats(session, start, end, snapshot)
        hours = queue_stats_by_hour(session, start, end, PARIS, snapshot, pool="france-victimes")
        days = queue_stats_by_day(session, start, end, PARIS, snapshot, line_slug="un-premier-pas")
    assert pool == line
    assert (pool.offered, pool.answered, pool.answered_within, pool.abandoned, pool.short_abandons) == (6, 3, 2, 2, 1)
    assert (pool.left, pool.left_by_kind["left_key"], pool.waiting) == (1, 1, 0)
    assert pool.average_wait == (30 + 130 + 45) / 3 and pool.longest_wait == 130
    assert pool.service_level_with_abandons == 2 / (3 + 2 - 1)
    assert pool.abandon_rate == 1 / 5
    assert (pool.average_talk, pool.offers, pool.missed_offers) == (600, 2, 1)
    assert (everything.offered, everything.left_by_kind["moved_on"]) == (7, 1)
    assert [hours[h].offered for h in (0, 9, 14, 23)] == [1, 2, 2, 1]
    assert sum(h.offered for h in hours.values()) == 6
    assert list(days) == [date(2026, 11, 12)] and days[date(2026, 11, 12)].left == 1


def invoke(app, *args):
    from app import cli

    return app.test_cli_runner().invoke(cli, list(args))


def test_cli_prints_labelled_figures_for_a_pool(app):
    store_callers(app, *NOVEMBER)
    result = invoke(app, "queue", "stats", "--pool", "france-victimes", "--from", "2026-11-01", "--to", "2026-12-01")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "pool france-victimes: callers who joined from 2026-11-01 to 2026-11-30 included (Europe/Paris)" in out
    lines = {line[:38].strip(): line[38:].strip() for line in out.splitlines()[1:] if line.strip()}
    assert lines["Callers who joined"] == "6"
    assert lines["within 60 s"] == "2"
    assert lines["short, within 10 s"] == "1"
    assert lines["by key (callback request)"] == "1"
    assert lines["Service level (60 s)"] == "66.7%"
    assert lines["Service level counting abandons"] == "50.0%"
    assert lines["Abandon rate (short ones excluded)"] == "20.0%"
    assert lines["Average wait, answered (m:ss)"] == "1:08"  # 205 s / 3
    assert lines["Longest wait, answered (m:ss)"] == "2:10"
    assert lines["Average talk (m:ss)"] == "10:00"
    assert lines["Missed offers"] == "1 (50.0%)"


def test_cli_by_hour_and_by_day_use_the_lines_timezone(app):
    store_callers(app, *NOVEMBER)
    result = invoke(app, "queue", "stats", "--line", "france-victimes", "--from", "2026-11-12", "--to", "2026-11-13",
                    "--by-hour", "--by-day")
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split()[1:] for line in result.output.splitlines() if line[:2].isdigit()}
    assert rows["2026-11-12"][:5] == ["3", "1", "2", "1", "0"]
    assert rows["09:00"] == ["2", "1", "1", "1", "0", "0.0%", "0.0%", "0.0%", "2:10"]
    assert rows["14:00"] == ["1", "0", "1", "0", "0", "—", "0.0%", "100.0%", "—"]  # 0 answered of 1 counted
    assert rows["03:00"] == ["0", "0", "0", "0", "0", "—", "—", "—", "—"]
    assert len([r for r in rows if r.endswith(":00")]) == 24


def test_cli_prints_dashes_when_nobody_called(app):
    result = invoke(app, "queue", "stats", "--from", "2026-11-01", "--to", "2026-12-01", "--tz", "Europe/Brussels")
    assert result.exit_code == 0, result.output
    assert "all queues" in result.output and "(Europe/Brussels)" in result.output
    assert "Service level (60 s)" in result.output
    lines = {line[:38].strip(): line[38:].strip() for line in result.output.splitlines()[1:]}
    assert lines["Callers who joined"] == "0"
    assert lines["Abandon rate (short ones excluded)"] == "—"
    assert lines["Longest wait, answered (m:ss)"] == "—"
    assert lines["Missed offers"] == "0 (—)"
    # France and Belgium are both shipped: without --tz nor a line, days are UTC days, and the header says so.
    result = invoke(app, "queue", "stats", "--from", "2026-11-01", "--to", "2026-12-01")
    assert "(UTC: the lines' timezones differ, give --tz)" in result.output


def test_cli_refuses_confusing_requests(app):
    both = invoke(app, "queue", "stats", "--pool", "france-victimes", "--line", "france-victimes")
    assert both.exit_code == 2 and "not both" in both.output
    unknown = invoke(app, "queue", "stats", "--line", "nowhere")
    assert unknown.exit_code == 2 and "no line 'nowhere'" in unknown.output
    backwards = invoke(app, "queue", "stats", "--from", "2026-12-01", "--to", "2026-11-01")
    assert backwards.exit_code == 2 and "--to must be after --from" in backwards.output
    zone = invoke(app, "queue", "stats", "--tz", "Mars/Olympus")
    assert zone.exit_code == 2 and "unknown timezone" in zone.output
