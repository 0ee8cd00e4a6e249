"""A département centre's page for its coordinator: its state in words, close now / force open, its hours."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from console.blueprint import db, now, require_scope
from console.describe import weekly_hours
from console.lines.overrides import (MODES, OverrideForm, active_overrides, confirmation, create_override,
                                     delete_override, read_form)
from console.overview import centre_view
from store.extension import directory
from store.models import CentreRow

KIND = "centre"


def _centre(slug: str):
    """The centre as the routing sees it and its schedule's row id; 403 outside the account's scope, else 404."""
    require_scope(KIND, slug)
    moment = now()
    centre = next((c for c in directory.get(db(), moment).centres.values() if c.slug == slug), None)
    schedule_id = db().scalar(select(CentreRow.schedule_id).where(CentreRow.slug == slug))
    if centre is None or schedule_id is None:
        abort(404)
    return centre, schedule_id, moment


def centre_page(slug: str):
    return _centre_page(slug, OverrideForm())


def _centre_page(slug: str, form: OverrideForm, status: int = 200):
    centre, schedule_id, moment = _centre(slug)
    return render_template("console/centre.html", centre=centre, view=centre_view(centre, moment), form=form,
                           hours=weekly_hours(centre.schedule), timezone=centre.schedule.timezone,
                           overrides=active_overrides(db(), schedule_id, centre.schedule.timezone, moment, KIND)), status


def create_centre_override(slug: str):
    """"Fermer maintenant" / "Forcer l'ouverture" for a centre: the national line's hand-offs hear it at once."""
    centre, schedule_id, moment = _centre(slug)
    form, until = read_form(request.form, centre.schedule.timezone, moment)
    if form.mode not in MODES:
        abort(400)
    if form.errors:
        db().rollback()
        return _centre_page(slug, form, 400)
    create_override(db(), g.account, centre, schedule_id, form, until, moment, KIND)
    db().commit()
    directory.invalidate()
    changed = next(c for c in directory.get(db(), moment).centres.values() if c.slug == slug)
    flash(confirmation(form.mode, until, changed.schedule, moment, KIND))  # words, not a key: t() shows them as they are
    return redirect(url_for("lines.centre_page", slug=slug))


def delete_centre_override(slug: str):
    centre, schedule_id, moment = _centre(slug)
    override_id = request.form.get("override_id", type=int)
    if override_id is None:
        abort(400)
    if delete_override(db(), g.account, centre, schedule_id, override_id, moment, KIND):
        db().commit()
        directory.invalidate()
        flash("override.deleted")
    else:
        db().rollback()
        flash("override.gone")
    return redirect(url_for("lines.centre_page", slug=slug))
