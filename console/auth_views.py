"""Signing in and out of the console; every attempt, good or bad, goes to the audit log."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, session, url_for

from console.accounts import EMAIL, end_all_sessions, end_session, sign_in
from console.audit import record
from console.blueprint import console, db, now, safe_next, start_session
from console.texts import LANGUAGES, t


@console.route("/login", methods=["GET", "POST"])
def login():
    chosen = request.args.get("lang")
    if chosen in LANGUAGES:
        session["language"] = chosen
    next_page = safe_next(request.values.get("next"))
    if g.account is not None:
        return redirect(next_page or url_for("console.dashboard"))
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
        start_session(attempt.account, moment)
        db().commit()
        return redirect(next_page or url_for("console.dashboard"))
    if attempt.outcome == "failed":
        # Never the password: someone who types it in the email field still only leaves an email-sized mark.
        detail = f"adresse {address}" + ("; verrouillé 15 minutes" if attempt.locked_now else "")
        # A password typed into the email field must not land in the audit log: only an address is kept as typed.
        typed = email if EMAIL.match(email) else "(pas une adresse e-mail)"
        record(db(), attempt.account, "login_failed", detail=detail, email=typed, now=moment)
        db().commit()
        return _login_page(next_page, email, t("login.failed"), 200)
    db().rollback()
    return _login_page(next_page, email, t("login.locked", minutes=attempt.retry_minutes), 429)


def _login_page(next_page: str | None, email: str, error: str, status: int):
    return render_template("console/login.html", next_page=next_page, email=email, error=error), status


@console.route("/logout", methods=["POST"])
def logout():
    """Ends this session on the server too: a copy of its cookie opens nothing afterwards."""
    end_session(db(), session.get("token"))
    return _signed_out("logout")


@console.route("/logout-everywhere", methods=["POST"])
def logout_everywhere():
    """Ends every session of the account, on every browser (a forgotten public computer, a stolen laptop)."""
    ended = end_all_sessions(db(), g.account.id)
    return _signed_out("logout_everywhere", detail=f"{ended} session(s)")


def _signed_out(action: str, detail: str = ""):
    language = g.account.language
    record(db(), g.account, action, detail=detail, now=now())
    db().commit()
    session.clear()
    session["language"] = language
    g.account = None
    flash("login.logged_out")
    return redirect(url_for("console.login"))
