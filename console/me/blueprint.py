"""A listener's own page: their status (available, pause, offline), shifts and today's calls."""

from __future__ import annotations

from flask import Blueprint

from console.blueprint import LISTENERS, guard
from console.me import views

me = guard(Blueprint("me", __name__, url_prefix="/console", template_folder="templates"), roles=LISTENERS)

me.add_url_rule("/me", view_func=views.my_page)
me.add_url_rule("/me/status", view_func=views.my_status, methods=["POST"])
