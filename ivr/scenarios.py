"""Every path worth hearing on one line, derived from the line itself: the scenarios `helpline script` plays.

Open, queued, closed, handed off, oriented to an association, called back, through the menu, flagged: each family
of paths is read from the line's hours, holidays, chain, menu, hand-off network and callback rule, all in one
reference week (REFERENCE_MONDAY) so that the script does not depend on today. ivr/scripts.py plays them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


from ivr.simulator import NO_KEY
from routing.chain import network_has_open_centre
from routing.model import ActionKind, Line
from schedules import status_at

REFERENCE_MONDAY = date(2026, 11, 23)  # an ordinary week, before Christmas; every scenario is set in it or after
# Callers of the scenarios. ARCEP's fiction range for mobiles (06 39 98) is not a valid number to phonenumbers,
# so the callback validation would refuse it: the usual example numbers, never dialled (dispatch is off).
CALLBACK_CALLER = "+33612345678"
TYPED_NUMBER = "0687654321#"
FLAGGED_CALLER = "+33698765432"


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
    import holidays as holiday_calendars  # 17 MB: imported only where the library itself is asked
    days = holiday_calendars.country_holidays(calendar.country, subdiv=calendar.subdivision, years=(2026, 2027),
                                              language="fr")
    for day in sorted(days):
        if day >= REFERENCE_MONDAY and day.weekday() < 5:
            return day, days[day]
    return None
