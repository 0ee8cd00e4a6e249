"""What callers hear on one line, on every path: scenarios played through the real signed webhooks, as text.

`helpline script LINE` prints it; tests/scripts/ holds the reviewed text of every shipped line, and the tests
play the same scenarios through the webhooks and compare word for word, so a change to what callers hear is
a readable diff in review. Scenarios are derived from the line itself (its hours, holidays, chain, menu,
hand-off network, callback rule), all in one reference week so that the text does not depend on today
(ivr/scenarios.py); this module plays them and writes what was heard.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import delete, select, update

from ivr.scenarios import Scenario, scenarios
from ivr.simulator import CallSimulator, SimulatedClock, Transcript
from ivr.spoken import day_name
from phones.numbers import caller_hash
from routing.model import Line
from store.directory import bump_revision
from store.extension import database, directory
from store.dispatch import WAITING
from store.models import CallerFlag, ClosureRow, LineRow, Listener, ListenerPool, OverrideRow, QueuedCaller

STAFF_PHONE = "+331990{:05d}"  # the scenarios' listeners, in the fiction range (never dialled: dispatch is off)
MARKS = {"say": "says    ", "press": "presses ", "silence": "silence ", "music": "music   ", "dial": "dials   ",
         "whisper": "whisper ", "queue": "queue   ", "hangup": "hangs up", "error": "ERROR   "}  # fmt: skip


@dataclass(frozen=True)
class Heard:
    """One scenario as played: its title and local time in the caller's language, and the transcript."""

    title: str
    when: str  # "mardi 2026-11-24 10:00", in the line's time zone
    transcript: Transcript


def play_all(app: Flask, slug: str, language: str = "fr") -> list[Heard]:
    """Every scenario of the line ``slug`` played on ``app``, whose database it writes to (use a sandbox)."""
    with app.app_context(), database.session() as session:
        snapshot = directory.get(session, app.config["CLOCK"]())
        line = snapshot.lines_by_slug[slug]
    heard = []
    for scenario in scenarios(line, language, snapshot.centres):
        local = scenario.at.astimezone(ZoneInfo(line.schedule.timezone))
        heard.append(Heard(scenario.title[language], f"{day_name(local.weekday(), language)} {local:%Y-%m-%d %H:%M}",
                           play(app, line, scenario, language)))
    return heard


def script(app: Flask, slug: str, language: str = "fr") -> str:
    """Every scenario of the line ``slug`` played on ``app``, as the reviewed text of tests/scripts/."""
    with app.app_context(), database.session() as session:
        line = directory.get(session, app.config["CLOCK"]()).lines_by_slug[slug]
    words = "in French" if language == "fr" else "in English"
    out = [f"# What callers hear on {line.name} ({line.display_number}), {words}.",
           f"# Made by `helpline script {slug}{' --lang en' if language == 'en' else ''}`; "
           "tests/ivr/test_caller_scripts.py plays the same calls through the signed webhooks and compares.", ""]
    for number, heard in enumerate(play_all(app, slug, language), start=1):
        out.append(f"## {number}. {heard.title} — {heard.when}")
        out += [f"  {MARKS.get(e.kind, e.kind)}  {e.text}" for e in heard.transcript.entries]
        out.append("")
    return "\n".join(out)


def play(app: Flask, line: Line, scenario: Scenario, language: str) -> Transcript:
    clock = SimulatedClock(scenario.at)
    previous = app.config["CLOCK"], app.config.get("DISPATCH_MODE")
    app.config["CLOCK"], app.config["DISPATCH_MODE"] = clock, "off"  # nobody real is ever rung
    try:
        with app.app_context():
            _prepare(app, line, scenario)
            entry = "/voice/incoming" + ("?l=en" if language == "en" else "")
            try:
                return CallSimulator(app, to=line.numbers[0], caller=scenario.caller, presses=list(scenario.presses),
                                     outcomes=scenario.outcomes, default_outcome=scenario.default_outcome,
                                     queue_result=scenario.queue_result, clock=clock, entry=entry,
                                     waits=list(scenario.waits)).run()
            finally:
                _undo(scenario)
    finally:
        app.config["CLOCK"], app.config["DISPATCH_MODE"] = previous


def _prepare(app: Flask, line: Line, scenario: Scenario) -> None:
    """The world the scenario needs: the pool's listeners, a dated closure, a coordinator's decision, a flag."""
    now = scenario.at
    with database.session() as session:
        session.execute(update(Listener).values(status="offline"))
        # Each scenario's caller is alone in the queue: the earlier scenarios' callers have moved on.
        session.execute(update(QueuedCaller).where(QueuedCaller.status.in_(WAITING)).values(status="moved_on"))
        if scenario.staffing != "none":
            status = "available" if scenario.staffing == "available" else "on_call"
            count = session.scalar(select(Listener.id).order_by(Listener.id.desc()).limit(1)) or 0
            session.add(Listener(name=f"script {count + 1}", phone=STAFF_PHONE.format(count + 1), status=status,
                                 status_since=now - timedelta(minutes=5), idle_since=now - timedelta(minutes=5),
                                 pools=[ListenerPool(pool=line.pool)]))
        row = session.scalar(select(LineRow).where(LineRow.slug == line.slug))
        if scenario.setup == "closure":
            row.schedule.closures.append(ClosureRow(starts_at=now - timedelta(hours=3), ends_at=now + timedelta(hours=5),
                                                    reason="formation de l'équipe"))
            bump_revision(session, now)
        elif scenario.setup == "override":
            row.schedule.overrides.append(OverrideRow(mode="closed", starts_at=now - timedelta(hours=1),
                                                      until=now + timedelta(hours=2), reason="réunion d'équipe",
                                                      created_by="script"))
            bump_revision(session, now)
        elif scenario.setup == "flag":
            session.add(CallerFlag(line_id=row.id, caller_hash=caller_hash(scenario.caller, app.config["NUMBER_PEPPER"]),
                                   action="message_end", reason="appels répétés", created_at=now,
                                   expires_at=now + timedelta(days=30), created_by="script"))
        session.commit()
    directory.invalidate()  # as a console edit does: this worker hears it at once


def _undo(scenario: Scenario) -> None:
    """Each scenario starts from the line as loaded: its closure, decision or flag goes when it ends."""
    if scenario.setup is None:
        return
    with database.session() as session:
        for model in (ClosureRow, OverrideRow, CallerFlag):
            session.execute(delete(model))
        bump_revision(session, scenario.at)
        session.commit()
    directory.invalidate()


