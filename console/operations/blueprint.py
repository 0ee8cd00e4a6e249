"""The call log, call categories, nuisance-caller flags and the category report."""

from __future__ import annotations

from flask import Blueprint

from console.blueprint import guard
from console.operations import views

operations = guard(Blueprint("operations", __name__, url_prefix="/console", template_folder="templates"))

operations.add_url_rule("/calls", view_func=views.call_log_page)
operations.add_url_rule("/calls/<call_ref>", view_func=views.call_page)
operations.add_url_rule("/calls/<call_ref>/category", view_func=views.classify_call, methods=["POST"])
operations.add_url_rule("/calls/<call_ref>/flag", view_func=views.flag_call, methods=["POST"])
operations.add_url_rule("/flags", view_func=views.flags_page)
operations.add_url_rule("/flags/<flag_ref>/lift", view_func=views.lift_flag_page, methods=["POST"])
operations.add_url_rule("/lines/<slug>/categories", view_func=views.line_categories_page, methods=["GET", "POST"])
operations.add_url_rule("/categories/report", view_func=views.category_report)
operations.add_url_rule("/categories/report.csv", view_func=views.category_report_csv)
operations.add_url_rule("/categories/report.svg", view_func=views.category_report_svg)
