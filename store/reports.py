"""Reports over a period: a line's or centre's calls and queue figures, counted by the database, and staffing."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from routing.coverage import SlotCoverage, SlotDemand, WeeklyWindow, coverage, week_minutes
from routing.metrics import QueueStats, Thresholds
from routing.model import Centre, Line
from routing.queueing import DEFAULT_HANDLE_SECONDS
from routing.traffic import weekday_occurrences
from store.models import Call, CallEvent, Listener, ListenerPool, ListenerShift
from store.report_conversation import ConversationFigures, TransferFigures, conversation_figures, transfers_to
from store.report_queue import queue_figures
from store.report_traffic import TrafficCounts, count_traffic
from store.snapshot import Snapshot

@dataclass(frozen=True)
class Period:
    """Local days [first, last] in a time zone; queries use the UTC instants of their midnights."""

    first: date
    last: date
    timezone: str

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def start(self) -> datetime:
        return local_midnight(self.first, self.zone)

    @property
    def end(self) -> datetime:
        return local_midnight(self.last + timedelta(days=1), self.zone)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


@dataclass(frozen=True)
class TrafficReport:
    """What a line's or a centre's calls over the period show."""

    period: Period
    calls: int
    heatmap: list[list[int]]
    outcomes: dict[str, int]
    forwards: dict[str, int]
    closed: dict[str, int]
    after_hours_email: int | None  # None: the line gives no email address (or a centre)
    callers: dict[str, int]
    # A centre's report: the transfers listeners made to it from any line (issue 14 §4).
    transfers_in: list[TransferFigures] = field(default_factory=list)


@dataclass(frozen=True)
class LineReport:
    traffic: TrafficReport
    queue: QueueStats
    queue_by_hour: dict[int, QueueStats]
    thresholds: Thresholds
    target_level: float
    wrapup_seconds: int
    slots: list[SlotCoverage]
    # What happened during its conversations: hold, binômes, supervisors, transfers, difficult calls (issue 14 §4).
    conversation: ConversationFigures = field(default_factory=ConversationFigures)


def line_where(line_id: int, period: Period) -> list:
    return [Call.line_id == line_id, Call.started_at >= period.start, Call.started_at < period.end]


def centre_where(centre_slug: str, period: Period) -> list:
    """Calls a national line handed to the centre (its "handoff" step names the centre)."""
    pattern = "centre " + centre_slug.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + ",%"
    handed = select(CallEvent.call_id).where(CallEvent.kind == "handoff",
                                             CallEvent.detail.like(pattern, escape="\\"))
    return [Call.id.in_(handed), Call.started_at >= period.start, Call.started_at < period.end]


def _traffic(counts: TrafficCounts, period: Period) -> TrafficReport:
    return TrafficReport(period, counts.calls, counts.heatmap, counts.outcomes, counts.forwards, counts.closed,
                         counts.after_hours_email, counts.callers)


# The webhooks' 4 s statement timeout (store/db.py) would cut a yearly report short on a busy server; the
# console's pool (gunicorn_console.conf.py) waits 30 s. Memory for the sorts and hashes of a year of rows.
REPORT_STATEMENT_MS = 25_000
REPORT_WORK_MEM = "64MB"
# One report counted at a time by the whole console (every worker, every host): a yearly report keeps a
# PostgreSQL backend busy on one core for its whole run, and PostgreSQL has no priority to give the webhooks'
# backends. Ten coordinators asking at once wait in turn (each report takes about a second) instead of taking
# every core from the callers. The key is this engine's own, in PostgreSQL's advisory-lock space.
REPORTS_ONE_AT_A_TIME_KEY = 1_703_017
REPORT_PARALLEL_WORKERS = 0  # parallel query workers a report may use beside its own backend
# A report waits this long for its turn, then the coordinator is told to try again (console/reports): under the
# console's proxy's 35 s, so that a queue of reports ends in words, not in the proxy's 504.
REPORT_TURN_WAIT_MS = 20_000
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE for a lock_timeout reached


class ReportsBusy(Exception):
    """Other reports were being counted for longer than REPORT_TURN_WAIT_MS: this one was not started."""


def _for_reports(session: Session) -> None:
    """Within the report's transaction only (SET LOCAL), on PostgreSQL."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL statement_timeout = {REPORT_STATEMENT_MS}"))
        session.execute(text(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'"))
        # The planner's cost estimates for a year of rows turn JIT compilation on: it took 1–2 s a query,
        # more than the query itself.
        session.execute(text("SET LOCAL jit = off"))
        # No parallel workers: with PostgreSQL's default (2 a Gather) one report's scans took all of a 2-core
        # machine's cores while the webhooks' backends waited. One report, one core (the advisory lock below).
        session.execute(text(f"SET LOCAL max_parallel_workers_per_gather = {REPORT_PARALLEL_WORKERS}"))
        # Held until the report's transaction ends (the page's read-only session); waited for REPORT_TURN_WAIT_MS.
        session.execute(text(f"SET LOCAL lock_timeout = {REPORT_TURN_WAIT_MS}"))
        try:
            session.execute(text(f"SELECT pg_advisory_xact_lock({REPORTS_ONE_AT_A_TIME_KEY})"))
        except OperationalError as error:
            if getattr(error.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE:
                raise ReportsBusy() from error
            raise
        session.execute(text("SET LOCAL lock_timeout = 0"))


def centre_report(session: Session, centre: Centre, period: Period) -> TrafficReport:
    _for_reports(session)
    traffic = _traffic(count_traffic(session, centre_where(centre.slug, period), period, None), period)
    return replace(traffic, transfers_in=transfers_to(session, f"centre:{centre.slug}", period.start, period.end))


def line_report(session: Session, snapshot: Snapshot, line: Line, pools: list[str], period: Period,
                target_level: float, now: datetime) -> LineReport:
    _for_reports(session)
    line_id = snapshot.line_ids[line.slug]
    counts = count_traffic(session, line_where(line_id, period), period, bool(line.after_hours_email), line_id)
    thresholds = Thresholds(line.queue.service_level_seconds, line.queue.short_abandon_seconds)
    wrapup = line.queue.wrapup_seconds(None)
    queue = queue_figures(session, snapshot, line_id, period.start, period.end, period.zone, thresholds)
    demand = _demand(counts.wanted, queue.by_slot, period, queue.overall, wrapup)
    shift_offset = _offsets(session, pools, line.schedule.timezone, now)
    slots = coverage(
        week_minutes(WeeklyWindow(s.weekday, s.start, s.end) for s in line.schedule.shifts),
        [week_minutes(windows, offset) for windows, offset in shift_offset],
        demand, thresholds.service_level_seconds, target_level)
    return LineReport(_traffic(counts, period), queue.overall, queue.by_hour, thresholds, target_level, wrapup, slots,
                      conversation_figures(session, line_where(line_id, period)))


def _demand(wanted: dict[tuple[int, int], int], by_slot: dict[tuple[int, int], QueueStats], period: Period,
            overall: QueueStats, wrapup: int) -> list[SlotDemand]:
    """Per weekday-hour: calls wanting a listener while open, and the handle time (talk + wrap-up) seen there."""
    occurrences = weekday_occurrences(period.first, period.last + timedelta(days=1))
    demand = []
    for (weekday, hour), count in wanted.items():
        talk = by_slot.get((weekday, hour), QueueStats()).average_talk
        source = "slot"
        if talk is None:
            talk, source = overall.average_talk, "period"
        if talk is None:
            talk, source = DEFAULT_HANDLE_SECONDS, "default"
        demand.append(SlotDemand(weekday, hour, count, occurrences[weekday], talk + wrapup, source))
    return demand


def _offsets(session: Session, pools: list[str], line_zone: str, now: datetime):
    """Each active listener of the pools: their weekly shifts, moved into the line's time zone if need be.

    A shift written in another zone is moved by the zones' difference at ``now`` (a typical week, not dated).
    """
    listener_ids = select(ListenerPool.listener_id).where(ListenerPool.pool.in_(pools))
    rows = session.execute(
        select(ListenerShift.listener_id, ListenerShift.weekday, ListenerShift.starts, ListenerShift.ends,
               ListenerShift.timezone)
        .join(Listener, Listener.id == ListenerShift.listener_id)
        .where(Listener.active.is_(True), ListenerShift.listener_id.in_(listener_ids))
        .order_by(ListenerShift.listener_id, ListenerShift.weekday, ListenerShift.starts))
    by_listener: dict[int, list[tuple[WeeklyWindow, int]]] = {}
    line_offset = now.astimezone(ZoneInfo(line_zone)).utcoffset()
    for listener_id, weekday, starts, ends, zone in rows:
        difference = line_offset - now.astimezone(ZoneInfo(zone)).utcoffset()
        by_listener.setdefault(listener_id, []).append(
            (WeeklyWindow(weekday, starts, ends), int(difference.total_seconds() // 60)))
    # One listener's shifts share a zone in practice; the first shift's offset moves them all.
    return [([w for w, _ in shifts], shifts[0][1]) for shifts in by_listener.values()]

