"""A listener's own page: go available, pause or log off (as on the presence line), their shifts, today's calls."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from flask import abort, flash, g, redirect, render_template, request, url_for

from console.blueprint import db, now
from console.describe import moment_words
from console.roster.words import shift_words, status_label
from ivr.dispatcher import choose_and_dispatch
from routing.queueing import ListenerStatus
from store.extension import directory
from store.listeners import CHOSEN
from store.models import Listener
from store.roster import calls_taken

DEFAULT_ZONE = "Europe/Paris"


def _own_listener() -> Listener | None:
    if g.account.listener_id is None:
        return None
    return db().get(Listener, g.account.listener_id)


def _zone(listener: Listener, moment: datetime) -> ZoneInfo:
    """The time zone of the line their first pool belongs to: "today" is the listener's day, not UTC's."""
    snapshot = directory.get(db(), moment)
    for pool in listener.pools:
        line = snapshot.line_for_pool(pool.pool)
        if line is not None:
            return ZoneInfo(line.schedule.timezone)
    return ZoneInfo(DEFAULT_ZONE)


def my_page():
    listener = _own_listener()
    if listener is None:
        return render_template("console/listener_me.html", listener=None)
    moment = now()
    zone = _zone(listener, moment)
    midnight = datetime.combine(moment.astimezone(zone).date(), time(0), tzinfo=zone)
    return render_template(
        "console/listener_me.html", listener=listener, status=status_label(listener.status),
        since=moment_words(listener.status_since.astimezone(zone), moment), choices=[s.value for s in CHOSEN],
        shifts=[shift_words(s) for s in listener.shifts], calls_today=calls_taken(db(), listener.id, midnight, moment))


def my_status():
    """The same path as the presence line's keys: a listener made available is offered a waiting caller at once,
    a paused one is offered nobody."""
    listener = _own_listener()
    wanted = request.form.get("status", "")
    if listener is None or wanted not in {s.value for s in CHOSEN}:
        abort(400)
    if not listener.active:
        flash("me.inactive")
        return redirect(url_for("me.my_page"))
    outcome = choose_and_dispatch(db(), listener, ListenerStatus(wanted), now(), how="console")
    flash("me.busy" if outcome == "busy" else f"me.now_{outcome}")
    return redirect(url_for("me.my_page"))
