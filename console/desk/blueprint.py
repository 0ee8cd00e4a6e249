"""The desk's pages and actions under /console/desk: listeners for their own call, coordinators for their lines."""

from __future__ import annotations

from flask import Blueprint

from console.blueprint import EVERYONE, guard
from console.desk import control_views, supervisor_views, transfer_views, views
from store.desk_calls import keypad_help

# Listeners and coordinators both have a desk; every view checks which of them it serves (views.py: the signed-in
# listener's own call; supervisor_views.py: a line in the account's scope).
desk = guard(Blueprint("desk", __name__, url_prefix="/console", template_folder="templates"), roles=EVERYONE,
             passive=("desk_data",))

desk.add_url_rule("/desk", view_func=views.desk_page)
desk.add_url_rule("/desk.json", view_func=views.desk_data)
desk.add_url_rule("/desk/help", view_func=views.ask_help, methods=["POST"])
desk.add_url_rule("/desk/difficult", view_func=views.mark_difficult, methods=["POST"])
desk.add_url_rule("/desk/category", view_func=views.classify_call, methods=["POST"])
desk.add_url_rule("/desk/hold", view_func=control_views.hold, methods=["POST"])
desk.add_url_rule("/desk/resume", view_func=control_views.resume, methods=["POST"])
desk.add_url_rule("/desk/binome", view_func=control_views.invite_binome, methods=["POST"])
desk.add_url_rule("/desk/floor", view_func=control_views.give_floor, methods=["POST"])
desk.add_url_rule("/desk/remove", view_func=control_views.remove, methods=["POST"])
desk.add_url_rule("/desk/end", view_func=control_views.end, methods=["POST"])
desk.add_url_rule("/desk/transfer", view_func=transfer_views.start_transfer, methods=["POST"])
desk.add_url_rule("/desk/transfer/complete", view_func=transfer_views.complete_transfer, methods=["POST"])
desk.add_url_rule("/desk/transfer/cancel", view_func=transfer_views.cancel_transfer, methods=["POST"])
desk.add_url_rule("/desk/calls/<call_ref>/supervise", view_func=supervisor_views.supervise, methods=["POST"])
desk.add_url_rule("/desk/calls/<call_ref>/debrief", view_func=supervisor_views.debrief_done, methods=["POST"])

# The keypad's help (* then 3, ivr/keypad.py) raises the same alert as the desk's button.
desk.record_once(lambda state: state.app.extensions.setdefault("ivr.help_requested", []).append(keypad_help))
