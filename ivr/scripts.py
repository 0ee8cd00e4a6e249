"""What callers hear on one line, on every path: scenarios played through the real signed webhooks, as text.

`helpline script LINE` prints it; tests/scripts/ holds the reviewed text of every shipped line, and the tests
play the same scenarios through the webhooks and compare word for word, so a change to what callers hear is
a readable diff in review. Scenarios are derived from the line itself (its hours, holidays, chain, menu,
hand-off network, callback rule), all in one reference week so that the text does not depend on today.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays as holiday_calendars
from flask import Flask
from sqlalchemy import delete, select, update

from ivr.simulator import NO_KEY, CallSimulator, SimulatedClock, Transcript
from ivr.spoken import day_name
from phones.numbers import caller_hash
from routing.chain import network_has_open_centre
from routing.model import ActionKind, Line
from schedules import status_at
from store.directory import bump_revision
from store.extension import database, directory
from store.dispatch import WAITING
from store.models import CallerFlag, ClosureRow, LineRow, Listener, ListenerPool, OverrideRow, QueuedCaller

REFERENCE_MONDAY = date(2026, 11, 23)  # an ordinary week, before Christmas; every scenario is set in it or after
# Callers of the scenarios. ARCEP's fiction range for mobiles (06 39 98) is not a valid number to phonenumbers,
# so the callback validation would refuse it: the usual example numbers, never dialled (dispatch is off).
CALLBACK_CALLER = "+33612345678"
TYPED_NUMBER = "0687654321#"
FLAGGED_CALLER = "+33698765432"
STAFF_PHONE = "+331990{:05d}"  # fiction range again: the scenarios' listeners
MARKS = {"say": "says    ", "press": "presses ", "silence": "silence ", "music": "music   ", "dial": "dials   ",
         "whisper": "whisper ", "queue": "queue   ", "hangup": "hangs up", "error": "ERROR   "}  # fmt: skip


@dataclass(frozen=True)
class Scenario:
    """One path through a line: when, who calls, what they press, who answers, what the dialled numbers do."""

    title: dict[str, str]
    at: datetime
    presses: tuple[str, ...] = ()
    staffing: str = "none"  # none (nobody logged in) | available | busy (everyone on a call)
    caller: str = "anonymous"
    outcomes: dict[str, str] = field(default_factory=dict)
    default_outcome: str = "completed"
    waits: tuple[float, ...] = (0.0,)
    queue_result: str = "hangup"
    setup: str | None = None  # closure | override | flag


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


def scenarios(line: Line, language: str, centres=None) -> list[Scenario]:
    """Every path worth hearing on ``line``, derived from its own settings (and the centres it hands off to)."""
    week = _Week(line)
    _open_scenarios(week)
    _closed_scenarios(week)
    if line.handoff_network:
        _handoff_scenarios(week)
    if _has(line, ActionKind.ASSOCIATION):
        _association_scenarios(week)
    if _has(line, ActionKind.CALLBACK):
        _callback_scenarios(week, centres)
    if line.menu is not None:
        _menu_scenarios(week)
    week.add("Appelant signalé par un coordinateur", "Caller flagged by a coordinator", week.open_at,
             caller=FLAGGED_CALLER, setup="flag")
    return week.found


class _Week:
    """The reference week of one line, and the scenarios gathered in it so far, in the order they are heard."""

    def __init__(self, line: Line) -> None:
        self.line = line
        self.tz = ZoneInfo(line.schedule.timezone)
        self.open_at = _first_open(line, [self.day(1, h, m) for h in range(6, 23) for m in (0, 30)]) or self.day(1, 10)
        self.night = self.day(1, 23, 30)
        self.menu = _menu_answer(line)
        self.found: list[Scenario] = []

    def day(self, offset: int, hh: int, mm: int = 0) -> datetime:
        """``hh:mm`` local time, ``offset`` days after the reference Monday."""
        return datetime.combine(REFERENCE_MONDAY + timedelta(days=offset), time(hh, mm), self.tz)

    def open_on(self, offset: int) -> datetime:
        """The Tuesday's open moment, moved to ``offset`` days after the reference Monday."""
        return self.open_at + timedelta(days=offset - 1)

    def add(self, fr: str, en: str, at: datetime, presses: tuple[str, ...] = (), **settings) -> None:
        """A scenario of a caller who first goes through the menu, then presses ``presses``."""
        self.found.append(Scenario({"fr": fr, "en": en}, at, self.menu + presses, **settings))


