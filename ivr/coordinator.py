"""The coordinators' service number: caller ID and PIN, the state of their lines, and close / force open / lift.

A coordinator calls the service number (service_numbers.yaml), is recognised by the keyed HMAC of their
caller ID and their PIN, hears every line in their scope in their account's language, picks one by key and
closes it or forces it open until a time (HHMM, the next such moment in the line's time zone) or until the
next scheduled change — through the very function the console uses, so the audit log cannot tell them apart.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from functools import wraps
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr import prompts
from ivr.coordinator_call import (
    Speaker,
    audit_words,
    caller_key,
    counted,
    next_time_of_day,
    signed_in_account,
    step_url,
    token_serializer,
)
from ivr.security import twilio_only
from ivr.twiml import field, never_fail, twiml
from routing.model import Line
from schedules import Schedule, status_at
from store.accounts import scope_allows
from store.associations import is_coordinator_number
from store.coordinator_phone import check_phone_pin
from store.extension import database, directory
from store.models import ConsoleAccount, LineRow
from store.overrides import active_rows, lift_override, place_override, schedule_as_saved

PIN_TRIES = 3  # per call; wrong PINs also count across calls towards the lockout
MENU_TRIES = 3
TIMEOUT = 8

coordinator = Blueprint("coordinator", __name__, url_prefix="/voice/coordinator")


def service_call(session: Session, to: str) -> Response | None:
    """The TwiML answer on the service number (None for any other number): everybody is asked the PIN."""
    if not is_coordinator_number(session, to):
        return None
    return _ask_pin(Speaker("fr"), 0, "coordinator_welcome")


def _ask_pin(speaker: Speaker, tries: int, *before: str):
    gather = speaker.response.gather(input="dtmf", finish_on_key="#", timeout=TIMEOUT,
                                     action=step_url("coordinator_pin", n=tries), method="POST")
    for key in before:
        speaker.say(gather, key)
    speaker.response.redirect(step_url("coordinator_pin", n=tries), method="POST")
    return twiml(speaker.response)


@coordinator.route("/pin", methods=("GET", "POST"))
@twilio_only
@never_fail("listener")
def coordinator_pin():
    now = current_app.config["CLOCK"]()
    with database.session() as session:
        verdict, account = check_phone_pin(session, caller_key(), field("Digits")[:32], now)
        session.commit()
        if verdict == "ok":
            token = token_serializer().dumps({"a": account.id, "c": field("CallSid")})
            return _lines_menu(session, account, token, now)
    if verdict == "locked":
        current_app.logger.warning("coordinator phone: PIN locked")
        return Speaker("fr").end("presence_locked")
    tries = counted("n") + 1
    if tries >= PIN_TRIES:
        return Speaker("fr").end("presence_locked")
    return _ask_pin(Speaker("fr"), tries, "presence_wrong_pin", "presence_enter_pin")


def _visible_lines(session: Session, account: ConsoleAccount, now: datetime) -> list[Line]:
    snapshot = directory.get(session, now)
    lines = [line for line in snapshot.lines_by_slug.values() if scope_allows(account, "line", line.slug)]
    return sorted(lines, key=lambda line: line.name)


def _state(speaker: Speaker, target, key: int | str, line: Line, schedule: Schedule, now: datetime) -> None:
    status = status_at(schedule, now)
    speaker.say(target, "coordinator_line_state", key=key, line_name=line.name, reason=status.reason.value,
                detail=status.detail, reopens=status.changes_at, now=_local(now, line))


def _local(now: datetime, line: Line) -> datetime:
    return now.astimezone(ZoneInfo(line.schedule.timezone))


def _lines_menu(session: Session, account: ConsoleAccount, token: str, now: datetime, *before: str, misses: int = 0,
                speaker: Speaker | None = None):
    speaker = speaker or Speaker(account.language)
    lines = _visible_lines(session, account, now)
    if not lines:
        return speaker.end("coordinator_no_lines")
    gather = speaker.response.gather(input="dtmf", num_digits=len(str(len(lines))), timeout=TIMEOUT,
                                     action=step_url("coordinator_choose", t=token, n=misses), method="POST")
    for key in before:
        speaker.say(gather, key)
    for index, line in enumerate(lines, start=1):
        _state(speaker, gather, index, line, line.schedule, now)
    speaker.say(gather, "coordinator_choose_line")
    speaker.response.redirect(step_url("coordinator_choose", t=token, n=misses), method="POST")
    return twiml(speaker.response)


@coordinator.route("/choose", methods=("GET", "POST"))
@twilio_only
@never_fail("listener")
def coordinator_choose():
    now = current_app.config["CLOCK"]()
    token = (request.args.get("t") or "")[:400]
    with database.session() as session:
        account = signed_in_account(session)
        if account is None:
            return Speaker("fr").end("presence_goodbye")
        digits = field("Digits")[:4]
        lines = _visible_lines(session, account, now)
        if digits.isascii() and digits.isdigit() and 1 <= int(digits) <= len(lines):
            return _line_menu(session, account, token, lines[int(digits) - 1], now)
        misses = 0 if digits == "0" else counted("n") + 1
        if misses >= MENU_TRIES:
            return Speaker(account.language).end("presence_goodbye")
        before = () if digits == "0" else ("menu_invalid" if digits else "menu_no_input",)
        return _lines_menu(session, account, token, now, *before, misses=misses)


def _line_row(session: Session, slug: str) -> int | None:
    return session.scalar(select(LineRow.schedule_id).where(LineRow.slug == slug))


def _line_menu(session: Session, account: ConsoleAccount, token: str, line: Line, now: datetime, *before: str,
               misses: int = 0):
    speaker = Speaker(account.language)
    schedule_id = _line_row(session, line.slug)
    schedule = schedule_as_saved(session, line.schedule, schedule_id, now)
    gather = speaker.response.gather(input="dtmf", num_digits=1, timeout=TIMEOUT, method="POST",
                                     action=step_url("coordinator_act", t=token, line=line.slug, n=misses))
    for key in before:
        speaker.say(gather, key)
    _state(speaker, gather, "", line, schedule, now)
    speaker.say(gather, "coordinator_line_menu")
    if active_rows(session, schedule_id, now):
        speaker.say(gather, "coordinator_lift_option")
    speaker.say(gather, "coordinator_back_option")
    speaker.response.redirect(step_url("coordinator_act", t=token, line=line.slug, n=misses), method="POST")
    return twiml(speaker.response)


def _chosen_line(session: Session, account: ConsoleAccount, now: datetime) -> Line | None:
    slug = (request.args.get("line") or "")[:64]
    if not scope_allows(account, "line", slug):
        return None
    return directory.get(session, now).lines_by_slug.get(slug)


def line_step(handler):
    """A step about one line: the signed-in coordinator and the line they chose (in their scope), else goodbye;
    runs ``handler(session, account, token, line, now)`` inside the request's database session."""

    @wraps(handler)
    def step():
        now = current_app.config["CLOCK"]()
        token = (request.args.get("t") or "")[:400]
        with database.session() as session:
            account = signed_in_account(session)
            line = _chosen_line(session, account, now) if account is not None else None
            if account is None or line is None:
                return Speaker("fr").end("presence_goodbye")
            return handler(session, account, token, line, now)

    return step


