"""The overflow chain editor of a line, and the download of the line's file as the directory export writes it."""

from __future__ import annotations

from flask import Response, abort, redirect, render_template, request, url_for

from console.blueprint import db, now, require_scope
from console.describe import rule_words
from console.schedules.chain_choices import chain_choices, pick_problems, with_current
from console.schedules.chain_form import (
    FLAGS,
    STATES,
    THRESHOLDS,
    ChainForm,
    chain_form,
    place_chain_problems,
    raw_chain,
    read_chain,
)
from console.schedules.hours_views import as_posted, editable, saved
from directory_data.fields import ACTIONS
from store.directory_edits import Edit, line_file, save_edit
from store.extension import directory


def chain_editor(slug: str):
    edit = editable("lines", slug)
    return _chain_page(edit, chain_form(edit.raw))


def _chain_page(edit: Edit, form: ChainForm, status: int = 200):
    snapshot = directory.get(db(), now())
    line = snapshot.lines_by_slug.get(edit.slug)
    in_words = [rule_words(rule) for rule in line.rules] if line is not None else []
    return render_template("console/chain_editor.html", edit=edit, form=form, states=STATES, flags=FLAGS,
                           thresholds=THRESHOLDS, actions=ACTIONS, in_words=in_words, with_current=with_current,
                           choices=chain_choices(db(), snapshot, edit.raw)), status


def save_chain(slug: str):
    """Moves (up, down, remove, add) redraw the draft; only "save" checks it as the loader does and writes it."""
    edit = editable("lines", slug)
    form = read_chain(request.form)
    if request.form.get("op", "save") != "save":
        return _chain_page(as_posted(edit), form)
    rules = raw_chain(form)
    choices = chain_choices(db(), directory.get(db(), now()), edit.raw)
    picked = pick_problems(rules, choices, edit.raw.get("country") or "FR")
    result = save_edit(db(), as_posted(edit), {**edit.raw, "overflow": rules}, ("overflow",), now())
    if result.problems or picked or any(rule.errors for rule in form.rules):
        db().rollback()
        place_chain_problems(form, picked + _not_said_twice(result.problems, picked))
        return _chain_page(as_posted(edit), form, 400)
    saved(edit, "chain.update", result, "chain.saved")
    return redirect(url_for("schedules.chain_editor", slug=slug))


def _not_said_twice(problems, picked):
    """The loader's problems but those the pick lists already name (a forward to the line's published number is
    a self-forward, not also a number nobody approved)."""
    own = {problem.path for problem in picked if problem.code == "self_forward"}
    return [problem for problem in problems
            if not (problem.code == "forward_not_approved" and problem.path.removesuffix(".forward") in own)]


def export_line_file(slug: str):
    """The line's file, byte for byte what `helpline directory export` writes for it."""
    require_scope("line", slug)
    found = line_file(db(), slug)
    if found is None:
        abort(404)
    name, text = found
    return Response(text, mimetype="application/yaml",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
