"""A line's calls offered to pairs of listeners (queue.offer_to_pair, issue 14 §2), set by its coordinators: the same
check as the line's file, written back to the line as a directory version, audited."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from console.audit import record
from console.blueprint import db, now, require_scope
from console.schedules.problems import problem_words
from console.texts import t
from directory_data.fields import Problems
from directory_data.pools import check_queue
from store.directory import bump_revision
from store.directory_edits import Problem
from store.extension import directory
from store.models import LineRow
from store.revisions import Change, note, row_text


def _with_pairs(queue: dict, on: bool) -> dict:
    """The line's queue section as its file would say it: the key written only when on, so files stay short."""
    changed = {key: value for key, value in queue.items() if key != "offer_to_pair"}
    return {**changed, "offer_to_pair": True} if on else changed


def pairs_page(slug: str):
    require_scope("line", slug)
    row = db().scalar(select(LineRow).where(LineRow.slug == slug).with_for_update())
    line = directory.get(db(), now()).lines_by_slug.get(slug)
    if row is None or line is None:
        abort(404)
    queue = dict((row.settings or {}).get("queue") or {})
    before = bool(queue.get("offer_to_pair"))
    if request.method == "GET":
        return render_template("console/line_pairs.html", line=line, on=before, errors=[])
    wanted = request.form.get("offer_to_pair") == "on"
    problems = Problems(t("pairs.form"))
    check_queue(_with_pairs(queue, wanted), problems)
    errors = [("offer_to_pair", problem_words(Problem(p.path, p.code, p.values))) for p in problems.found]
    if errors:
        db().rollback()
        return render_template("console/line_pairs.html", line=line, on=wanted, errors=errors), 400
    if wanted == before:
        db().rollback()
        flash("pairs.unchanged")
        return redirect(url_for("lines.pairs_page", slug=slug))
    text_before = row_text("line", row)
    settings = {**(row.settings or {}), "queue": _with_pairs(queue, wanted)}
    if not settings["queue"]:
        del settings["queue"]
    row.settings = settings
    db().flush()
    bump_revision(db(), now())
    note(db(), "line", row.slug, text_before, row_text("line", row), Change(g.account.email, "console", "pairs"), now())
    record(db(), g.account, "pairs.update", ("line", row.slug), {"offer_to_pair": before}, {"offer_to_pair": wanted},
           now=now())
    db().commit()
    directory.invalidate()
    flash("pairs.saved_on" if wanted else "pairs.saved_off")
    return redirect(url_for("lines.pairs_page", slug=slug))
