"""A report's figures as labelled tables: the one source the page's tables, its charts and the CSV files share
(the conversations' figures of issue 14 §4 too: hold, binômes, supervisors, difficult calls, transfers by target)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from console.texts import WEEKDAYS, current_language, t
from routing.metrics import QueueStats
from store.report_conversation import SUPERVISE_MODES, ConversationFigures, TransferFigures
from store.reports import LineReport, TrafficReport

# How a column's raw values are written: whole numbers, percentages (0–1 kept raw), seconds, text.
INT, PERCENT, SECONDS, DECIMAL, TEXT = "int", "percent", "seconds", "decimal", "text"


@dataclass(frozen=True)
class Column:
    label: str
    kind: str = INT


@dataclass
class Table:
    key: str  # also the CSV file's name and the chart's, when it has one
    caption: str
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)
    chart: bool = False
    notes: list[str] = field(default_factory=list)  # what each figure counts, under the table


def weekday_names() -> tuple[str, ...]:
    return WEEKDAYS[current_language()]


def _share(count: int, total: int) -> float | None:
    return count / total if total else None


def summary_table(report: LineReport) -> Table:
    queue, limits = report.queue, report.thresholds
    rows = [
        [t("reports.calls"), report.traffic.calls, INT],
        [t("reports.queued"), queue.offered, INT],
        [t("reports.answered"), queue.answered, INT],
        [t("reports.answered_within", seconds=limits.service_level_seconds), queue.answered_within, INT],
        [t("reports.abandoned"), queue.abandoned, INT],
        [t("reports.service_level", seconds=limits.service_level_seconds), queue.service_level, PERCENT],
        [t("reports.service_level_abandons"), queue.service_level_with_abandons, PERCENT],
        [t("reports.abandon_rate", seconds=limits.short_abandon_seconds), queue.abandon_rate, PERCENT],
        [t("reports.average_wait"), queue.average_wait, SECONDS],
        [t("reports.average_talk"), queue.average_talk, SECONDS],
    ]
    # A summary mixes kinds: each row carries its own, the CSV and the page format it alike.
    notes = [t("reports.note.queued"), t("reports.note.service_level", seconds=limits.service_level_seconds),
             t("reports.note.service_level_abandons"),
             t("reports.note.abandon_rate", seconds=limits.short_abandon_seconds), t("reports.note.durations")]
    return Table("summary", t("reports.summary"), [Column(t("reports.metric"), TEXT), Column(t("reports.value"))],
                 [[label, (value, kind)] for label, value, kind in rows], notes=notes)


def heatmap_table(traffic: TrafficReport) -> Table:
    columns = [Column(t("reports.weekday"), TEXT)] + [Column(f"{hour:02d}h") for hour in range(24)]
    columns.append(Column(t("reports.total")))
    rows = [[name] + counts + [sum(counts)] for name, counts in zip(weekday_names(), traffic.heatmap)]
    return Table("heatmap", t("reports.heatmap"), columns, rows, chart=True)


def outcomes_table(traffic: TrafficReport) -> Table:
    columns = [Column(t("reports.outcome"), TEXT), Column(t("reports.count")), Column(t("reports.share"), PERCENT)]
    rows = [[t(f"outcome.{group}"), count, _share(count, traffic.calls)] for group, count in traffic.outcomes.items()]
    return Table("outcomes", t("reports.outcomes"), columns, rows, chart=True)


def closed_table(traffic: TrafficReport) -> Table:
    columns = [Column(t("reports.reason"), TEXT), Column(t("reports.count")), Column(t("reports.share"), PERCENT)]
    rows = [[t(f"closed.{reason}"), count, _share(count, traffic.calls)] for reason, count in traffic.closed.items()]
    if traffic.after_hours_email is not None:
        rows.append([t("reports.after_hours_email"), traffic.after_hours_email,
                     _share(traffic.after_hours_email, traffic.calls)])
    return Table("closed", t("reports.closed"), columns, rows)


def forwards_table(traffic: TrafficReport) -> Table:
    """Targets as the line's rules name them ("107", "l'équipe d'écoute"), the words of the routing record."""
    columns = [Column(t("reports.target_name"), TEXT), Column(t("reports.count"))]
    return Table("forwards", t("reports.forwards"), columns,
                 [[target, count] for target, count in traffic.forwards.items()])


def callers_table(traffic: TrafficReport) -> Table:
    columns = [Column(t("reports.caller_kind"), TEXT), Column(t("reports.count")),
               Column(t("reports.share"), PERCENT)]
    rows = [[t(f"caller.{kind}"), count, _share(count, traffic.calls)] for kind, count in traffic.callers.items()]
    return Table("callers", t("reports.callers"), columns, rows, chart=True)


def service_table(report: LineReport) -> Table:
    seconds = report.thresholds.service_level_seconds
    columns = [Column(t("reports.hour"), TEXT), Column(t("reports.joined")), Column(t("reports.answered")),
               Column(t("reports.answered_within", seconds=seconds)), Column(t("reports.abandoned")),
               Column(t("reports.service_level", seconds=seconds), PERCENT),
               Column(t("reports.abandon_rate", seconds=report.thresholds.short_abandon_seconds), PERCENT)]
    rows = [_service_row(f"{hour:02d}h", stats) for hour, stats in report.queue_by_hour.items() if stats.offered]
    return Table("service", t("reports.service_by_hour"), columns, rows, chart=True,
                 notes=[t("reports.note.service_level", seconds=seconds),
                        t("reports.note.abandon_rate", seconds=report.thresholds.short_abandon_seconds)])


