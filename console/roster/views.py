"""Console pages for the roster: listeners, their pools, shifts and PINs."""

from __future__ import annotations

from dataclasses import dataclass, replace

from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy.exc import IntegrityError

from console.accounts.records import scope_allows
from console.audit import record
from console.blueprint import db, now
from console.overview import line_pools, visible_lines
from console.roster.forms import (LANGUAGE_CODES, SKILL_CODES, ListenerForm, Refused, ShiftForm, read_listener_form,
                                 read_shift_form)
from console.roster.logins import listener_logins, presence_number
from console.roster.words import language_label, shift_words, status_label
from console.texts import t
from routing.queueing import ListenerStatus
from store.extension import directory
from store.listeners import CHOSEN, deactivate_listener, masked_phone, set_status
from store.models import Listener
from store.roster import (add_listener, add_shift, as_record, listener_in_pools, listeners_in_pools, phone_owner,
                          remove_shift, reset_pin, update_listener)

DEFAULT_TIMEZONE = "Europe/Paris"


@dataclass(frozen=True)
class RosterScope:
    """The pools an account may give listeners (each with its line's name), and whether it sees everyone."""

    pools: dict[str, str]
    everything: bool

    @property
    def visible(self) -> list[str] | None:
        return None if self.everything else list(self.pools)


def roster_scope() -> RosterScope:
    snapshot = directory.get(db(), now())
    pools: dict[str, str] = {}
    for line in visible_lines(snapshot, lambda kind, slug: scope_allows(g.account, kind, slug)):
        for pool in line_pools(line):
            pools.setdefault(pool, line.name)
    return RosterScope(pools, g.account.role == "admin")


def listener_of(scope: RosterScope, listener_id: str) -> Listener:
    """The listener, or 403 when this account may not see them (whether or not they exist), 404 for admins."""
    found = None
    if listener_id.isdigit() and len(listener_id) < 12:
        found = listener_in_pools(db(), int(listener_id), scope.visible)
    if found is None:
        abort(404 if scope.everything else 403)
    return found


def _line_of(pools) -> tuple[str, str]:
    """(country, time zone) of the line whose settings govern the first pool: how a local number and a
    shift's hours are read."""
    snapshot = directory.get(db(), now())
    for pool in pools:
        line = snapshot.line_for_pool(pool)
        if line is not None:
            return line.country, line.schedule.timezone
    return "FR", DEFAULT_TIMEZONE


def _audit(action: str, listener: Listener, before, after, detail: str = "") -> None:
    record(db(), g.account, action, ("listener", str(listener.id)), before, after, detail=detail, now=now())


def roster():
    scope = roster_scope()
    everyone = listeners_in_pools(db(), scope.visible)
    return render_template("console/roster.html", active=[l for l in everyone if l.active],
                           inactive=[l for l in everyone if not l.active], masked=masked_phone,
                           shift_words=shift_words, language_label=language_label, scope=scope)


def edit_page(scope: RosterScope, form: ListenerForm, listener: Listener | None = None,
              shift_form: ShiftForm | None = None, status: int = 200, login_email: str = "", login_error: str = ""):
    known = tuple(s for s in (listener.skills or []) if s not in SKILL_CODES) if listener else ()
    return render_template("console/roster_edit.html", form=form, listener=listener, scope=scope,
                           languages=LANGUAGE_CODES, skills=SKILL_CODES + known,
                           other_pools=[p.pool for p in listener.pools if p.pool not in scope.pools] if listener else [],
                           masked=masked_phone, shift_words=shift_words, shift_form=shift_form or ShiftForm(),
                           status_label=status_label, choices=[s.value for s in CHOSEN],
                           logins=listener_logins(db(), listener) if listener else [], login_email=login_email,
                           login_error=login_error), status


def _read(scope: RosterScope, phone_required: bool, listener: Listener | None = None):
    known = tuple(listener.skills or ()) if listener else ()
    try:
        country, _ = _line_of(request.form.getlist("pools"))
        form, fields = read_listener_form(request.form, scope.pools, phone_required, country, known)
    except Refused:
        abort(403 if request.form.getlist("pools") and not set(request.form.getlist("pools")) <= set(scope.pools)
              else 400)
    if fields is not None and fields.phone:
        owner = phone_owner(db(), fields.phone)
        if owner is not None and owner is not listener:
            # Whose number it is stays unsaid: the other listener may belong to another line.
            form.errors["phone"] = t("roster.phone_taken")
            fields = None
    return form, fields


