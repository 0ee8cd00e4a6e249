"""What a coordinator does for a listener beside their file: set their availability, give them a console login.

A status chosen here goes through the same path as keys 1, 2, 3 of the presence line and the listener's own page
(a listener made available is offered the oldest waiting caller at once; nobody is moved during a call). A login
is a console account of role ``listener`` linked to the listener: it opens their own page (console/me) and
nothing else; its first password is shown once, like a PIN, and only its hash is kept. Both are audited.
"""

from __future__ import annotations

import secrets

from flask import abort, flash, g, redirect, render_template, request, url_for

from console.accounts.records import AccountError, create_account, find_account, valid_email
from console.audit import record
from console.blueprint import db, now
from console.roster.forms import ListenerForm
from console.roster.views import edit_page, listener_of, roster_scope
from console.roster.words import status_label
from console.texts import t
from ivr.dispatcher import choose_and_dispatch
from routing.queueing import ListenerStatus
from store.listeners import CHOSEN


def roster_status(listener_id: str):
    """Available, on a break or offline, set by a coordinator for the listener (who is told nothing else)."""
    listener = listener_of(roster_scope(), listener_id)
    wanted = request.form.get("status", "")
    if wanted not in {s.value for s in CHOSEN}:
        abort(400)
    if not listener.active:
        flash("me.inactive")
        return redirect(url_for("roster.roster_edit", listener_id=listener.id) + "#disponibilite")
    before = listener.status
    outcome = choose_and_dispatch(db(), listener, ListenerStatus(wanted), now(), how="console")  # commits
    if outcome == "busy":
        flash("roster.status_busy")
    else:
        if outcome != before:
            record(db(), g.account, "listener.status", ("listener", str(listener.id)), {"status": status_label(before)},
                   {"status": status_label(outcome)}, now=now())
            db().commit()
        flash(t("roster.status_set", name=listener.name, status=status_label(outcome)))
    return redirect(url_for("roster.roster_edit", listener_id=listener.id) + "#disponibilite")


def roster_account(listener_id: str):
    """A console login for the listener: their email, a first password shown on this one answer."""
    listener = listener_of(roster_scope(), listener_id)
    typed = request.form.get("email", "").strip()[:254]
    error = ""
    try:
        email = valid_email(typed)
    except AccountError:
        error = t("roster.login_email_invalid")
    else:
        if find_account(db(), email) is not None:
            error = t("roster.login_email_taken")
    if error:
        db().rollback()
        return edit_page(roster_scope(), ListenerForm.of(listener), listener, login_email=typed, login_error=error,
                          status=400)
    password = "-".join(secrets.token_urlsafe(6) for _ in range(3))  # 3 × 8 characters, read out or copied once
    account = create_account(db(), email=email, name=listener.name, password=password, role="listener",
                             listener_id=listener.id, now=now())
    record(db(), g.account, "account_created", ("account", str(account.id)), None,
           {"email": account.email, "role": "listener", "listener": listener.name}, now=now())
    db().commit()
    return render_template("console/roster_login.html", listener=listener, account=account, password=password)
