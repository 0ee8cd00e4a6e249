"""The hours editor of lines and centres: weekly shifts, the holiday calendar and dated closures."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import abort, flash, g, redirect, render_template, request, url_for

from console.audit import record
from console.blueprint import db, now, require_scope
from console.schedules.hours_forms import (
    ClosureForm,
    closure_views,
    country_choices,
    holiday_rows,
    hours_form,
    place_closure_problems,
    place_hours_problems,
    read_closure,
    read_hours,
    subdivision_choices,
)
from console.schedules.problems import problem_words
from console.texts import t
from store.directory_edits import Edit, save_edit, start_edit
from store.extension import directory

KINDS = {"lines": "line", "centres": "centre"}
LOCAL_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S")


def editable(plural: str, slug: str) -> Edit:
    """The line or centre as its file says it, once the account may edit it: 403 before 404, like the line page."""
    kind = KINDS.get(plural)
    if kind is None:
        abort(404)
    require_scope(kind, slug)
    edit = start_edit(db(), kind, slug)
    if edit is None:
        abort(404)
    return edit


def as_posted(edit: Edit) -> Edit:
    """The edit checked against the version the coordinator's page was made from."""
    return Edit(edit.kind, edit.slug, edit.raw, request.form.get("fingerprint", "")[:40])


def saved(edit: Edit, action: str, result: Edit, notice: str) -> None:
    """Audit the change with the file's words before and after, and make the next call hear it."""
    record(db(), g.account, action, (edit.kind, edit.slug), result.before, result.after, now=now())
    db().commit()
    directory.invalidate()  # this worker at once; the others when they see the revision bumped by the load
    flash(notice)


def hours_editor(plural: str, slug: str):
    edit = editable(plural, slug)
    return _hours_page(edit, hours_form(edit.raw), ClosureForm())


def _hours_page(edit: Edit, form, closure: ClosureForm, status: int = 200, general: list[str] | None = None):
    zone = ZoneInfo(edit.raw["timezone"])
    moment = now()
    return render_template(
        "console/schedule_hours.html", edit=edit, form=form, closure=closure, general=general or [],
        closures=closure_views(edit.raw, edit.raw["timezone"], moment), countries=country_choices(),
        subdivisions=subdivision_choices(form.holiday_country),
        holidays=holiday_rows(edit.raw, moment.astimezone(zone).date()), back=_back_url(edit),
    ), status


def _back_url(edit: Edit) -> str:
    return url_for("lines.line_page" if edit.kind == "line" else "lines.centre_page", slug=edit.slug)


def save_hours(plural: str, slug: str):
    edit = editable(plural, slug)
    form, parts = read_hours(request.form)
    if request.form.get("add"):  # "another shift" only adds a blank row: nothing is saved yet
        return _hours_page(as_posted(edit), form, ClosureForm())
    if parts is None:
        return _hours_page(as_posted(edit), form, ClosureForm(), 400)
    result = save_edit(db(), as_posted(edit), {**edit.raw, **parts}, ("hours", "holidays"), now())
    if result.problems:
        db().rollback()
        place_hours_problems(form, result.problems)
        return _hours_page(as_posted(edit), form, ClosureForm(), 400)
    if result.before == result.after:
        db().rollback()
        flash("hours.unchanged")
    else:
        saved(edit, "schedule.hours", result, "hours.saved")
    return redirect(url_for("schedules.hours_editor", plural=plural, slug=slug))


def add_closure(plural: str, slug: str):
    edit = editable(plural, slug)
    closure, typed = read_closure(request.form)
    if typed is not None and _ended(typed["to"], edit.raw["timezone"]):
        closure.errors["end"] = t("closure.end_past")
    if closure.errors:
        return _hours_page(as_posted(edit), hours_form(edit.raw), closure, 400)
    existing = list(edit.raw.get("closures") or [])
    result = save_edit(db(), as_posted(edit), {**edit.raw, "closures": existing + [typed]}, ("closures",), now())
    if result.problems:
        db().rollback()
        general = place_closure_problems(closure, result.problems, len(existing))
        return _hours_page(as_posted(edit), hours_form(edit.raw), closure, 400, general)
    saved(edit, "schedule.closure.add", result, "closure.added")
    return redirect(url_for("schedules.hours_editor", plural=plural, slug=slug) + "#closures-title")


def _ended(typed: str, timezone: str) -> bool:
    """A closure already over closes nothing: refused, so nobody believes the line was closed by it."""
    for pattern in LOCAL_FORMATS:
        try:
            end = datetime.strptime(typed, pattern).replace(tzinfo=ZoneInfo(timezone))
        except ValueError:
            continue
        return end <= now()
    return False  # not a date: the loader says so, next to the field


def delete_closure(plural: str, slug: str):
    edit = editable(plural, slug)
    index = request.form.get("index", type=int)
    existing = list(edit.raw.get("closures") or [])
    if index is None or not 0 <= index < len(existing):
        abort(400)
    del existing[index]
    result = save_edit(db(), as_posted(edit), {**edit.raw, "closures": existing}, ("closures",), now())
    if result.problems:
        db().rollback()
        general = [problem_words(p) for p in result.problems]
        return _hours_page(as_posted(edit), hours_form(edit.raw), ClosureForm(), 400, general)
    saved(edit, "schedule.closure.delete", result, "closure.removed")
    return redirect(url_for("schedules.hours_editor", plural=plural, slug=slug) + "#closures-title")