def _open_scenarios(week: _Week) -> None:
    """While the line is open: answered, nobody there, the queue's waits, each forward failing in each way."""
    line, open_at = week.line, week.open_at
    week.add("Ouvert, un écoutant libre répond", "Open, a free listener answers", open_at, staffing="available",
             queue_result="bridged")
    week.add("Ouvert, aucun écoutant connecté", "Open, no listener logged in", open_at)
    if _has(line, ActionKind.QUEUE):
        _queue_scenarios(week)
    forwards = _forwards(line)
    for index, (number, words) in enumerate(forwards):
        earlier = {n: "no-answer" for n, _ in forwards[:index]}  # a later forward is dialled when these fail
        for outcome, fr, en in (("busy", "occupé", "busy"), ("no-answer", "pas de réponse", "no answer"),
                                ("failed", "échec de l'appel", "the call fails")):
            week.add(f"Ouvert, transfert vers {words['fr']} : {fr}", f"Open, forward to {words['en']}: {en}", open_at,
                     outcomes={**earlier, number: outcome})
    week.add("Ouvert, aucun transfert ne répond", "Open, no forward answers", open_at, default_outcome="no-answer")


def _queue_scenarios(week: _Week) -> None:
    """Every listener busy: the caller waits and is answered, waits too long, or hangs up."""
    queue, open_at = week.line.queue, week.open_at
    every = queue.announce_every
    week.add("Ouvert, tous les écoutants en ligne : l'appelant attend puis est pris",
             "Open, every listener busy: the caller waits, then is answered", open_at, staffing="busy",
             waits=(0, every, 2 * every), queue_result="bridged")
    week.add(f"Ouvert, attente au-delà de {queue.max_wait} s : l'appel passe à la suite",
             f"Open, waiting past {queue.max_wait} s: the call moves on", open_at, staffing="busy",
             waits=(0, queue.max_wait + 1))
    week.add("Ouvert, l'appelant raccroche pendant l'attente", "Open, the caller hangs up while waiting", open_at,
             staffing="busy", queue_result="hangup")


def _closed_scenarios(week: _Week) -> None:
    """Night, weekend, the next public holiday, a dated closure, a coordinator's decision, closed-time forwards."""
    for at, fr, en in ((week.night, "Nuit", "Night"), (week.day(5, 11), "Samedi", "Saturday"),
                       (week.day(6, 15), "Dimanche", "Sunday")):
        week.add(fr, en, at)
    holiday = _next_holiday(week.line, week.tz)
    if holiday is not None:
        week.add(f"Jour férié : {holiday[1]}", f"Public holiday: {holiday[1]}",
                 datetime.combine(holiday[0], week.open_at.timetz()))
    week.add("Fermeture exceptionnelle datée", "Dated closure", week.open_on(2), setup="closure")
    week.add("Fermé par un coordinateur", "Closed by a coordinator", week.open_on(3), setup="override")
    for number, words in _forwards(week.line, closed=True):
        week.add(f"Fermé, transfert vers {words['fr']} : occupé", f"Closed, forward to {words['en']}: busy",
                 week.night, outcomes={number: "busy"})


def _handoff_scenarios(week: _Week) -> None:
    """The hand-off to a département's centre: postal codes of each kind, centres closed or not answering."""
    open_at = week.open_at
    for code, fr, en in (("94300#", "code postal de métropole (94)", "mainland postal code (94)"),
                         ("20000#", "code postal de Corse-du-Sud (2A)", "Corse-du-Sud postal code (2A)"),
                         ("97400#", "code postal de La Réunion (974)", "La Réunion postal code (974)"),
                         ("01000#", "département sans centre (01)", "département without a centre (01)"),
                         ("123#", "code postal invalide", "invalid postal code"), ("#", "sans code postal", "no postal code")):
        week.add(f"Ouvert, {fr}", f"Open, {en}", open_at, (code,))
    week.add("Ouvert, centre du 94 fermé, d'autres ouverts", "Open, the 94 centre closed, others open",
             week.day(1, 17, 15), ("94300#",))
    week.add("Ouvert, tous les centres fermés : le code postal n'est pas demandé",
             "Open, every centre closed: no postal code asked", week.day(5, 10))
    week.add("Ouvert, le centre du 94 ne répond pas", "Open, the 94 centre does not answer", open_at, ("94300#",),
             default_outcome="no-answer")


