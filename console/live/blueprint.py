"""The live boards of lines: the page and the JSON its script polls."""

from __future__ import annotations

from flask import Blueprint

from console.blueprint import guard
from console.live import views

live = guard(Blueprint("live", __name__, url_prefix="/console", template_folder="templates"),
             passive=("live_board_data", "live_health_data"))

live.add_url_rule("/live", view_func=views.live_boards)
live.add_url_rule("/lines/<slug>/live", view_func=views.live_board)
live.add_url_rule("/lines/<slug>/live.json", view_func=views.live_board_data)
live.add_url_rule("/lines/<slug>/health.json", view_func=views.live_health_data)
