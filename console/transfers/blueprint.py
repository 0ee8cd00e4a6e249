"""A line's transfer numbers, for its coordinators and admins."""

from __future__ import annotations

from flask import Blueprint

from console.blueprint import guard
from console.transfers import views

transfers = guard(Blueprint("transfers", __name__, url_prefix="/console", template_folder="templates"))

transfers.add_url_rule("/lines/<slug>/transfer-numbers", view_func=views.transfer_numbers_page,
                       methods=["GET", "POST"])
