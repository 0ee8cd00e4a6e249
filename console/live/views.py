"""The live board of a line: the page (data painted by the server) and the JSON its script polls."""

from __future__ import annotations

from flask import abort, g, jsonify, render_template, url_for

from console.accounts.records import scope_allows
from console.blueprint import db, now, require_scope
from console.desk.alerts import line_alerts, supervisor_phone
from console.live.board import POLL_SECONDS, board
from console.live.health import health_banners
from console.overview import visible_lines
from store.extension import directory


def _board(slug: str) -> dict:
    require_scope("line", slug)
    moment = now()
    snapshot = directory.get(db(), moment)
    line = snapshot.lines_by_slug.get(slug)
    if line is None:
        abort(404)
    return board(db(), snapshot, line, moment)


def live_boards():
    """Every line in the account's scope, each a link to its board."""
    snapshot = directory.get(db(), now())
    lines = visible_lines(snapshot, lambda kind, slug: scope_allows(g.account, kind, slug))
    return render_template("console/live_index.html", lines=lines)


def live_board(slug: str):
    data = _board(slug)
    moment = now()
    snapshot = directory.get(db(), moment)
    # The listeners' alerts of this line (help asked, debriefs due), as on the supervisors' desk.
    alerts = line_alerts(db(), snapshot, [snapshot.lines_by_slug[slug]], moment)
    return render_template("console/live_board.html", board=data, poll_seconds=POLL_SECONDS, alerts=alerts,
                           alerts_source=url_for("desk.desk_data", line=slug), my_phone=supervisor_phone(db(), g.account),
                           health=_health(slug))


def _health(slug: str) -> list[dict]:
    line = directory.get(db(), now()).lines_by_slug[slug]
    return health_banners(db(), line, now())


def live_health_data(slug: str):
    """The banner's words alone, polled every 30 s by live_health.js (passive: not someone at the keyboard)."""
    require_scope("line", slug)
    if slug not in directory.get(db(), now()).lines_by_slug:
        abort(404)
    return jsonify({"health": _health(slug)})


def live_board_data(slug: str):
    return jsonify(_board(slug))
