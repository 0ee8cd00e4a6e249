"""The hours, closures and overflow chain editors of lines and centres, and the route preview."""

from __future__ import annotations

from flask import Blueprint

from console.blueprint import guard
from console.schedules import callers_views, chain_views, hours_views, preview_views
from console.schedules.hours_views import KINDS

schedules = guard(Blueprint("schedules", __name__, url_prefix="/console", template_folder="templates"))


def _both_kinds(path: str, view, **options) -> None:
    """One view for lines and for centres: /lines/<slug>/… and /centres/<slug>/…, no catch-all segment."""
    for plural in KINDS:
        schedules.add_url_rule(f"/{plural}/<slug>{path}", view_func=view, defaults={"plural": plural}, **options)


_both_kinds("/hours", hours_views.hours_editor)
_both_kinds("/hours", hours_views.save_hours, methods=["POST"])
_both_kinds("/closures", hours_views.add_closure, methods=["POST"])
_both_kinds("/closures/delete", hours_views.delete_closure, methods=["POST"])
schedules.add_url_rule("/lines/<slug>/chain", view_func=chain_views.chain_editor)
schedules.add_url_rule("/lines/<slug>/chain", view_func=chain_views.save_chain, methods=["POST"])
schedules.add_url_rule("/lines/<slug>/export.yaml", view_func=chain_views.export_line_file)
schedules.add_url_rule("/lines/<slug>/preview", view_func=preview_views.route_preview, methods=["GET", "POST"])
schedules.add_url_rule("/lines/<slug>/callers-hear", view_func=callers_views.callers_hear)
schedules.add_url_rule("/lines/<slug>/hold-music", view_func=callers_views.save_hold_music, methods=["POST"])
