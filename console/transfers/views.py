"""A line's transfer numbers edited in the console: the same checks as its file, written back to the line."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from console.audit import record
from console.blueprint import db, now, require_scope
from console.schedules.problems import problem_words
from console.texts import t
from directory_data.fields import Problems
from directory_data.transfers import MAX_TRANSFER_NUMBERS, check_transfer_numbers
from store.directory import bump_revision
from store.directory_edits import Problem
from store.extension import directory
from store.models import LineRow
from store.revisions import Change, note, row_text

FIELDS = ("number", "fr", "en")
ROW_PATH = re.compile(r"^transfer_numbers(?:\[(\d+)\])?")


@dataclass
class TransferNumbersForm:
    rows: list[dict[str, str]]  # as typed, nine of them (the empty ones for adding)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (the field at fault's id, the words)


def _form_from_line(entries: list[dict[str, Any]]) -> TransferNumbersForm:
    rows = [{"number": e["number"], "fr": e["label"].get("fr", ""), "en": e["label"].get("en", "")} for e in entries]
    return TransferNumbersForm(rows + [dict.fromkeys(FIELDS, "") for _ in range(MAX_TRANSFER_NUMBERS - len(rows))])


def _read_form(values: Mapping[str, str], line) -> tuple[TransferNumbersForm, list[dict[str, Any]]]:
    rows = []
    for index in range(MAX_TRANSFER_NUMBERS + 3):  # a tampered form may send more rows: counted, then refused
        row = {name: " ".join(values.get(f"{name}_{index}", "").split())[:200] for name in FIELDS}
        if index < MAX_TRANSFER_NUMBERS or any(row.values()):
            rows.append(row)
    filled = [index for index, row in enumerate(rows) if any(row.values())]  # the form's row of each entry
    typed = [{"number": rows[i]["number"], "label": {k: rows[i][k] for k in ("fr", "en") if rows[i][k]} or None}
             for i in filled]
    problems = Problems(t("transfers.form"))
    entries = check_transfer_numbers(typed, line.country, line.numbers, line.languages, problems)
    form = TransferNumbersForm(rows)
    form.errors = [_at_fault(problem, filled) for problem in problems.found]
    return form, entries


def _at_fault(problem, filled: list[int]) -> tuple[str, str]:
    """"transfer_numbers[2].label.en" → ("en_5", "Ligne 6 : …"): the field the error summary links to, and the
    words in the account's language, naming the row as the form numbers it (blank rows skipped by the check)."""
    found = ROW_PATH.match(problem.path)
    words = problem_words(Problem(problem.path, problem.code, problem.values))
    if found is None or found.group(1) is None or int(found.group(1)) >= len(filled):
        return "number_0", words
    row = filled[int(found.group(1))]
    rest = problem.path[found.end():]
    language = rest.removeprefix(".label.") if rest.startswith(".label.") else str(problem.values.get("value", ""))
    field_name = language if rest.startswith(".label") and language in ("fr", "en") else "number"
    return f"{field_name}_{row}", f"{t('transfers.row', n=row + 1)} : {words}"


def transfer_numbers_page(slug: str):
    require_scope("line", slug)
    row = db().scalar(select(LineRow).where(LineRow.slug == slug).with_for_update())
    line = directory.get(db(), now()).lines_by_slug.get(slug)
    if row is None or line is None:
        abort(404)
    before = list((row.settings or {}).get("transfer_numbers") or [])
    if request.method == "GET":
        return render_template("console/transfer_numbers.html", line=line, form=_form_from_line(before))
    form, entries = _read_form(request.form, line)
    if form.errors:
        db().rollback()
        return render_template("console/transfer_numbers.html", line=line, form=form), 400
    if entries == before:
        db().rollback()
        flash("transfers.unchanged")
    else:
        text_before = row_text("line", row)
        row.settings = {**(row.settings or {}), "transfer_numbers": entries}
        db().flush()
        bump_revision(db(), now())
        note(db(), "line", row.slug, text_before, row_text("line", row), Change(g.account.email, "console",
                                                                                 "transfer numbers"), now())
        record(db(), g.account, "transfer_numbers.update", ("line", row.slug),
               {"transfer_numbers": [f"{e['number']}: {e['label']['fr']}" for e in before]},
               {"transfer_numbers": [f"{e['number']}: {e['label']['fr']}" for e in entries]}, now=now())
        db().commit()
        directory.invalidate()
        flash("transfers.saved")
    return redirect(url_for("transfers.transfer_numbers_page", slug=slug))
