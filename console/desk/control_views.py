"""The listener's controls of their call's conference from the desk: hold, resume, binôme, floor, remove, end.

Each is a POST naming the call it is about; only the call's own listener may use them. The conference's control
API (ivr/call_control.py) opens its own sessions and talks to Twilio outside any transaction: this view reads what
it needs, lets go of its own transaction first (SQLite's write lock), then calls it, then audits the outcome.
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for

from console.audit import record
from console.blueprint import db, now
from console.desk.person_words import key_for
from console.desk.state import line_of
from console.desk.views import own_listener, posted_call
from ivr import call_control
from store.extension import directory

# What each outcome of the control API tells the listener (flash keys desk.outcome.<code>).
OUTCOMES = ("ok", "already", "not_live", "not_found", "busy", "nobody_available", "twilio_failed")


def _control(action: str, run) -> object:
    """Run ``run(conversation_id)`` on the listener's own live call and tell them how it went."""
    listener = own_listener()
    call = posted_call(listener, live_only=True)
    if call is None:
        return redirect(url_for("desk.desk_page"))
    if call.conversation_id is None or call.listener_id != listener.id:
        abort(403)  # a binôme, or a call not (yet) in a conference: these controls are its listener's
    moment = now()
    line = line_of(directory.get(db(), moment), call.line_id)
    db().commit()  # let go of the transaction: the control API writes in its own
    outcome, callback = run(call.conversation_id, moment), call.callback
    record(db(), g.account, f"desk.{action}", ("line", line.slug) if line else None, None,
           {"call": call.call_id, "outcome": outcome.code}, now=moment)
    db().commit()
    code = outcome.code if outcome.code in OUTCOMES else "twilio_failed"
    flash(key_for(f"desk.done.{action}", callback) if outcome.ok and code == "ok" else f"desk.outcome.{code}")
    return redirect(url_for("desk.desk_page"))


def _leg_id() -> int:
    value = request.form.get("leg", "")
    if not (value.isascii() and value.isdigit() and len(value) < 12):
        abort(400)
    return int(value)


def hold():
    return _control("hold", lambda cv, moment: call_control.hold(cv, by="desk", now=moment))


def resume():
    return _control("resume", lambda cv, moment: call_control.resume(cv, by="desk", now=moment))


def invite_binome():
    return _control("binome", lambda cv, moment: call_control.invite_binome(cv, now=moment))


def give_floor():
    leg = _leg_id()
    return _control("floor", lambda cv, moment: call_control.give_floor(cv, leg, now=moment))


def remove():
    leg = _leg_id()
    return _control("remove", lambda cv, moment: call_control.remove(cv, leg, now=moment))


def end():
    return _control("end", lambda cv, moment: call_control.end(cv, by="desk", now=moment))
