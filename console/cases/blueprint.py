"""Relaying a call as a case, the cases to analyse, and a case's notes, status and call-back."""

from __future__ import annotations

from flask import Blueprint

from console.blueprint import EVERYONE, REFERENTS, guard
from console.cases import views

# Each page checks the case's own scope (its line, its centre or association, or who relayed it).
cases = guard(Blueprint("cases", __name__, url_prefix="/console", template_folder="templates"),
              roles=EVERYONE | REFERENTS)

cases.add_url_rule("/cases", view_func=views.case_list_page)
cases.add_url_rule("/cases/relay/<call_ref>", view_func=views.relay_form, methods=["GET", "POST"])
cases.add_url_rule("/cases/<case_ref>", view_func=views.case_page)
cases.add_url_rule("/cases/<case_ref>/notes", view_func=views.add_note_page, methods=["POST"])
cases.add_url_rule("/cases/<case_ref>/status", view_func=views.status_page, methods=["POST"])
cases.add_url_rule("/cases/<case_ref>/call-back", view_func=views.call_back_page, methods=["POST"])
