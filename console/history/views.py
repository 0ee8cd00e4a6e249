"""The history pages: /console/lines/<slug>/history (and centres), and restoring an older version."""

from __future__ import annotations

import yaml
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from console.describe import zone_city
from console.blueprint import db, guard, now, require_scope
from console.history.versions import version_views
from store.audit import record
from store.directory_edits import save_edit, start_edit
from store.extension import directory
from store.models import CentreRow, DirectoryChange, LineRow
from store.revisions import Change, history as versions_of

# Same sign-in, CSRF and error pages as every console page; each view checks the line's scope, as the line's
# other pages do (403 before 404: nobody learns which lines exist outside their scope).
history = guard(Blueprint("history", __name__, url_prefix="/console", template_folder="templates"))
KINDS = {"lines": "line", "centres": "centre"}


def _target(plural: str, slug: str):
    kind = KINDS.get(plural)
    if kind is None:
        abort(404)
    require_scope(kind, slug)
    model = LineRow if kind == "line" else CentreRow
    row = db().scalar(select(model).where(model.slug == slug))
    if row is None:
        abort(404)
    return kind, row


def _both_kinds(path: str, **options):
    """/lines/<slug>/… and /centres/<slug>/…, as the hours editor has them."""
    def register(view):
        for plural in KINDS:
            history.add_url_rule(f"/{plural}/<slug>{path}", view_func=view, defaults={"plural": plural}, **options)
        return view
    return register


@_both_kinds("/history", methods=["GET"])
def line_history(plural: str, slug: str):
    kind, row = _target(plural, slug)
    views = version_views(versions_of(db(), kind, slug), row.schedule.timezone)
    city = zone_city(row.schedule.timezone)  # the zone as people say it: "Paris", "La Réunion"
    back = url_for("lines.line_page" if kind == "line" else "lines.centre_page", slug=row.slug)
    return render_template("history/history.html", kind=kind, plural=plural, row=row, versions=views,
                           timezone=city, back_url=back)


@_both_kinds("/history/<int:version_id>/restore", methods=["POST"])
def restore_version(plural: str, slug: str, version_id: int):
    kind, _ = _target(plural, slug)
    version = db().get(DirectoryChange, version_id)
    if version is None or (version.target_kind, version.target_slug) != (kind, slug) or not version.document:
        abort(404)
    edit = start_edit(db(), kind, slug)
    assert edit is not None  # the row exists: _target found it
    raw = yaml.safe_load(version.document)
    keys = tuple(sorted(set(raw) | set(edit.raw)))
    result = save_edit(db(), edit, raw, keys, now(),
                       Change(g.account.email, "restore", f"restore:{version.id}"))
    back = redirect(url_for("history.line_history", plural=plural, slug=slug))
    if result.problems:
        db().rollback()
        flash("history.restore_refused")
        return back
    changed = {k for k in keys if result.before.get(k) != result.after.get(k)}
    record(db(), g.account, "directory.restore", (kind, slug), {k: result.before.get(k) for k in sorted(changed)},
           {k: result.after.get(k) for k in sorted(changed)}, detail=f"version {version.id}", now=now())
    db().commit()
    directory.invalidate()  # this worker at once; the others when they see the revision bumped
    flash("history.restored")
    return back
