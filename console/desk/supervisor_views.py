"""The supervisors' desk: help asked and calls going on in the lines of their scope, debriefs due, and acting on them."""

from __future__ import annotations

from flask import abort, flash, g, jsonify, redirect, render_template, request, session, url_for

from console.accounts.records import scope_allows
from console.audit import record
from console.blueprint import db, now, require_scope, safe_next
from console.desk.alerts import PHONE_KEY, SUPERVISE_MODES, line_alerts, supervisor_phone
from console.desk.state import POLL_SECONDS, line_of
from console.overview import visible_lines
from ivr import call_control
from phones.numbers import e164
from store.desk_calls import debrief_done as record_debrief
from store.desk_calls import help_answered, live_call
from store.extension import directory
from store.models import Call



def _staff() -> None:
    if g.account.role not in ("admin", "coordinator"):
        abort(403)


def _lines(snapshot):
    """The lines in the account's scope, or the one named by ?line= (403 outside the scope, like its live board)."""
    wanted = request.args.get("line", "")
    if wanted:
        require_scope("line", wanted)
        line = snapshot.lines_by_slug.get(wanted)
        if line is None:
            abort(404)
        return [line]
    return visible_lines(snapshot, lambda kind, slug: scope_allows(g.account, kind, slug))


def alerts_for_lines():
    moment = now()
    snapshot = directory.get(db(), moment)
    return line_alerts(db(), snapshot, _lines(snapshot), moment)


def supervisor_desk():
    _staff()
    return render_template("console/desk_supervisor.html", alerts=alerts_for_lines(), poll_seconds=POLL_SECONDS,
                           modes=SUPERVISE_MODES, my_phone=supervisor_phone(db(), g.account))



def supervisor_data():
    _staff()
    return jsonify(alerts_for_lines())


def _call_in_scope(call_ref: str):
    """The call and its line: 404 for no such call, 403 outside the account's lines (listeners included)."""
    _staff()
    call = db().get(Call, int(call_ref)) if call_ref.isascii() and call_ref.isdigit() and len(call_ref) < 12 else None
    line = line_of(directory.get(db(), now()), call.line_id) if call is not None else None
    if line is None:
        abort(404)
    require_scope("line", line.slug)
    return call, line


def _back():
    return redirect(safe_next(request.form.get("next")) or url_for("desk.desk_page"))


def debrief_done(call_ref: str):
    """The coordinator has offered the listener a debrief after a difficult call: it leaves the boards."""
    call, line = _call_in_scope(call_ref)
    moment = now()
    if record_debrief(db(), call, moment, g.account.email):
        record(db(), g.account, "desk.debrief_done", ("line", line.slug), None, {"call": call.id}, now=moment)
        flash("desk.debrief_saved")
    db().commit()
    return _back()


def supervise(call_ref: str):
    """The supervisor's phone is called into the call: listen (heard by nobody), whisper (heard by the listener
    only) or join (heard by both). One supervisor at a time; the same one again changes how they are on it."""
    call, line = _call_in_scope(call_ref)
    mode = request.form.get("mode", "")
    phone = e164(request.form.get("phone", ""), line.country)
    if mode not in SUPERVISE_MODES:
        abort(400)
    if phone is None:
        flash("desk.phone_invalid")
        return _back()
    going_on = live_call(db(), call.id)
    if going_on is None or going_on.conversation_id is None:
        flash("desk.outcome.not_live")
        return _back()
    session[PHONE_KEY] = phone
    moment = now()
    db().commit()  # the control API writes in its own transaction
    outcome = call_control.supervise(going_on.conversation_id, mode, phone, account_id=g.account.id, now=moment)
    if outcome.ok:
        help_answered(db(), call, moment, mode, g.account.email)
    record(db(), g.account, "desk.supervise", ("line", line.slug), None,
           {"call": call.id, "mode": mode, "outcome": outcome.code}, now=moment)
    db().commit()
    flash(f"desk.supervising.{mode}" if outcome.ok else f"desk.outcome.{outcome.code}")
    return _back()
