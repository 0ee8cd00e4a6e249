"""Reports of lines and centres: their pages, CSV files and charts."""

from __future__ import annotations

from flask import Blueprint

from console.blueprint import guard
from console.reports import views
from store.reports import ReportsBusy

reports = guard(Blueprint("reports", __name__, url_prefix="/console", template_folder="templates"))

reports.add_url_rule("/reports/", view_func=views.reports_index)
reports.add_url_rule("/reports/lines/<slug>", view_func=views.line_report_page)
reports.add_url_rule("/reports/centres/<slug>", view_func=views.centre_report_page)
reports.add_url_rule("/reports/lines/<slug>/<name>.csv", view_func=views.line_report_csv)
reports.add_url_rule("/reports/centres/<slug>/<name>.csv", view_func=views.centre_report_csv)
reports.add_url_rule("/reports/lines/<slug>/<name>.svg", view_func=views.line_report_chart)
reports.add_url_rule("/reports/centres/<slug>/<name>.svg", view_func=views.centre_report_chart)
reports.register_error_handler(ReportsBusy, views.reports_busy)
