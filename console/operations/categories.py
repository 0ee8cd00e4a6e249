"""A line's call categories edited in the console: the same checks as its file, written back to the line."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.audit import record
from console.texts import t
from directory_data.categories import MAX_CATEGORIES, check_categories
from directory_data.fields import Problems
from directory_data.problems import Problem
from store.directory import bump_revision
from store.revisions import Change, note, row_text
from store.models import ConsoleAccount, LineRow

FIELDS = ("id", "fr", "en")
CATEGORY_PATH = re.compile(r"^categories(?:\[(\d+)\])?(?:\.(\w+))?$")


@dataclass
class CategoriesForm:
    """The rows as typed (nine, the empty ones for adding), and the problems found, for the page."""

    rows: list[dict[str, str]]
    errors: list[str] = field(default_factory=list)


def form_from_line(categories: list[dict[str, Any]]) -> CategoriesForm:
    rows = [{name: str(category.get(name) or "") for name in FIELDS} for category in categories]
    return CategoriesForm(rows + [{name: "" for name in FIELDS} for _ in range(MAX_CATEGORIES - len(rows))])


def read_form(values: Mapping[str, str]) -> tuple[CategoriesForm, list[dict[str, Any]]]:
    """The typed rows and, when they are valid, the categories to save (empty rows left out)."""
    rows = []
    for index in range(MAX_CATEGORIES + 3):  # a tampered form may send more rows: counted, then refused
        row = {name: " ".join(values.get(f"{name}_{index}", "").split())[:200] for name in FIELDS}
        if index < MAX_CATEGORIES or any(row.values()):
            rows.append(row)
    typed = [row for row in rows if any(row.values())]
    problems = Problems(t("categories.form"))
    categories = check_categories([{k: v for k, v in row.items() if v} for row in typed], problems)
    form = CategoriesForm(rows[:max(MAX_CATEGORIES, len(rows))])
    form.errors = [_plain(problem) for problem in problems.found]
    return form, categories


def _plain(problem: Problem) -> str:
    """A problem at "categories[2].id" → "Ligne 3 (id) : required..." for people, not files."""
    found = CATEGORY_PATH.match(problem.path)
    if not found:
        return str(problem)
    index, name = found.groups()
    where = t("categories.row", n=int(index) + 1) if index is not None else t("categories.list")
    return f"{where}{' (' + name + ')' if name else ''} : {problem.words}"


def line_categories(session: Session, slug: str) -> tuple[LineRow | None, list[dict[str, Any]]]:
    row = session.scalar(select(LineRow).where(LineRow.slug == slug).with_for_update())
    return row, list((row.settings or {}).get("categories") or []) if row is not None else []


def save_categories(session: Session, account: ConsoleAccount, row: LineRow, categories: list[dict[str, Any]],
                    now: datetime) -> bool:
    """Write the list into the line (its file gets it on the next export), reload every worker, audit."""
    before = list((row.settings or {}).get("categories") or [])
    if before == categories:
        return False
    text_before = row_text("line", row)
    row.settings = {**(row.settings or {}), "categories": categories}
    session.flush()
    bump_revision(session, now)
    note(session, "line", row.slug, text_before, row_text("line", row), Change(account.email, "console", "categories"),
         now)
    record(session, account, "categories.update", ("line", row.slug),
           {"categories": [f"{c['id']}: {c['fr']}" for c in before]},
           {"categories": [f"{c['id']}: {c['fr']}" for c in categories]}, now=now)
    return True
