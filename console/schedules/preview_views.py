"""The route preview page: "a call on <date, time> from <number>, pressing <keys>, with these numbers busy"."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import abort, render_template, request

from console.blueprint import db, now, require_scope
from console.overview import line_pools
from console.schedules.preview import STAFFING, run_preview
from console.schedules.preview_why import why_rows
from console.texts import t
from directory_data.fields import e164
from ivr.simulator import Transcript
from routing.model import ActionKind, Line
from store.extension import directory

OUTCOMES = ("completed", "busy", "no-answer", "failed")
KEYS = re.compile(r"^[0-9*#]{1,20}$")
MAX_PRESSES = 10
DIALLED = re.compile(r"^(?P<number>\S+) \(caller ID (?P<caller_id>.+), ring (?P<seconds>\d+) s\): (?P<status>\S+)$")
FIXED_WORDS = {"(nothing: timeout)": "preview.no_press", "(only the end key)": "preview.end_key_only",
               "the call ends": "preview.call_ends", "the document ends: Twilio hangs up": "preview.document_ends",
               "the caller's own number": "preview.callers_own_number"}


@dataclass
class PreviewForm:
    day: str
    time: str
    caller: str = ""
    presses: str = ""
    staffing: str = "now"
    outcomes: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def route_preview(slug: str):
    """POST only runs the call: the number typed never appears in a URL (nor so in any access log)."""
    require_scope("line", slug)
    moment = now()
    line = directory.get(db(), moment).lines_by_slug.get(slug)
    if line is None:
        abort(404)
    local = moment.astimezone(ZoneInfo(line.schedule.timezone))
    dialled = dialled_numbers(db(), line, moment)
    form = PreviewForm(local.strftime("%Y-%m-%d"), local.strftime("%H:%M"), outcomes={n: "completed" for n, _ in dialled})
    result, status = None, 200
    if request.method == "POST":
        form = read_preview(request.form, dialled, line.country)
        start = _start(form, line.schedule.timezone)
        if form.errors or start is None:
            status = 400
        else:
            caller = e164(form.caller, line.country) if form.caller else "anonymous"
            result = run_preview(db(), line.numbers[0], start, caller, form.presses.split(),
                                 form.outcomes, form.staffing, line_pools(line))
            db().rollback()  # the preview only read the real database
    return render_template("console/preview.html", line=line, form=form, dialled=dialled, outcomes=OUTCOMES,
                           staffing=STAFFING, result=result, entries=transcript_words(result.transcript) if result
                           else [], timezone=line.schedule.timezone,
                           why=why_rows(result.steps, line, not form.caller, result.outcome) if result else []), status


def dialled_numbers(session, line: Line, moment: datetime) -> list[tuple[str, str]]:
    """Every number the chain may dial, with its name: forwards, the département centres, the emergency fallback."""
    found: dict[str, str] = {}
    for rule in line.rules:
        if rule.action.kind is ActionKind.FORWARD and rule.action.number:
            found.setdefault(rule.action.number, rule.action.label.fr if rule.action.label else rule.action.name or rule.action.number)
        if rule.action.kind is ActionKind.HANDOFF:
            network = line.handoff_network or line.slug
            centres = {c.slug: c for c in directory.get(session, moment).centres.values() if c.network == network}
            for centre in sorted(centres.values(), key=lambda c: c.name):
                found.setdefault(centre.number, centre.name)
    if line.emergency_fallback:
        label = line.emergency_fallback_label
        found.setdefault(line.emergency_fallback, label if label and label != line.emergency_fallback
                         else t("preview.emergency_fallback"))
    return list(found.items())


def read_preview(values, dialled: list[tuple[str, str]], country: str) -> PreviewForm:
    form = PreviewForm(values.get("day", "").strip()[:10], values.get("time", "").strip()[:5],
                       values.get("caller", "").strip()[:32], " ".join(values.get("presses", "").split())[:100],
                       values.get("staffing", "now"))
    if form.staffing not in STAFFING:
        form.staffing = "now"
    for index, (number, _) in enumerate(dialled):
        outcome = values.get(f"outcome-{index}", "completed")
        form.outcomes[number] = outcome if outcome in OUTCOMES else "completed"
    if form.caller and form.caller.lower() != "anonymous" and e164(form.caller, country) is None:
        form.errors["caller"] = t("preview.caller_invalid")
    if form.caller.lower() == "anonymous":
        form.caller = ""
    presses = form.presses.split()
    if len(presses) > MAX_PRESSES or not all(KEYS.match(keys) for keys in presses):
        form.errors["presses"] = t("preview.presses_invalid", n=MAX_PRESSES)
    return form


def _start(form: PreviewForm, timezone: str) -> datetime | None:
    try:
        local = datetime.strptime(f"{form.day}T{form.time}", "%Y-%m-%dT%H:%M")
    except ValueError:
        form.errors["when"] = t("preview.when_invalid")
        return None
    return local.replace(tzinfo=ZoneInfo(timezone))


def transcript_words(transcript: Transcript) -> list[tuple[str, str, str]]:
    """(kind, its label, what happens) for each step, the simulator's own notes put in the console's words."""
    rows = []
    for entry in transcript.entries:
        text = entry.text
        found = DIALLED.match(text) if entry.kind == "dial" else None
        if found:
            caller_id = found["caller_id"]
            text = t("preview.dialled", number=found["number"], seconds=found["seconds"],
                     caller_id=t(FIXED_WORDS[caller_id]) if caller_id in FIXED_WORDS else caller_id,
                     status=t(f"preview.outcome.{found['status']}"))
        elif entry.code is not None:
            text = t(f"preview.{entry.code}", **entry.params)
        elif text in FIXED_WORDS:
            text = t(FIXED_WORDS[text])
        rows.append((entry.kind, t(f"preview.kind.{entry.kind}"), text))
    return rows
