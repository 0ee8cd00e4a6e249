"""Console pages for reports: traffic, service level, outcomes, coverage and staffing advice."""

from __future__ import annotations

from flask import Response, abort, g, make_response, render_template, request

from console.accounts.records import scope_allows
from console.blueprint import db, now, require_scope
from console.overview import line_pools, visible_centres, visible_lines
from console.reports.csv_files import table_cells, table_csv
from console.reports.cache import remembered
from console.reports.period import read_period
from console.reports.relays import relays_table
from console.reports.tables import (
    Table,
    callers_table,
    centre_tables,
    gap_counts,
    heatmap_table,
    line_tables,
    outcomes_table,
    weekday_names,
)
from console.describe import day_words, zone_city
from console.texts import current_language, t
from store.extension import directory
from store.case_reports import line_relays, target_relays
from store.reports import TrafficReport, centre_report, line_report

LINE_CHARTS = ("heatmap", "service", "outcomes", "callers", "coverage")
CENTRE_CHARTS = ("heatmap", "outcomes", "callers")
TRAFFIC_TABLES = {"heatmap": heatmap_table, "outcomes": outcomes_table, "callers": callers_table}
# Inside <img>, Chromium draws the SVG whatever its own policy (checked by the browser test). Opened on its
# own (a new tab), the pages' `default-src 'self'` would refuse matplotlib's style attributes and draw it
# black: the picture gets a policy of its own that allows inline styles and nothing else, scripts included.
CHART_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"


def _allowed(kind: str, slug: str) -> bool:
    return scope_allows(g.account, kind, slug)


def reports_index():
    snapshot = directory.get(db(), now())
    return render_template("console/report_index.html", lines=visible_lines(snapshot, _allowed),
                           centres=visible_centres(snapshot, _allowed))


def _line(slug: str):
    require_scope("line", slug)
    snapshot = directory.get(db(), now())
    line = snapshot.lines_by_slug.get(slug)
    if line is None:
        abort(404)
    return snapshot, line


def _centre(slug: str):
    require_scope("centre", slug)
    snapshot = directory.get(db(), now())
    centre = next((c for c in snapshot.centres.values() if c.slug == slug), None)
    if centre is None:
        abort(404)
    return centre


def _line_figures(slug: str):
    snapshot, line = _line(slug)
    form, period, target = read_period(request.args, line.schedule.timezone, now())
    if period is None:
        return line, form, None, None
    report = remembered(db(), ("line", slug, period, target, snapshot.revision),
                        lambda: line_report(db(), snapshot, line, line_pools(line), period, target, now()), now())
    relays = line_relays(db(), snapshot.line_ids.get(slug), period.start, period.end)
    _done_reading()
    names = {f"centre:{c.slug}": c.name for c in snapshot.centres.values()}
    names.update({f"association:{a.slug}": a.name for a in snapshot.associations.associations})
    return line, form, report, {**line_tables(report), "relays": relays_table(relays, names, by_line=False)}


def _centre_figures(slug: str):
    centre = _centre(slug)
    form, period, _ = read_period(request.args, centre.schedule.timezone, now())
    if period is None:
        return centre, form, None, None
    report = remembered(db(), ("centre", slug, period), lambda: centre_report(db(), centre, period), now())
    relays = target_relays(db(), "centre", slug, period.start, period.end)
    _done_reading()
    names = {line.slug: line.name for line in directory.get(db(), now()).lines_by_slug.values()}
    return centre, form, report, {**centre_tables(report), "relays": relays_table(relays, names, by_line=True)}


BUSY_RETRY_SECONDS = 15


def reports_busy(_error):
    """Other reports were counted for longer than a report waits for its turn (store.reports, one at a time so
    that callers never wait): the coordinator is told so, in words, before the proxy gives up with a 504."""
    db().rollback()
    if request.path.endswith((".csv", ".svg")):
        response = make_response(t("reports.busy_text", seconds=BUSY_RETRY_SECONDS), 503)
        response.mimetype = "text/plain"
    else:
        response = make_response(render_template("console/report_busy.html", seconds=BUSY_RETRY_SECONDS), 503)
    response.headers["Retry-After"] = str(BUSY_RETRY_SECONDS)
    return response


def _done_reading() -> None:
    """End the transaction before drawing: on SQLite every transaction holds the write lock, and a page asks
    for its five charts at once (nothing was written: the commit only lets go; loaded objects stay usable)."""
    db().commit()


def _period_words(period) -> str:
    return t("reports.period", first=day_words(period.first), last=day_words(period.last), zone=zone_city(period.timezone),
             days=period.days)