@coordinator.route("/act", methods=("GET", "POST"))
@twilio_only
@never_fail("listener")
@line_step
def coordinator_act(session: Session, account: ConsoleAccount, token: str, line: Line, now: datetime):
    digits = field("Digits")[:1]
    if digits == "0":
        return _lines_menu(session, account, token, now)
    if digits in ("1", "2"):
        return _ask_until(account, token, line, "closed" if digits == "1" else "open", now)
    schedule_id = _line_row(session, line.slug)
    rows = active_rows(session, schedule_id, now)
    if digits == "3" and rows:
        for row in rows:
            lift_override(session, account, line, schedule_id, row.id, now, audit_words(account))
        session.commit()
        directory.invalidate()
        return _after_change(session, account, token, line, now, "coordinator_lifted")
    misses = counted("n") + 1
    if misses >= MENU_TRIES:
        return Speaker(account.language).end("presence_goodbye")
    return _line_menu(session, account, token, line, now, "menu_invalid" if digits else "menu_no_input",
                      misses=misses)


def _next_change(line: Line, now: datetime) -> datetime | None:
    """When the usual schedule (no override) next flips: where "until the next scheduled change" ends."""
    return status_at(replace(line.schedule, overrides=()), now).changes_at


def _ask_until(account: ConsoleAccount, token: str, line: Line, mode: str, now: datetime, *before: str,
               misses: int = 0):
    speaker = Speaker(account.language)
    gather = speaker.response.gather(input="dtmf", num_digits=1, timeout=TIMEOUT, method="POST",
                                     action=step_url("coordinator_until", t=token, line=line.slug, m=mode, n=misses))
    for key in before:
        speaker.say(gather, key)
    speaker.say(gather, "coordinator_until", reopens=_next_change(line, now), now=_local(now, line))
    speaker.response.redirect(step_url("coordinator_until", t=token, line=line.slug, m=mode, n=misses), method="POST")
    return twiml(speaker.response)


