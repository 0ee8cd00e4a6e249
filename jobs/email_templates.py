"""The texts of the engine's emails, French then English, from plain values; a number only if given."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from routing.model import Line

WINDOWS = {
    "asap": ("dès que possible", "as soon as possible"),
    "morning": ("matin", "morning"),
    "afternoon": ("après-midi", "afternoon"),
    "evening": ("soirée", "evening"),
}
CLOSED_REASONS = {
    "outside_hours": ("en dehors des horaires", "outside opening hours"),
    "holiday": ("jour férié", "public holiday"),
    "closure": ("fermeture exceptionnelle", "exceptional closure"),
    "override_closed": ("fermeture décidée par la coordination", "closed by a coordinator"),
}
FOOTER = ("Message automatique du standard téléphonique de la ligne : merci de ne pas y répondre.",
          "Automatic message from the line's phone engine: please do not reply.")
SEPARATOR = "—" * 20


@dataclass(frozen=True, slots=True)
class Email:
    subject: str
    body: str


@dataclass(frozen=True, slots=True)
class CallbackFacts:
    requested_at: datetime
    window: str
    message_allowed: bool
    department: str | None = None
    number: str | None = None  # already formatted; only when the line's settings allow it


@dataclass(frozen=True, slots=True)
class DayCounts:
    """One local day of a line, counted: calls by how they ended, callback requests by where they stand."""

    calls: int = 0
    answered: int = 0
    forwarded: int = 0
    handed_off: int = 0
    abandoned: int = 0
    after_hours: int = 0
    callbacks: int = 0
    callbacks_pending: int = 0
    callbacks_reached: int = 0
    callbacks_expired: int = 0
    callbacks_open_all_days: int = 0


def _local(line: Line, moment: datetime) -> datetime:
    return moment.astimezone(ZoneInfo(line.schedule.timezone))


def _when(line: Line, moment: datetime) -> tuple[str, str]:
    local = _local(line, moment)
    day, clock = local.strftime("%d/%m/%Y"), local.strftime("%H:%M")
    return f"le {day} à {clock}", f"on {day} at {clock}, {line.schedule.timezone} time"


def _yes_no(value: bool) -> tuple[str, str]:
    return ("oui", "yes") if value else ("non", "no")


def _compose(line: Line, french_title: str, english_title: str, french: list[str], english: list[str]) -> Email:
    body = "\n".join([
        line.name, "", *french, "", FOOTER[0], "", SEPARATOR, "", *english, "", FOOTER[1], "",
    ])
    return Email(f"[{line.name}] {french_title} / {english_title}", body)


def after_hours_call(line: Line, received_at: datetime, closed_reason: str | None) -> Email:
    fr_when, en_when = _when(line, received_at)
    fr_reason, en_reason = CLOSED_REASONS.get(closed_reason or "", (None, None))
    french = f"Appel reçu hors des heures d'ouverture {fr_when}"
    english = f"Call received outside opening hours {en_when}"
    if fr_reason:
        french += f" (motif : {fr_reason})"
        english += f" (reason: {en_reason})"
    return _compose(line, "Appel hors horaires", "After-hours call",
                    [french + "."], [english + "."])


def callback_request(line: Line, facts: CallbackFacts) -> Email:
    fr_when, en_when = _when(line, facts.requested_at)
    fr_window, en_window = WINDOWS.get(facts.window, (facts.window, facts.window))
    fr_message, en_message = _yes_no(facts.message_allowed)
    french = [f"Demande de rappel reçue {fr_when}, créneau : {fr_window}, message autorisé : {fr_message}."]
    english = [f"Callback request received {en_when}, window: {en_window}, message allowed: {en_message}."]
    if facts.department:
        french.append(f"Département : {facts.department}.")
        english.append(f"Department: {facts.department}.")
    if facts.number:
        french.append(f"Numéro à rappeler : {facts.number}")
        english.append(f"Number to call back: {facts.number}")
    return _compose(line, "Demande de rappel", "Callback request", french, english)


def daily_digest(line: Line, day: date, counts: DayCounts) -> Email:
    shown = day.strftime("%d/%m/%Y")
    french = [
        f"Bilan du {shown} :",
        f"- appels reçus : {counts.calls}",
        f"  - répondus par un écoutant : {counts.answered}",
        f"  - transférés : {counts.forwarded}",
        f"  - orientés vers un centre départemental : {counts.handed_off}",
        f"  - raccrochés en attente : {counts.abandoned}",
        f"  - hors des heures d'ouverture : {counts.after_hours}",
        f"- demandes de rappel reçues : {counts.callbacks}",
        f"  - en attente : {counts.callbacks_pending}",
        f"  - rappelés : {counts.callbacks_reached}",
        f"  - expirées : {counts.callbacks_expired}",
        f"- demandes de rappel en attente, toutes dates : {counts.callbacks_open_all_days}",
    ]
    english = [
        f"Summary of {shown} ({line.schedule.timezone} time):",
        f"- calls received: {counts.calls}",
        f"  - answered by a listener: {counts.answered}",
        f"  - forwarded: {counts.forwarded}",
        f"  - handed off to a department centre: {counts.handed_off}",
        f"  - hung up while waiting: {counts.abandoned}",
        f"  - outside opening hours: {counts.after_hours}",
        f"- callback requests received: {counts.callbacks}",
        f"  - pending: {counts.callbacks_pending}",
        f"  - reached: {counts.callbacks_reached}",
        f"  - expired: {counts.callbacks_expired}",
        f"- callback requests pending, all days: {counts.callbacks_open_all_days}",
    ]
    return _compose(line, f"Bilan du {shown}", "Daily summary", french, english)
