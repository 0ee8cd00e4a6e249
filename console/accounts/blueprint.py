"""Signing in and out, and the audit log (admins only), under /console."""

from __future__ import annotations

from flask import Blueprint

from console.blueprint import EVERYONE, guard
from console.accounts import views

accounts = guard(Blueprint("accounts", __name__, url_prefix="/console", template_folder="templates"),
                 roles=EVERYONE, public=("login",))

accounts.add_url_rule("/login", view_func=views.login, methods=["GET", "POST"])
accounts.add_url_rule("/logout", view_func=views.logout, methods=["POST"])
accounts.add_url_rule("/logout-everywhere", view_func=views.logout_everywhere, methods=["POST"])
accounts.add_url_rule("/audit", view_func=views.audit)
