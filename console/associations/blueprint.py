"""The directory of local victim-support associations, and coordinators' phone access."""

from __future__ import annotations

from flask import Blueprint

from console.blueprint import guard
from console.associations import phone_views, views

associations = guard(Blueprint("associations", __name__, url_prefix="/console", template_folder="templates"))

associations.add_url_rule("/associations", view_func=views.associations)
associations.add_url_rule("/associations/new", view_func=views.new_association, methods=["GET", "POST"])
associations.add_url_rule("/associations/<slug>", view_func=views.edit_association, methods=["GET", "POST"])
associations.add_url_rule("/associations/<slug>/delete", view_func=views.delete_association, methods=["POST"])
associations.add_url_rule("/associations/<slug>/history", view_func=views.association_history)
associations.add_url_rule("/phone-access", view_func=phone_views.phone_access, methods=["GET", "POST"])