def roster_new():
    scope = roster_scope()
    if request.method == "GET":
        return edit_page(scope, ListenerForm(pools=list(scope.pools)[:1]))
    form, fields = _read(scope, phone_required=True)
    if fields is None:
        db().rollback()
        return edit_page(scope, form, status=400)
    try:
        listener, pin = add_listener(db(), fields, now())
        _audit("listener.create", listener, None, as_record(listener))
        db().commit()
    except IntegrityError:  # the same phone saved at the same moment from elsewhere
        db().rollback()
        form.errors["phone"] = t("roster.phone_taken")
        return edit_page(scope, form, status=400)
    return render_template("console/roster_pin.html", listener=listener, pin=pin, created=True,
                           presence=presence_number())


def roster_edit(listener_id: str):
    scope = roster_scope()
    listener = listener_of(scope, listener_id)
    if request.method == "GET":
        return edit_page(scope, ListenerForm.of(listener), listener)
    form, fields = _read(scope, phone_required=False, listener=listener)
    if fields is None:
        db().rollback()
        return edit_page(scope, form, listener, status=400)
    before = as_record(listener)
    if not fields.phone:
        fields = replace(fields, phone=listener.phone)  # left empty: the number is kept
    elif fields.phone != listener.phone and not scope.everything and \
            any(p.pool not in scope.pools for p in listener.pools):
        # Their phone rings for another line's callers too: that line's coordinator did not agree to a new number.
        db().rollback()
        form.errors["phone"] = t("roster.phone_shared")
        return edit_page(scope, form, listener, status=400)
    update_listener(listener, fields, scope.pools)  # pools no line of this account queues to are kept
    db().flush()
    after = as_record(listener)
    if after == before:
        db().rollback()
        flash("roster.unchanged")
        return redirect(url_for("roster.roster_edit", listener_id=listener.id))
    _audit("listener.update", listener, before, after)
    try:
        db().commit()
    except IntegrityError:
        db().rollback()
        form.errors["phone"] = t("roster.phone_taken")
        return edit_page(scope, form, db().get(Listener, listener.id), status=400)
    flash("roster.saved")
    return redirect(url_for("roster.roster_edit", listener_id=listener.id))


def roster_deactivate(listener_id: str):
    scope = roster_scope()
    listener = listener_of(scope, listener_id)
    if listener.active:
        before = as_record(listener)
        busy = deactivate_listener(db(), listener, now())
        _audit("listener.deactivate", listener, before, as_record(listener),
               detail="en communication : termine cet appel" if busy else "")
        db().commit()
    flash("roster.deactivated")
    return redirect(url_for("roster.roster_edit", listener_id=listener.id))


def roster_reactivate(listener_id: str):
    scope = roster_scope()
    listener = listener_of(scope, listener_id)
    if not listener.active:
        before = as_record(listener)
        listener.active = True  # offline: they choose when to take calls again
        set_status(db(), listener, ListenerStatus.OFFLINE, now(), "reactivated")
        _audit("listener.reactivate", listener, before, as_record(listener))
        db().commit()
    flash("roster.reactivated")
    return redirect(url_for("roster.roster_edit", listener_id=listener.id))


def roster_pin(listener_id: str):
    """A new PIN, shown on this one answer and never again (only its hash is kept)."""
    scope = roster_scope()
    listener = listener_of(scope, listener_id)
    pin = reset_pin(listener)
    _audit("listener.pin_reset", listener, {"pin": "••••"}, {"pin": "nouveau (non conservé en clair)"})
    db().commit()
    return render_template("console/roster_pin.html", listener=listener, pin=pin, created=False,
                           presence=presence_number())


def roster_add_shift(listener_id: str):
    scope = roster_scope()
    listener = listener_of(scope, listener_id)
    try:
        shift_form, shift = read_shift_form(request.form)
    except Refused:
        abort(400)
    if shift is None:
        return edit_page(scope, ListenerForm.of(listener), listener, shift_form, status=400)
    before = as_record(listener)
    _, zone = _line_of([p.pool for p in listener.pools])
    if not add_shift(listener, *shift, zone):
        shift_form.errors["starts"] = t("shift.duplicate")
        return edit_page(scope, ListenerForm.of(listener), listener, shift_form, status=400)
    db().flush()
    _audit("listener.shift_add", listener, {"shifts": before["shifts"]}, {"shifts": as_record(listener)["shifts"]})
    db().commit()
    flash("shift.added")
    return redirect(url_for("roster.roster_edit", listener_id=listener.id) + "#horaires")


def roster_delete_shift(listener_id: str):
    scope = roster_scope()
    listener = listener_of(scope, listener_id)
    shift_id = request.form.get("shift_id", type=int)
    if shift_id is None:
        abort(400)
    before = as_record(listener)["shifts"]
    if remove_shift(db(), listener, shift_id):
        _audit("listener.shift_delete", listener, {"shifts": before}, {"shifts": as_record(listener)["shifts"]})
        db().commit()
        flash("shift.deleted")
    else:
        db().rollback()
        flash("shift.gone")
    return redirect(url_for("roster.roster_edit", listener_id=listener.id) + "#horaires")
