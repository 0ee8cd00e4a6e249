"""The listener's desk: their call in progress (page and polled JSON) and the actions on it, their own call only."""

from __future__ import annotations

from flask import abort, flash, g, jsonify, redirect, render_template, request, url_for

from console.audit import record
from console.blueprint import db, now
from console.desk import supervisor_views
from console.desk.state import POLL_SECONDS, line_of, listener_desk
from store.categories import classify
from store.desk_calls import DeskCall, listener_call
from store.desk_calls import ask_help as record_help
from store.desk_calls import mark_difficult as record_difficult
from store.extension import directory
from store.models import Call, Listener


def own_listener(for_update: bool = False) -> Listener:
    """The signed-in listener's own record; any other account has no listener desk."""
    if g.account.role != "listener" or g.account.listener_id is None:
        abort(403)
    listener = db().get(Listener, g.account.listener_id, with_for_update=for_update, populate_existing=for_update)
    if listener is None:
        abort(403)
    return listener


def desk_page():
    if g.account.role != "listener":
        return supervisor_views.supervisor_desk()
    if g.account.listener_id is None or db().get(Listener, g.account.listener_id) is None:
        return render_template("console/desk.html", desk=None, poll_seconds=POLL_SECONDS)
    moment = now()
    desk = listener_desk(db(), directory.get(db(), moment), own_listener(), moment)
    return render_template("console/desk.html", desk=desk, poll_seconds=POLL_SECONDS)


def desk_data():
    if g.account.role != "listener":
        return supervisor_views.supervisor_data()
    moment = now()
    return jsonify(listener_desk(db(), directory.get(db(), moment), own_listener(), moment))


def posted_call(listener: Listener, live_only: bool) -> DeskCall | None:
    """The call the form was about, if it is still the listener's: a page left open must not act on the next call."""
    call = listener_call(db(), listener)
    if call is None or request.form.get("call", "") != str(call.call_id) or (live_only and not call.live):
        flash("desk.call_changed")
        return None
    return call


def ask_help():
    """Alert the supervisors of the call's line: on their desks and on the line's live board."""
    listener = own_listener()
    call = posted_call(listener, live_only=True)
    if call is not None:
        moment = now()
        line = line_of(directory.get(db(), moment), call.line_id)
        asked = record_help(db(), db().get(Call, call.call_id), moment, f"listener {listener.id}")
        if asked:
            record(db(), g.account, "desk.help_asked", ("line", line.slug) if line else None, None,
                   {"call": call.call_id}, now=moment)
        db().commit()
        flash("desk.help_sent" if asked else "desk.help_already")
    return redirect(url_for("desk.desk_page"))


def mark_difficult():
    """A difficult call: the listener's wrap-up becomes the line's longer one, and the coordinators are told."""
    listener = own_listener(for_update=True)
    call = posted_call(listener, live_only=False)
    if call is not None:
        moment = now()
        snapshot = directory.get(db(), moment)
        line = line_of(snapshot, call.line_id)
        pool_line = snapshot.line_for_pool(call.pool) or line
        if pool_line is None:
            abort(404)
        marked = record_difficult(db(), db().get(Call, call.call_id), listener, moment, pool_line.queue,
                                  call.caller_type, call.ended_at, f"listener {listener.id}")
        if marked:
            record(db(), g.account, "desk.difficult", ("line", line.slug) if line else None, None,
                   {"call": call.call_id}, now=moment)
        db().commit()
        flash("desk.difficult_marked" if marked else "desk.difficult_already")
    return redirect(url_for("desk.desk_page"))


def classify_call():
    """The listener gives their call a category (as on the keypad after it), from the line's list."""
    listener = own_listener()
    call = posted_call(listener, live_only=False)
    if call is not None:
        moment = now()
        line = line_of(directory.get(db(), moment), call.line_id)
        chosen = next((c for c in line.categories if c.slug == request.form.get("category", "")), None) if line else None
        if chosen is None:
            abort(400)
        before, _ = classify(db(), db().get(Call, call.call_id), chosen, moment, "console", listener_id=listener.id)
        record(db(), g.account, "desk.classify", ("line", line.slug), {"category": before},
               {"category": chosen.label.fr, "call": call.call_id}, now=moment)
        db().commit()
        flash("desk.classified")
    return redirect(url_for("desk.desk_page"))
