"""A line's calls offered to pairs of listeners (queue.offer_to_pair, issue 14 §2), set by its coordinators: an edit
of the line's file like any other (store/directory_edits.py: the loader's checks, a directory version, refused over
someone else's newer change), audited with the queue section before and after."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for

from console.audit import record
from console.blueprint import db, now, require_scope
from console.schedules.problems import problem_words
from store.directory_edits import Edit, save_edit, start_edit
from store.extension import directory


def _queue_with(raw: dict, on: bool) -> dict:
    """The line's document with its queue section as the file would say it: the key only when on."""
    queue = {key: value for key, value in (raw.get("queue") or {}).items() if key != "offer_to_pair"}
    if on:
        queue["offer_to_pair"] = True
    changed = {**raw, "queue": queue}
    if not queue:
        del changed["queue"]
    return changed


def _page(edit: Edit, on: bool, errors: list, status: int = 200):
    return render_template("console/line_pairs.html", slug=edit.slug, name=edit.raw["name"], on=on, errors=errors,
                           fingerprint=edit.fingerprint), status


def pairs_page(slug: str):
    require_scope("line", slug)
    edit = start_edit(db(), "line", slug)
    if edit is None:
        abort(404)
    if request.method == "GET":
        return _page(edit, bool((edit.raw.get("queue") or {}).get("offer_to_pair")), [])
    wanted = request.form.get("offer_to_pair") == "on"
    typed = Edit(edit.kind, edit.slug, edit.raw, request.form.get("fingerprint", "")[:40])
    result = save_edit(db(), typed, _queue_with(edit.raw, wanted), ("queue",), now())
    if result.problems:
        db().rollback()
        return _page(edit, wanted, [("offer_to_pair", problem_words(p)) for p in result.problems], 400)
    record(db(), g.account, "pairs.update", ("line", slug), result.before, result.after, now=now())
    db().commit()
    directory.invalidate()  # this worker at once; the others when they see the revision the save moved
    flash("pairs.saved_on" if wanted else "pairs.saved_off")
    return redirect(url_for("lines.pairs_page", slug=slug))
