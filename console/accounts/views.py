"""Signing in and out of the console (every attempt, good or bad, goes to the audit log) and that log's page."""

from __future__ import annotations

import secrets

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from itsdangerous import BadData, URLSafeTimedSerializer

from console.accounts.audit_words import event_views
from console.accounts.records import EMAIL, sign_in
from console.audit import audit_page, record
from console.blueprint import db, now, require_admin, safe_next, start_session
from console.texts import LANGUAGES, t
from store.console_sessions import end_all_sessions, end_session
from store.extension import directory

# A browser that signed in to an account keeps a signed cookie naming it: from there, failures elsewhere (by
# someone who knows the address, or behind the same proxy) never keep the right password out.
DEVICE_COOKIE = "helpline_device"
DEVICE_MAX_AGE = 180 * 24 * 3600
LOCK_WORDS = {"account": "compte", "email": "e-mail sans compte", "address": "adresse", "device": "appareil connu"}


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
    device = _known_device()
    attempt = sign_in(db(), email, password, address, moment, device=device)
    if attempt.outcome == "ok":
        record(db(), attempt.account, "login", detail=f"adresse {address}", now=moment)
        start_session(attempt.account, moment)
        db().commit()
        response = redirect(next_page or url_for("lines.dashboard"))
        _remember_device(response, attempt.account.id, device)
        return response
    if attempt.outcome == "failed":
        # A password typed into the email field must not land in the audit log: only an address is kept as typed.
        typed = email if EMAIL.match(email) else "(pas une adresse e-mail)"
        record(db(), attempt.account, "login_failed", detail=f"adresse {address}", email=typed, now=moment)
        for kind, minutes in attempt.locks:  # every lock is audited, with what it holds back and for how long
            record(db(), attempt.account, "login_locked", email=typed, now=moment,
                   detail=f"{LOCK_WORDS[kind]} bloqué {minutes} min (adresse {address})")
        db().commit()
        return _login_page(next_page, email, t("login.failed"), 200)
    db().rollback()
    return _login_page(next_page, email, t("login.locked", minutes=attempt.retry_minutes), 429)


def _device_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="console-known-device")


def _known_device() -> tuple[int, str] | None:
    """(account id, device id) from this browser's signed device cookie, if it has a valid one."""
    try:
        account_id, device_id = _device_signer().loads(request.cookies.get(DEVICE_COOKIE, ""),
                                                       max_age=DEVICE_MAX_AGE)
    except (BadData, TypeError, ValueError):
        return None
    return (account_id, device_id) if isinstance(account_id, int) and isinstance(device_id, str) else None


def _remember_device(response, account_id: int, device: tuple[int, str] | None) -> None:
    device_id = device[1] if device is not None and device[0] == account_id else secrets.token_urlsafe(16)
    response.set_cookie(DEVICE_COOKIE, _device_signer().dumps([account_id, device_id]), max_age=DEVICE_MAX_AGE,
                        path="/console", secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True,
                        samesite="Lax")


def _login_page(next_page: str | None, email: str, error: str, status: int):
    return render_template("console/login.html", next_page=next_page, email=email, error=error), status


def logout():
    """Ends this session on the server too: a copy of its cookie opens nothing afterwards."""
    end_session(db(), session.get("token"))
    return _signed_out("logout")


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
    return redirect(url_for("accounts.login"))


def audit():
    """The audit log, for admins only: the one page of this blueprint a coordinator may not open."""
    require_admin()
    page = audit_page(db(), request.args.get("page", 1, type=int) or 1)
    events = event_views(db(), directory.get(db(), now()), page.events)
    return render_template("console/audit.html", page=page, events=events)