def _association_scenarios(week: _Week) -> None:
    """The nearest local association, read out at night for postal codes of each kind."""
    for code, fr, en in (("94300#", "94", "94"), ("20000#", "2A", "2A"), ("97400#", "974", "974"), ("#", "aucun", "none")):
        week.add(f"Fermé, association locale, code postal {fr}", f"Closed, local association, postal code {en}",
                 week.night, (code,))


def _callback_scenarios(week: _Week, centres) -> None:
    """The callback offer at night: accepted, with a withheld number typed, refused, not answered."""
    line, night = week.line, week.night
    # The postal code is asked only while a centre of the network is open (routing.chain).
    network = line.handoff_network or line.slug
    lead = ("#",) if line.handoff_network and network_has_open_centre(centres or {}, network, night) else ()
    week.add("Fermé, rappel proposé et accepté", "Closed, callback offered and accepted", night,
             lead + ("1", "1", "1", "2"), caller=CALLBACK_CALLER)
    week.add("Fermé, rappel proposé, numéro masqué : l'appelant le tape", "Closed, callback, withheld number typed",
             night, lead + ("1", TYPED_NUMBER, "1", "1", "2"))
    week.add("Fermé, rappel refusé", "Closed, callback refused", night, lead + ("2",))
    week.add("Fermé, rappel sans réponse", "Closed, callback offer not answered", night, lead + (NO_KEY, NO_KEY))


def _menu_scenarios(week: _Week) -> None:
    """The menu itself (pressed from its start): wrong keys, silence, each option, the quick exit."""
    menu, open_at, found = week.line.menu, week.open_at, week.found
    found.append(Scenario({"fr": "Menu : touche invalide", "en": "Menu: invalid key"}, open_at, ("5", "5", "5")))
    found.append(Scenario({"fr": "Menu : aucune touche", "en": "Menu: no key"}, open_at, (NO_KEY, NO_KEY, NO_KEY)))
    for option in menu.options:
        found.append(Scenario({"fr": f"Menu : touche {option.digit}", "en": f"Menu: key {option.digit}"},
                              open_at, (option.digit,), staffing="available", queue_result="bridged"))
    if week.line.quick_exit_key:
        found.append(Scenario({"fr": "Sortie rapide", "en": "Quick exit"}, open_at, (week.line.quick_exit_key,)))


def _first_open(line: Line, moments: list[datetime]) -> datetime | None:
    """An hour into the first opening of the reference Tuesday (or its first open moment if shorter)."""
    for moment in moments:
        if status_at(line.schedule, moment).is_open:
            later = moment + timedelta(hours=1)
            return later if status_at(line.schedule, later).is_open else moment
    return None


def _menu_answer(line: Line) -> tuple[str, ...]:
    """What a caller who just goes on presses at the menu: nothing where silence goes on at once, else the
    first key that goes on in the line's language."""
    if line.menu is None or line.menu.retries == 0:
        return (NO_KEY,) if line.menu is not None else ()
    option = next((o for o in line.menu.options if o.then == "route" and not o.language), None)
    return (option.digit,) if option else (NO_KEY,)


def _has(line: Line, kind: ActionKind) -> bool:
    return any(rule.action.kind is kind for rule in line.rules)


def _forwards(line: Line, closed: bool = False) -> list[tuple[str, dict[str, str]]]:
    """The numbers the chain forwards to, open or closed, with how the scenario titles name them."""
    found = {}
    for rule in line.rules:
        conditions = {str(w) for w in rule.when}
        if rule.action.kind is not ActionKind.FORWARD or not rule.action.number:
            continue
        if ("closed" in conditions) != closed and ("open" in conditions or "closed" in conditions):
            continue
        if rule.action.label is not None:
            words = {"fr": rule.action.label.get("fr"), "en": rule.action.label.get("en")}
        else:
            words = {"fr": f"le {rule.action.name}", "en": f"the {rule.action.name}"}
        found.setdefault(rule.action.number, words)
    return list(found.items())


def _next_holiday(line: Line, tz: ZoneInfo) -> tuple[date, str] | None:
    """The line's first public holiday on a weekday from the reference week on."""
    calendar = line.schedule.holidays
    if calendar is None:
        return None
    days = holiday_calendars.country_holidays(calendar.country, subdiv=calendar.subdivision, years=(2026, 2027),
                                              language="fr")
    for day in sorted(days):
        if day >= REFERENCE_MONDAY and day.weekday() < 5:
            return day, days[day]
    return None
