"""The console's pages: the dashboard, a line's page and the audit log."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import abort, g, render_template, request

from console.accounts import scope_allows
from console.audit import audit_page
from console.blueprint import console, db, now, require_admin, require_scope
from console.describe import moment_words
from console.overview import centre_view, line_detail, line_view, visible_centres, visible_lines
from store.extension import directory

# The page's own clock; each line's changes are written in the line's time zone.
DISPLAY_ZONE = ZoneInfo("Europe/Paris")


def _allowed(kind: str, slug: str) -> bool:
    return scope_allows(g.account, kind, slug)


@console.route("/")
def dashboard():
    moment = now()
    snapshot = directory.get(db(), moment)
    lines = [line_view(db(), snapshot, line, moment) for line in visible_lines(snapshot, _allowed)]
    centres = [centre_view(centre, moment) for centre in visible_centres(snapshot, _allowed)]
    return render_template("console/dashboard.html", lines=lines, centres=centres,
                           moment=moment_words(moment.astimezone(DISPLAY_ZONE)))


@console.route("/lines/<slug>")
def line_page(slug: str):
    require_scope("line", slug)
    moment = now()
    snapshot = directory.get(db(), moment)
    line = snapshot.lines_by_slug.get(slug)
    if line is None:
        abort(404)
    return render_template("console/line.html", detail=line_detail(db(), snapshot, line, moment))


@console.route("/audit")
def audit():
    require_admin()
    page = audit_page(db(), request.args.get("page", 1, type=int) or 1)
    return render_template("console/audit.html", page=page)
