"""The association form: what a coordinator typed, checked like the file, and who may edit which département."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from console.accounts.records import scope_allows
from console.texts import WEEKDAYS as DAY_NAMES, current_language, t
from directory_data.associations import canonical_association
from directory_data.fields import Problems
from directory_data.opening import WEEKDAYS
from directory_data.reference import load_departments
from store.models import AssociationRow, ConsoleAccount
from store.snapshot import Snapshot

FORM_FIELDS = ("id", "name", "department", "number", "display_number", "hours", "topics")


@dataclass
class AssociationForm:
    """The form as typed, shown again with each error next to its field."""

    id: str = ""
    name: str = ""
    department: str = ""
    number: str = ""
    display_number: str = ""
    hours: dict[str, str] = field(default_factory=dict)  # "mon" -> "09:00-12:30, 13:30-17:00"
    topics: str = ""
    closes_on_holidays: bool = True
    fictitious: bool = False
    errors: dict[str, str] = field(default_factory=dict)

    def day_fields(self) -> list[tuple[str, str, str]]:
        names = DAY_NAMES[current_language()]
        return [(day, names[index], self.hours.get(day, "")) for index, day in enumerate(WEEKDAYS)]


def form_from_row(row: AssociationRow) -> AssociationForm:
    return AssociationForm(
        id=row.slug, name=row.name, department=row.department, number=row.number,
        display_number=row.display_number, hours={day: ", ".join(ranges) for day, ranges in (row.hours or {}).items()},
        topics=", ".join(row.topics or []), closes_on_holidays=bool((row.holidays or {}).get("closes", True)),
        fictitious=row.fictitious,
    )


def read_form(values: Mapping[str, str], slug: str | None = None) -> tuple[AssociationForm, dict[str, Any] | None]:
    """The form as typed and, when valid, the association's canonical document (as the file would hold it)."""
    form = AssociationForm(
        id=slug if slug is not None else values.get("id", "").strip()[:64],
        name=values.get("name", "")[:300], department=values.get("department", "")[:8],
        number=values.get("number", "").strip()[:40], display_number=values.get("display_number", "")[:40],
        hours={day: values.get(f"hours_{day}", "").strip()[:200] for day in WEEKDAYS},
        topics=values.get("topics", "")[:1000], closes_on_holidays=values.get("closes_on_holidays") == "1",
        fictitious=values.get("fictitious") == "1",
    )
    department = load_departments().get(form.department)
    raw = {
        "id": form.id, "name": form.name, "department": form.department, "number": form.number,
        "display_number": form.display_number,
        "hours": {day: [part.strip() for part in text.split(",") if part.strip()]
                  for day, text in form.hours.items() if text},
        "holidays": {"country": department.country if department else "FR",
                     "subdivision": department.holidays_subdivision if department else None,
                     "closes": form.closes_on_holidays},
        "topics": [topic.strip() for topic in form.topics.split(",") if topic.strip()],
        "fictitious": form.fictitious,
    }
    problems = Problems("form")
    doc = canonical_association(raw, "", problems)
    for problem in problems.found:
        # A problem at "hours.mon[0]" → the field it names, with the console's own words for it.
        name = problem.path.split(".")[0].split("[")[0] if problem.path else "other"
        key = name if name in FORM_FIELDS and name != "display_number" else "other"
        form.errors.setdefault(key, t(f"association.invalid.{key}"))
    return form, (doc if not form.errors else None)


def editable_departments(account: ConsoleAccount, snapshot: Snapshot) -> frozenset[str] | None:
    """The départements whose associations the account may change: None for all (admins); a coordinator,
    those of the centres in their scope; nobody else any."""
    if account.role == "admin":
        return None
    if account.role != "coordinator":
        return frozenset()
    return frozenset(code for centre in snapshot.centres.values() if scope_allows(account, "centre", centre.slug)
                     for code in centre.departments)


def may_edit(allowed: frozenset[str] | None, department: str) -> bool:
    return allowed is None or department in allowed


def department_choices(allowed: frozenset[str] | None) -> list[tuple[str, str]]:
    """(code, "94 — Val-de-Marne") for the form's list: every one for admins, the centres' for coordinators."""
    return [(code, f"{code} — {d.name}") for code, d in load_departments().items() if may_edit(allowed, code)]
