"""The relay form as typed: checked into CaseFacts, or problems by field in the console's words."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping

from console.texts import t
from routing.callbacks import WINDOWS
from routing.model import Line
from store.cases import CALLER_ROLES, FREQUENCY, MAX_NOTE, MAX_PEOPLE, PEOPLE_ROLES, SINCE, CaseFacts, Person

MAX_LINK = 80
DEPARTMENT = re.compile(r"^(\d{2}|2[AB]|97[1-6])$")  # a French département code as the caller gives it
PEOPLE_ROWS = 4  # empty rows the form offers; a row left empty is ignored


@dataclass(frozen=True)
class Target:
    kind: str  # centre | association
    slug: str
    name: str

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.slug}"


@dataclass
class RelayForm:
    target: str = ""
    caller_role: str = ""
    since: str = "unknown"
    frequency: str = "unknown"
    category: str = ""
    people: list[tuple[str, str]] = field(default_factory=list)
    summary: str = ""
    consent: str = ""  # "yes": the caller agreed that their number goes with the case; "no": they will call back
    window: str = "asap"
    department: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def rows(self) -> list[tuple[str, str]]:
        """The people typed, then empty rows up to PEOPLE_ROWS (at least one)."""
        return self.people + [("", "")] * max(1, PEOPLE_ROWS - len(self.people))


def windows(line: Line) -> tuple[str, ...]:
    return tuple(w for w in (line.callback.windows or ("asap",)) if w == "asap" or w in WINDOWS) or ("asap",)


def _people(values: Mapping[str, str]) -> list[tuple[str, str]]:
    rows = []
    for index in range(MAX_PEOPLE):
        who = values.get(f"who-{index}", "").strip()
        link = " ".join(values.get(f"link-{index}", "").split())[:MAX_LINK]
        if who or link:
            rows.append((who, link))
    return rows


def read_relay(values: Mapping[str, str], line: Line, targets: list[Target]) -> tuple[RelayForm, CaseFacts | None]:
    form = RelayForm(
        target=values.get("target", ""), caller_role=values.get("caller_role", ""),
        since=values.get("since", "unknown"), frequency=values.get("frequency", "unknown"),
        category=values.get("category", ""), people=_people(values),
        summary=values.get("summary", "").strip(), consent=values.get("consent", ""),
        window=values.get("window", "asap"), department=values.get("department", "").strip().upper()[:3],
    )
    chosen = next((target for target in targets if target.key == form.target), None)
    form.since = form.since if form.since in SINCE else "unknown"
    form.frequency = form.frequency if form.frequency in FREQUENCY else "unknown"
    form.window = form.window if form.window in windows(line) else "asap"
    form.errors = _problems(form, line, chosen)
    if form.errors or chosen is None:
        return form, None
    return form, CaseFacts(
        target_kind=chosen.kind, target_slug=chosen.slug, caller_role=form.caller_role, since=form.since,
        frequency=form.frequency, category=form.category or None,
        people=tuple(Person(who, link) for who, link in form.people), summary=form.summary,
        callback_window=form.window,
    )


def _problems(form: RelayForm, line: Line, chosen: Target | None) -> dict[str, str]:
    """Each field's problem in the reader's words; none for a form that can be relayed."""
    checks = {
        "target": (chosen is None, "case.error.target"),
        "department": (bool(form.department) and not DEPARTMENT.match(form.department), "case.error.department"),
        "caller_role": (form.caller_role not in CALLER_ROLES, "case.error.caller_role"),
        "category": (bool(form.category) and form.category not in {c.slug for c in line.categories},
                     "case.error.category"),
        "people": (any(who not in PEOPLE_ROLES for who, _ in form.people), "case.error.people"),
        "consent": (form.consent not in ("yes", "no"), "case.error.consent"),
    }
    problems = {name: t(key) for name, (wrong, key) in checks.items() if wrong}
    if len(form.summary) > MAX_NOTE:
        problems["summary"] = t("case.error.too_long", n=MAX_NOTE)
    return problems


def read_note(values: Mapping[str, str]) -> tuple[str, str | None]:
    """(the note, a problem or None)."""
    text = values.get("note", "").strip()
    if not text:
        return text, t("case.error.note_empty")
    if len(text) > MAX_NOTE:
        return text, t("case.error.too_long", n=MAX_NOTE)
    return text, None