def _mode() -> str:
    return "open" if request.args.get("m") == "open" else "closed"


@coordinator.route("/until", methods=("GET", "POST"))
@twilio_only
@never_fail("listener")
@line_step
def coordinator_until(session: Session, account: ConsoleAccount, token: str, line: Line, now: datetime):
    digits = field("Digits")[:1]
    if digits == "1":
        return _decide(session, account, token, line, _mode(), None, now)
    if digits == "2":
        return _ask_time(account, token, line, _mode())
    misses = counted("n") + 1
    if misses >= MENU_TRIES:
        return Speaker(account.language).end("presence_goodbye")
    return _ask_until(account, token, line, _mode(), now, "menu_invalid" if digits else "menu_no_input",
                      misses=misses)


def _ask_time(account: ConsoleAccount, token: str, line: Line, mode: str, *before: str, misses: int = 0):
    speaker = Speaker(account.language)
    gather = speaker.response.gather(input="dtmf", num_digits=4, timeout=TIMEOUT, method="POST",
                                     action=step_url("coordinator_time", t=token, line=line.slug, m=mode, n=misses))
    for key in before:
        speaker.say(gather, key)
    speaker.say(gather, "coordinator_type_time")
    speaker.response.redirect(step_url("coordinator_time", t=token, line=line.slug, m=mode, n=misses), method="POST")
    return twiml(speaker.response)


@coordinator.route("/time", methods=("GET", "POST"))
@twilio_only
@never_fail("listener")
@line_step
def coordinator_time(session: Session, account: ConsoleAccount, token: str, line: Line, now: datetime):
    until = next_time_of_day(field("Digits")[:8], line.schedule.timezone, now)
    if until is not None:
        return _decide(session, account, token, line, _mode(), until, now)
    misses = counted("n") + 1
    if misses >= MENU_TRIES:
        return Speaker(account.language).end("presence_goodbye")
    return _ask_time(account, token, line, _mode(), "coordinator_time_invalid", misses=misses)


def _decide(session: Session, account: ConsoleAccount, token: str, line: Line, mode: str, until: datetime | None,
            now: datetime):
    """Place the override exactly as the console does (same function, same audit), then say the new state."""
    schedule_id = _line_row(session, line.slug)
    # The reason is what callers hear ("Nous sommes actuellement fermés : fermeture exceptionnelle").
    reason = prompts.render(f"coordinator_reason_{mode}", line.language)
    place_override(session, account, line, schedule_id, mode, until, reason, now, audit_words(account))
    session.commit()
    directory.invalidate()  # this worker answers the next call with the change; the others within seconds
    current_app.logger.info("coordinator phone: override %s on line %s by account %s", mode, line.slug, account.id)
    return _after_change(session, account, token, line, now, "coordinator_done")


def _after_change(session: Session, account: ConsoleAccount, token: str, line: Line, now: datetime, said: str):
    speaker = Speaker(account.language)
    speaker.say(speaker.response, said)
    schedule = schedule_as_saved(session, line.schedule, _line_row(session, line.slug), now)
    _state(speaker, speaker.response, "", line, schedule, now)
    return _lines_menu(session, account, token, now, speaker=speaker)  # then back to the list of lines
