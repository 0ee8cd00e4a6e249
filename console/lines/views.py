"""The console's home (the dashboard of lines and centres) and a line's page with its overrides."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from console.accounts.records import scope_allows
from console.blueprint import db, now, require_scope
from console.describe import moment_words
from console.lines.overrides import (MODES, OverrideForm, active_overrides, confirmation, create_override,
                                    delete_override, read_form)
from console.overview import centre_view, line_detail, line_view, visible_centres, visible_lines
from store.extension import directory
from store.models import LineRow

# The page's own clock; each line's changes are written in the line's time zone.
DISPLAY_ZONE = ZoneInfo("Europe/Paris")


def _allowed(kind: str, slug: str) -> bool:
    return scope_allows(g.account, kind, slug)


def dashboard():
    moment = now()
    snapshot = directory.get(db(), moment)
    lines = [line_view(db(), snapshot, line, moment) for line in visible_lines(snapshot, _allowed)]
    centres = [centre_view(centre, moment) for centre in visible_centres(snapshot, _allowed)]
    return render_template("console/dashboard.html", lines=lines, centres=centres,
                           moment=moment_words(moment.astimezone(DISPLAY_ZONE)))


def line_page(slug: str):
    require_scope("line", slug)
    return _line_page(slug, OverrideForm())


def _line(slug: str):
    """The line as the routing sees it, and its schedule's row id; 404 for a line that is not there."""
    moment = now()
    snapshot = directory.get(db(), moment)
    line = snapshot.lines_by_slug.get(slug)
    schedule_id = db().scalar(select(LineRow.schedule_id).where(LineRow.slug == slug))
    if line is None or schedule_id is None:
        abort(404)
    return snapshot, line, schedule_id, moment


def _line_page(slug: str, form: OverrideForm, status: int = 200):
    snapshot, line, schedule_id, moment = _line(slug)
    return render_template("console/line.html", detail=line_detail(db(), snapshot, line, moment), form=form,
                           overrides=active_overrides(db(), schedule_id, line.schedule.timezone, moment)), status


def create_line_override(slug: str):
    """"Fermer maintenant" / "Forcer l'ouverture": an override from now until a moment or the next change."""
    require_scope("line", slug)
    _, line, schedule_id, moment = _line(slug)
    form, until = read_form(request.form, line.schedule.timezone, moment)
    if form.mode not in MODES:
        abort(400)
    if form.errors:
        db().rollback()
        return _line_page(slug, form, 400)
    create_override(db(), g.account, line, schedule_id, form, until, moment)
    db().commit()
    directory.invalidate()  # this worker shows the change at once; the others see the revision within seconds
    changed = directory.get(db(), moment).lines_by_slug[slug]
    flash(confirmation(form.mode, until, changed.schedule, moment))  # words, not a key: t() shows them as they are
    return redirect(url_for("lines.line_page", slug=slug))


def delete_line_override(slug: str):
    """"Lever": the override ends now and the usual hours apply again."""
    require_scope("line", slug)
    _, line, schedule_id, moment = _line(slug)
    override_id = request.form.get("override_id", type=int)
    if override_id is None:
        abort(400)
    if delete_override(db(), g.account, line, schedule_id, override_id, moment):
        db().commit()
        directory.invalidate()
        flash("override.deleted")
    else:
        db().rollback()
        flash("override.gone")
    return redirect(url_for("lines.line_page", slug=slug))