def _service_row(label: str, stats: QueueStats) -> list[Any]:
    return [label, stats.offered, stats.answered, stats.answered_within, stats.abandoned, stats.service_level,
            stats.abandon_rate]


def coverage_table(report: LineReport) -> Table:
    columns = [Column(t("reports.weekday"), TEXT), Column(t("reports.hour"), TEXT), Column(t("reports.open_minutes")),
               Column(t("reports.scheduled")), Column(t("reports.calls_per_hour"), DECIMAL),
               Column(t("reports.handle"), SECONDS), Column(t("reports.handle_source"), TEXT),
               Column(t("reports.advised")), Column(t("reports.expected"), PERCENT), Column(t("reports.gap"), TEXT)]
    names = weekday_names()
    rows = []
    for slot in report.slots:
        if not slot.is_open and slot.calls_per_hour == 0:
            continue
        demand = slot.calls_per_hour > 0
        rows.append([names[slot.weekday], f"{slot.hour:02d}h", slot.open_minutes, slot.scheduled,
                     slot.calls_per_hour, slot.handle_seconds if demand else None,
                     t(f"handle.{slot.handle_source}") if demand else "", slot.advice.listeners,
                     slot.advice.service_level if demand else None, t(f"gap.{slot.gap or 'none'}")])
    notes = [t("reports.note.chart_cells"), t("reports.note.open_minutes"), t("reports.note.scheduled"),
             t("reports.note.advised"), t("reports.note.handle"), t("reports.note.gap")]
    return Table("coverage", t("reports.coverage_caption"), columns, rows, chart=True, notes=notes)


def conversation_table(figures: ConversationFigures) -> Table:
    calls = figures.calls
    rows = [
        [t("reports.conv_calls"), calls.get("conversations", 0), INT],
        [t("reports.conv_held"), calls.get("held", 0), INT],
        [t("reports.conv_hold_total"), figures.hold_seconds, SECONDS],
        [t("reports.conv_hold_average"), figures.average_hold, SECONDS],
        [t("reports.conv_binome"), calls.get("binome", 0), INT],
        [t("reports.conv_binome_paired"), calls.get("binome_paired", 0), INT],
        *[[t(f"reports.conv_supervisor_{mode}"), figures.supervisor.get(mode, 0), INT] for mode in SUPERVISE_MODES],
        [t("reports.conv_help"), calls.get("help", 0), INT],
        [t("reports.conv_difficult"), calls.get("difficult", 0), INT],
        [t("reports.conv_debriefs"), calls.get("debriefs", 0), INT],
    ]
    return Table("conversation", t("reports.conversation"), [Column(t("reports.metric"), TEXT),
                                                             Column(t("reports.value"))],
                 [[label, (value, kind)] for label, value, kind in rows])


def transfers_table(transfers: list[TransferFigures], key: str = "transfers", caption: str | None = None) -> Table:
    """Transfers by target: started, answered by the third party, completed, returned to the listener."""
    english = current_language() == "en"
    columns = [Column(t("reports.transfer_target"), TEXT), Column(t("reports.transfer_started")),
               Column(t("reports.transfer_answered")), Column(t("reports.transfer_completed")),
               Column(t("reports.transfer_returned")), Column(t("reports.transfer_caller_gone"))]
    rows = [[figures.label_en if english else figures.label_fr, figures.started, figures.answered, figures.completed,
             figures.returned, figures.caller_gone] for figures in transfers]
    return Table(key, caption or t("reports.transfers"), columns, rows)


def gap_counts(report: LineReport) -> dict[str, int]:
    gaps = [slot.gap for slot in report.slots]
    return {"nobody": gaps.count("nobody"), "short": gaps.count("short")}


def line_tables(report: LineReport) -> dict[str, Table]:
    tables = [summary_table(report), heatmap_table(report.traffic), service_table(report),
              outcomes_table(report.traffic), closed_table(report.traffic), forwards_table(report.traffic),
              callers_table(report.traffic), conversation_table(report.conversation),
              transfers_table(report.conversation.transfers), coverage_table(report)]
    return {table.key: table for table in tables}


def centre_tables(traffic: TrafficReport) -> dict[str, Table]:
    answered = traffic.outcomes.get("handed_off", 0)
    summary = Table("summary", t("reports.summary"), [Column(t("reports.metric"), TEXT), Column(t("reports.value"))],
                    [[t("reports.handed_calls"), (traffic.calls, INT)],
                     [t("reports.handed_answered"), (answered, INT)],
                     [t("reports.share"), (_share(answered, traffic.calls), PERCENT)]])
    tables = [summary, heatmap_table(traffic), outcomes_table(traffic), callers_table(traffic),
              transfers_table(traffic.transfers_in, caption=t("reports.transfers_in"))]
    return {table.key: table for table in tables}
