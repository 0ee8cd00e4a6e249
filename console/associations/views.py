"""Console pages for the directory of local victim-support associations and coordinators' phone access."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for

from console.associations.forms import (
    AssociationForm,
    department_choices,
    editable_departments,
    form_from_row,
    may_edit,
    read_form,
)
from console.audit import record
from console.blueprint import db, now
from console.describe import zone_city
from console.history.versions import version_views
from directory_data.reference import load_departments
from ivr.orientation import spoken_hours
from directory_data.associations import build_association
from store.associations import association_document, find_association, search_associations, write_association
from store.directory import bump_revision
from store.extension import directory
from store.models import AssociationRow
from store.revisions import Change, document_text, history, note

def _allowed():
    return editable_departments(g.account, directory.get(db(), now()))


HISTORY_ZONE = "Europe/Paris"  # associations are French (the 116 006's orientation): their times in Paris time


def associations():
    words = request.args.get("q", "").strip()[:100]
    department = request.args.get("department", "").strip()[:8]
    rows = search_associations(db(), words, department if department in load_departments() else "")
    allowed = _allowed()
    language = "en" if g.account.language == "en" else "fr"
    items = [(row, spoken_hours(build_association(association_document(row)).schedule, language),
              may_edit(allowed, row.department)) for row in rows]
    return render_template("console/associations.html", items=items, words=words, department=department,
                           departments=department_choices(None), can_create=bool(allowed is None or allowed),
                           any_fictitious=any(row.fictitious for row in rows))


def new_association():
    allowed = _allowed()
    if allowed is not None and not allowed:
        abort(403)
    if request.method == "GET":
        return _form_page(AssociationForm(), None, allowed)
    form, doc = read_form(request.form)
    if doc is not None and not may_edit(allowed, doc["department"]):
        form.errors["department"] = _scope_error()
    if doc is not None and find_association(db(), doc["id"]) is not None:
        form.errors["id"] = _taken_error()
    if form.errors:
        return _form_page(form, None, allowed, 400)
    row = AssociationRow()
    write_association(row, doc)
    db().add(row)
    _saved("association.create", doc["id"], None, doc)
    flash("association.created")
    return redirect(url_for("associations.associations"))


def edit_association(slug: str):
    allowed = _allowed()
    row = find_association(db(), slug[:64])
    # The same answer whether it exists or not when it is outside the account's départements.
    if row is None or not may_edit(allowed, row.department):
        abort(403 if row is not None or allowed is not None else 404)
    if request.method == "GET":
        return _form_page(form_from_row(row), row, allowed)
    form, doc = read_form(request.form, slug=row.slug)
    if doc is not None and not may_edit(allowed, doc["department"]):
        form.errors["department"] = _scope_error()
    if form.errors:
        return _form_page(form, row, allowed, 400)
    before = association_document(row)
    write_association(row, doc)
    _saved("association.update", row.slug, before, doc)
    flash("association.updated")
    return redirect(url_for("associations.associations"))


def delete_association(slug: str):
    allowed = _allowed()
    row = find_association(db(), slug[:64])
    if row is None or not may_edit(allowed, row.department):
        abort(403 if row is not None or allowed is not None else 404)
    before = association_document(row)
    db().delete(row)
    _saved("association.delete", row.slug, before, None)
    flash("association.deleted")
    return redirect(url_for("associations.associations"))


def _saved(action: str, slug: str, before, after) -> None:
    """Version, audit, tell every worker to rebuild (the IVR orients callers from the snapshot), commit."""
    moment = now()
    db().flush()
    bump_revision(db(), moment)
    note(db(), "association", slug, document_text("association", before) if before is not None else None,
         document_text("association", after), Change(g.account.email, "console"), moment)
    record(db(), g.account, action, ("association", slug), before, after, now=moment)
    db().commit()
    directory.invalidate()


def association_history(slug: str):
    """Every version of the association as its file says it, who made it and when (read only: no restore yet)."""
    allowed = _allowed()
    row = find_association(db(), slug[:64])
    if row is None or not may_edit(allowed, row.department):
        abort(403 if row is not None or allowed is not None else 404)
    versions = version_views(history(db(), "association", row.slug), HISTORY_ZONE, restorable=False)
    return render_template("history/history.html", kind="association", plural=None, row=row, versions=versions,
                           timezone=zone_city(HISTORY_ZONE),
                           back_url=url_for("associations.edit_association", slug=row.slug))


def _scope_error() -> str:
    from console.texts import t

    return t("association.invalid.department_scope")


def _taken_error() -> str:
    from console.texts import t

    return t("association.invalid.id_taken")


def _form_page(form: AssociationForm, row: AssociationRow | None, allowed, status: int = 200):
    db().rollback()
    return render_template("console/association_form.html", form=form, row=row,
                           departments=department_choices(allowed)), status

