"""The listener's transfers from the desk: start one (warm or cold) to a target of the directory, complete it (leave
the caller with the third party, or talk all three), cancel it. Each a POST about the listener's own call."""

from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for

from console.audit import record
from console.blueprint import db, now
from console.desk.person_words import key_for
from console.desk.state import line_of
from console.desk.views import own_listener, posted_call
from ivr import transfers
from store.extension import directory

MODES = ("warm", "cold")
SAID = ("started", "done", "together", "cancelled", "no_call", "unknown_target", "bad_mode",
        "already_transferring", "nobody_available", "no_transfer", "not_answered", "twilio_failed")


def _transfer(action: str, run):
    listener = own_listener()
    call = posted_call(listener, live_only=True)
    if call is None:
        return redirect(url_for("desk.desk_page"))
    if call.conversation_id is None or call.listener_id != listener.id:
        abort(403)  # a binôme: the transfer is the call's own listener's
    moment = now()
    line = line_of(directory.get(db(), moment), call.line_id)
    db().commit()  # the transfer writes in its own transaction
    outcome = run(call.call_id, listener.id, moment)
    record(db(), g.account, f"desk.transfer_{action}", ("line", line.slug) if line else None, None,
           {"call": call.call_id, "outcome": outcome.code, **({"target": request.form.get("target", "")}
                                                              if action == "start" else {})}, now=moment)
    db().commit()
    flash(key_for(f"desk.transfer_said.{outcome.code if outcome.code in SAID else 'twilio_failed'}", call.callback))
    return redirect(url_for("desk.desk_page"))


def start_transfer():
    target, mode = request.form.get("target", "")[:200], request.form.get("mode", "warm")
    if mode not in MODES or not target:
        abort(400)
    return _transfer("start", lambda call_id, listener_id, moment: transfers.start_transfer(
        call_id, target, mode, now=moment, listener_id=listener_id))


def complete_transfer():
    together = request.form.get("together") == "yes"
    return _transfer("complete", lambda call_id, _listener, moment: transfers.complete_transfer(
        call_id, now=moment, together=together))


def cancel_transfer():
    return _transfer("cancel", lambda call_id, _listener, moment: transfers.cancel_transfer(call_id, now=moment))
