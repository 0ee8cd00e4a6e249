"""The dashboard and a line's page with its overrides (close now, force open), under /console."""

from __future__ import annotations

from flask import Blueprint

from console.blueprint import guard
from console.lines import centres, pairs, views

lines = guard(Blueprint("lines", __name__, url_prefix="/console", template_folder="templates"))

lines.add_url_rule("/", view_func=views.dashboard)
lines.add_url_rule("/lines/<slug>", view_func=views.line_page)
lines.add_url_rule("/lines/<slug>/pairs", view_func=pairs.pairs_page, methods=["GET", "POST"])
lines.add_url_rule("/lines/<slug>/overrides", view_func=views.create_line_override, methods=["POST"])
lines.add_url_rule("/lines/<slug>/overrides/delete", view_func=views.delete_line_override, methods=["POST"])
lines.add_url_rule("/centres/<slug>", view_func=centres.centre_page)
lines.add_url_rule("/centres/<slug>/overrides", view_func=centres.create_centre_override, methods=["POST"])
lines.add_url_rule("/centres/<slug>/overrides/delete", view_func=centres.delete_centre_override, methods=["POST"])
