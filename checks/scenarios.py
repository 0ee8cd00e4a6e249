"""The calls played on every shipped line: boundary times, weekends, nights and the country's public holidays.

Each comes with the keys, dial results and staffing its path needs.

Whether each instant is open or closed is written here from the lines' published hours (shared/seeds, the
README's table), not computed with the engine's code, so that a wrong boundary in the engine shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from checks.call_record import Outcome

PARIS, BRUSSELS = ZoneInfo("Europe/Paris"), ZoneInfo("Europe/Brussels")


@dataclass(frozen=True)
class Line:
    slug: str
    number: str  # the Twilio number the call is placed to (directory_data/lines/*.yaml `numbers`)
    country: str
    tz: ZoneInfo
    pool: str  # the pool its `queue:` rule names, for a listener who keeps the queue open
    listener_phone: str


LINES = {
    "france-victimes": Line("france-victimes", "+33199000116", "FR", PARIS, "france-victimes", "+33612000001"),
    "un-premier-pas": Line("un-premier-pas", "+33199009494", "FR", PARIS, "un-premier-pas", "+33612000002"),
    "ecoute-violences-conjugales": Line("ecoute-violences-conjugales", "+3225550300", "BE", BRUSSELS,
                                        "ecoute-violences-conjugales", "+32470000003"),
    "3977": Line("3977", "+33199003977", "FR", PARIS, "3977", "+33612000004"),
}


@dataclass
class Scenario:
    line: str
    at: tuple[int, int, int, int, int]  # local time of the line
    closed: bool | None  # what the published hours say; None when the call straddles a boundary
    why: str  # what the instant is: "before opening", "Belgian National Day"...
    outcome: Outcome = field(default_factory=Outcome)
    staffed: bool = False  # a listener logged in but paused: the queue is open and nobody is offered
    answered: bool = False  # a listener available, who answers, presses 1, talks, then classifies the call
    language: str = "fr"
    holiday: str = ""  # a word the closed message must contain to say why (the holiday's or closure's name)
    # Why a question may come before the closing: what it offers can happen now although the line is closed
    # (the 3977's postal code while a département centre is open). Empty: the closing comes first.
    question_first: str = ""

    @property
    def label(self) -> str:
        y, mo, d, h, mi = self.at
        state = {True: "closed", False: "open", None: "closes during the call"}[self.closed]
        staff = ", listener paused" if self.staffed else ", a listener answers" if self.answered else ""
        if self.outcome.after_talk != Outcome().after_talk:
            staff += f", webhooks after the talk: {' then '.join(self.outcome.after_talk)}"
        lang = ", English" if self.language == "en" else ""
        return f"{self.line} {y}-{mo:02}-{d:02} {h:02}:{mi:02} ({self.why}: {state}{staff}{lang})"

    def instant(self) -> datetime:
        return datetime(*self.at, tzinfo=LINES[self.line].tz)


QUESTIONS = {  # what a question is about, from its prompt, in either language
    "language": r"For English|Pour le français",
    "triage": r"mineur|under 18",
    "postal": r"code postal|postal code",
    "callback": r"Souhaitez-vous[^?]*rappel|Would you like[^?]*call",
    "repeat": r"réécouter|hear this again",
}


def O(language=(), triage=(), postal=(), callback=(), repeat=(), **kwargs) -> Outcome:  # noqa: N802 — a table
    """The caller's answers, by question: O(postal=["94300#"]) types 94300# the first time a postal code is asked
    and lets it time out after; other questions take ``presses`` in order, then time out."""
    given = {"language": language, "triage": triage, "postal": postal, "callback": callback, "repeat": repeat}
    return Outcome(answers={QUESTIONS[topic]: list(keys) for topic, keys in given.items() if keys}, **kwargs)


# Dated closures added to the shipped line files for the checks (the files' own format, loaded with
# `helpline directory load --from`): a closed reason the shipped files do not have.
CLOSURES = {
    "un-premier-pas": [{"from": "2026-12-01T09:00", "to": "2026-12-01T17:00", "reason": "Formation de l'équipe"}],
    "ecoute-violences-conjugales": [{"from": "2026-12-01T09:00", "to": "2026-12-01T19:00",
                                     "reason": "Formation de l'équipe"}],
}

TUE, SAT, SUN, MON, NIGHT = (2026, 11, 24), (2026, 11, 28), (2026, 11, 22), (2026, 11, 23), (2026, 11, 25, 3, 0)
EVC, FV, UPP, P3977 = "ecoute-violences-conjugales", "france-victimes", "un-premier-pas", "3977"
ROOM_EVC, ROOM_FV, ROOM_UPP, ROOM_3977 = "+3225550301", "+33199000101", "+33199009495", "+33199003901"
BE_107 = "+3225550107"
LISTENER_FIRST = ("dial-action", "queue-action", "caller-status")
STATUS_FIRST = ("caller-status", "dial-action", "queue-action")

SCENARIOS = [
    # Écoute Violences Conjugales (BE): Monday-Friday 9h-19h except Belgian public holidays; closed -> the 107.
    Scenario(EVC, (*TUE, 8, 59), True, "before opening"),
    Scenario(EVC, (*TUE, 9, 0), False, "opening", staffed=True),
    Scenario(EVC, (*TUE, 11, 0), False, "open, a listener free", answered=True),
    Scenario(EVC, (*TUE, 11, 30), False, "open, a listener free", O(after_talk=LISTENER_FIRST), answered=True),
    Scenario(EVC, (*TUE, 11, 45), False, "open, a listener free", O(after_talk=STATUS_FIRST), answered=True),
    Scenario(EVC, (*TUE, 9, 1), False, "open, nobody logged in", O(dial={ROOM_EVC: "busy"})),
    Scenario(EVC, (*TUE, 10, 0), False, "queued, leaves the queue with 0 for a callback",
             O(queue_presses=["0"], callback=["1"], presses=["0470123456#", "1", "1", "1"]), staffed=True),
    # "Just before" calls get quick answers (busy, failed): a 30 s ring would carry the decision past the boundary.
    Scenario(EVC, (*TUE, 18, 59), False, "just before closing", O(dial={ROOM_EVC: "busy", BE_107: "failed"})),
    Scenario(EVC, (*TUE, 19, 0), True, "closing", O(dial={BE_107: "no-answer"})),
    Scenario(EVC, (*TUE, 19, 1), True, "just after closing", O(dial={BE_107: "failed"})),
    Scenario(EVC, (*SAT, 11, 0), True, "weekend"),
    Scenario(EVC, NIGHT, True, "night"),
    Scenario(EVC, (2026, 7, 21, 10, 0), True, "Belgian National Day", holiday="nationale"),
    Scenario(EVC, (2026, 12, 25, 10, 0), True, "Christmas", holiday="Noël"),
    Scenario(EVC, (2026, 11, 11, 10, 0), True, "Armistice", holiday="Armistice"),
    Scenario(EVC, (2026, 12, 1, 10, 0), True, "dated closure", holiday="Formation"),
    # France Victimes 116 006 (FR): 7 days 9h-21h, open on public holidays; closed -> local association read.
    Scenario(FV, (*TUE, 8, 59), True, "before opening", O(postal=["94300#"])),
    Scenario(FV, (*TUE, 9, 0), False, "opening", staffed=True),
    Scenario(FV, (*TUE, 14, 0), False, "open, a listener free", answered=True),
    Scenario(FV, (*TUE, 14, 30), False, "open, a listener free", O(after_talk=LISTENER_FIRST), answered=True),
    Scenario(FV, (*TUE, 14, 45), False, "open, a listener free", O(after_talk=STATUS_FIRST), answered=True),
    Scenario(FV, (*TUE, 20, 59), False, "just before closing", O(dial={ROOM_FV: "busy"})),
    Scenario(FV, (*TUE, 21, 0), True, "closing", O(postal=["#"])),
    Scenario(FV, (*SUN, 21, 30), True, "Sunday evening", O(postal=["94300#"])),
    Scenario(FV, NIGHT, True, "night", O(postal=["75011#"], repeat=["1"])),
    Scenario(FV, (2026, 12, 25, 10, 0), False, "Christmas (open on holidays)", O(dial={ROOM_FV: "no-answer"})),
    Scenario(FV, (2026, 7, 14, 10, 0), False, "Bastille Day (open on holidays)", O(queue_patience=120.0),
             staffed=True),
    Scenario(FV, (*SAT, 10, 0), False, "weekend", O(language=["9"], dial={ROOM_FV: "failed"}), language="en"),
    Scenario(FV, (*TUE, 22, 0), True, "after closing", O(language=["9"], postal=["13001#"]), language="en"),
    # Un premier pas (FR): Monday-Friday 9h-17h, closed on French public holidays; key 2 orients minors.
    Scenario(UPP, (*MON, 8, 59), True, "before opening", O(triage=["1"])),
    Scenario(UPP, (*TUE, 9, 0), False, "opening", O(triage=["1"]), staffed=True),
    Scenario(UPP, (*TUE, 10, 0), False, "minor presses 2", O(triage=["2"])),
    Scenario(UPP, (*TUE, 11, 0), False, "open, a listener free", O(triage=["1"]), answered=True),
    Scenario(UPP, (*TUE, 16, 59), False, "just before closing", O(triage=["1"], dial={ROOM_UPP: "failed"})),
    Scenario(UPP, (*TUE, 17, 0), True, "closing", O(triage=["1"])),
    Scenario(UPP, (*SAT, 11, 0), True, "weekend", O(triage=["1"])),
    Scenario(UPP, NIGHT, True, "night"),
    Scenario(UPP, (2026, 7, 14, 10, 0), True, "Bastille Day", O(triage=["1"]), holiday="nationale"),
    Scenario(UPP, (2026, 12, 25, 10, 0), True, "Christmas", O(triage=["1"]), holiday="Noël"),
    Scenario(UPP, (2026, 12, 1, 10, 0), True, "dated closure", O(triage=["1"]), holiday="Formation"),
    # 3977 (FR): Monday-Friday 9h-19h, weekends 9h-13h and 14h-19h, open on holidays; postal code -> centre.
    Scenario(P3977, (*TUE, 8, 59), True, "before opening", O(postal=["94300#"]),
             question_first="the La Réunion centre is open (11:59 there, 08:00-16:00)"),
    Scenario(P3977, (*TUE, 10, 0), False, "open, centre 94 answers", O(postal=["94300#"])),
    Scenario(P3977, (*TUE, 10, 5), False, "open, centre busy, queued", O(postal=["75011#"], default_dial="busy"),
             staffed=True),
    # The postal-code question takes ~40 s before any decision: 18:57 is the last minute surely decided open.
    Scenario(P3977, (*TUE, 11, 0), False, "open, no centre (#), a listener free", O(postal=["#"]), answered=True),
    Scenario(P3977, (*TUE, 18, 57), False, "just before closing", O(postal=["#"], dial={ROOM_3977: "busy"})),
    Scenario(P3977, (*TUE, 18, 59), None, "the platform rings past 19:00",
             O(dial={ROOM_3977: "no-answer"})),
    Scenario(P3977, (*TUE, 19, 0), True, "closing, callback accepted",
             O(postal=["94300#"], callback=["1"], presses=["1", "1", "1", "1"])),
    Scenario(P3977, (*SAT, 12, 59), False, "Saturday before the lunch break", O(postal=["13001#"])),
    Scenario(P3977, (*SAT, 13, 0), True, "Saturday lunch break", O(postal=["13001#"])),
    Scenario(P3977, (*SAT, 14, 0), False, "Saturday afternoon", O(postal=["20000#"])),
    Scenario(P3977, NIGHT, True, "night"),
    Scenario(P3977, (2026, 11, 22, 20, 0), True, "Sunday evening, callback refused", O(postal=["#"], callback=["2"])),
    Scenario(P3977, (2026, 12, 25, 10, 0), False, "Christmas (open on holidays)", O(postal=["97400#"])),
]
