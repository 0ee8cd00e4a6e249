"""The roster: listeners, their pools, shifts and PINs, for coordinators of their lines."""

from __future__ import annotations

from flask import Blueprint

from console.blueprint import guard
from console.roster import access, views

roster = guard(Blueprint("roster", __name__, url_prefix="/console", template_folder="templates"))

roster.add_url_rule("/roster", view_func=views.roster)
roster.add_url_rule("/roster/new", view_func=views.roster_new, methods=["GET", "POST"])
roster.add_url_rule("/roster/<listener_id>", view_func=views.roster_edit, methods=["GET", "POST"])
roster.add_url_rule("/roster/<listener_id>/deactivate", view_func=views.roster_deactivate, methods=["POST"])
roster.add_url_rule("/roster/<listener_id>/reactivate", view_func=views.roster_reactivate, methods=["POST"])
roster.add_url_rule("/roster/<listener_id>/pin", view_func=views.roster_pin, methods=["POST"])
roster.add_url_rule("/roster/<listener_id>/shifts", view_func=views.roster_add_shift, methods=["POST"])
roster.add_url_rule("/roster/<listener_id>/shifts/delete", view_func=views.roster_delete_shift, methods=["POST"])
roster.add_url_rule("/roster/<listener_id>/status", view_func=access.roster_status, methods=["POST"])
roster.add_url_rule("/roster/<listener_id>/account", view_func=access.roster_account, methods=["POST"])
