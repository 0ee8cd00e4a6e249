"""Signing in and out of the console (every attempt, good or bad, goes to the audit log) and that log's page."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, session, url_for

from console.accounts.records import sign_in
from console.audit import audit_page, record
from console.blueprint import db, now, require_admin, safe_next, start_session
from console.texts import LANGUAGES, t


def login():
    chosen = request.args.get("lang")
    if chosen in LANGUAGES:
        session["language"] = chosen
    next_page = safe_next(request.values.get("next"))
    if g.account is not None:
        return redirect(next_page or url_for("lines.dashboard"))
    if request.method == "GET":
        return render_template("console/login.html", next_page=next_page, email="", error=None)
    email = request.form.get("email", "").strip()[:254]
    password = request.form.get("password", "")
    if not email or not password:
        return _login_page(next_page, email, t("login.missing"), 400)
    moment = now()
    address = request.remote_addr or "unknown"
    attempt = sign_in(db(), email, password, address, moment)
    if attempt.outcome == "ok":
        record(db(), attempt.account, "login", detail=f"adresse {address}", now=moment)
        db().commit()
        start_session(attempt.account, moment)
        return redirect(next_page or url_for("lines.dashboard"))
    if attempt.outcome == "failed":
        # Never the password: someone who types it in the email field still only leaves an email-sized mark.
        detail = f"adresse {address}" + ("; verrouillé 15 minutes" if attempt.locked_now else "")
        record(db(), attempt.account, "login_failed", detail=detail, email=email, now=moment)
        db().commit()
        return _login_page(next_page, email, t("login.failed"), 200)
    db().rollback()
    return _login_page(next_page, email, t("login.locked", minutes=attempt.retry_minutes), 429)


def _login_page(next_page: str | None, email: str, error: str, status: int):
    return render_template("console/login.html", next_page=next_page, email=email, error=error), status


def logout():
    language = g.account.language
    record(db(), g.account, "logout", now=now())
    db().commit()
    session.clear()
    session["language"] = language
    g.account = None
    flash("login.logged_out")
    return redirect(url_for("accounts.login"))


def audit():
    """The audit log, for admins only: the one page of this blueprint a coordinator may not open."""
    require_admin()
    page = audit_page(db(), request.args.get("page", 1, type=int) or 1)
    return render_template("console/audit.html", page=page)