def line_report_page(slug: str):
    line, form, report, tables = _line_figures(slug)
    if report is None:
        return render_template("console/report_line.html", line=line, form=form, report=None), 400
    return render_template("console/report_line.html", line=line, form=form, report=report, tables=tables,
                           cells=_cells(tables), period=_period_words(report.traffic.period),
                           gaps=gap_counts(report), charts=LINE_CHARTS,
                           coverage_intro=t("reports.coverage_intro", level=round(report.target_level * 100),
                                            seconds=report.thresholds.service_level_seconds,
                                            wrapup=report.wrapup_seconds))


def centre_report_page(slug: str):
    centre, form, report, tables = _centre_figures(slug)
    if report is None:
        return render_template("console/report_centre.html", centre=centre, form=form, report=None), 400
    return render_template("console/report_centre.html", centre=centre, form=form, report=report, tables=tables,
                           cells=_cells(tables), period=_period_words(report.period), charts=CENTRE_CHARTS)


def _cells(tables: dict[str, Table]) -> dict[str, list[list[str]]]:
    language = current_language()
    return {key: table_cells(table, language) for key, table in tables.items()}


def line_report_csv(slug: str, name: str):
    line, _, report, tables = _line_figures(slug)
    return _csv(line.slug, name, tables)


def centre_report_csv(slug: str, name: str):
    centre, _, report, tables = _centre_figures(slug)
    return _csv(centre.slug, name, tables)


def _csv(slug: str, name: str, tables: dict[str, Table] | None) -> Response:
    if tables is None:
        abort(400)
    if name not in tables:
        abort(404)
    period = request.args.get("from", ""), request.args.get("to", "")
    filename = "-".join(part for part in (slug, name, *period) if part) + ".csv"
    return Response(table_csv(tables[name], current_language()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def line_report_chart(slug: str, name: str):
    if name not in LINE_CHARTS:
        abort(404)
    # The page just computed this report: its charts, asked for right after, find it remembered.
    _, _, report, _ = _line_figures(slug)
    if report is None:
        abort(400)
    return _chart(_kept(("line", slug, name, report), lambda: _line_chart(name, report)))


def _line_chart(name: str, report) -> bytes:
    if name in TRAFFIC_TABLES:
        return _traffic_chart(name, report.traffic)
    if name == "coverage":
        legend = [t("line.closed_all_day"), t("gap.nobody"), t("gap.short"), t("gap.covered")]
        return _charts().coverage(report.slots, weekday_names(), legend, t("reports.coverage"))
    hours = [hour for hour, stats in report.queue_by_hour.items() if stats.offered]
    by_hour = report.queue_by_hour
    labels = [t("reports.answered_within", seconds=report.thresholds.service_level_seconds),
              t("reports.answered_late", seconds=report.thresholds.service_level_seconds), t("reports.abandoned")]
    return _charts().service(
        [f"{hour:02d}" for hour in hours], [by_hour[hour].answered_within for hour in hours],
        [by_hour[hour].answered - by_hour[hour].answered_within for hour in hours],
        [by_hour[hour].abandoned for hour in hours], labels, t("reports.service_by_hour"))


def centre_report_chart(slug: str, name: str):
    if name not in CENTRE_CHARTS:
        abort(404)
    _, _, report, _ = _centre_figures(slug)
    if report is None:
        abort(400)
    return _chart(_kept(("centre", slug, name, report), lambda: _traffic_chart(name, report)))


def _kept(key: tuple, draw) -> bytes:
    """A chart drawn once for the same figures and language, by whichever worker, and read back by the others:
    drawing a chart takes matplotlib 0.5-3 s, reading one a query."""
    def drawn() -> str:
        _done_reading()  # the cache's reading began a transaction: let go of it while matplotlib draws
        return draw().decode()

    return remembered(db(), ("svg", *key, current_language()), drawn, now()).encode()


def _traffic_chart(name: str, traffic: TrafficReport) -> bytes:
    """Drawn from the tables the page shows, so picture and table cannot disagree."""
    table = TRAFFIC_TABLES[name](traffic)
    if name == "heatmap":
        return _charts().heatmap(traffic.heatmap, weekday_names(), table.caption)
    return _charts().bars([row[0] for row in table.rows], [row[1] for row in table.rows], table.caption)


def _charts():
    """matplotlib and numpy (45 MB a process) are loaded by the first chart drawn: the webhooks' workers,
    which serve the same app but never draw, stay small."""
    from console.reports import charts

    return charts


def _chart(svg: bytes) -> Response:
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = CHART_POLICY
    return response
