"""Orientation to local help: the caller's département asked, then the nearest association read out or dialled."""

from __future__ import annotations

from datetime import datetime, time

from flask import Blueprint, request
from twilio.twiml.voice_response import Gather, VoiceResponse

from ivr import prompts
from ivr.chain_steps import dial_step
from ivr.conversation import answer_department, quick_exit, route
from ivr.security import twilio_only
from ivr.spoken import day_name, spoken_digits, spoken_time
from ivr.state import CallState
from ivr.turn import Turn
from ivr.twiml import field, never_fail
from ivr.webhooks import take_turn
from phones.numbers import national
from routing.chain import Step, StepKind
from routing.orientation import Orientation
from schedules import Schedule, status_at

orientation_blueprint = Blueprint("orientation", __name__, url_prefix="/voice/orientation")
REPEAT_KEY = "1"
REPEAT_TIMEOUT = 6
MAX_REPEATS = 5  # a stuck key must not keep a caller in a loop


def play_association_step(turn: Turn, step: Step, after: CallState) -> bool:
    """The chain's ``association`` rule: ask the département, then read the association out or dial it."""
    if step.kind is StepKind.ASK_DEPARTMENT:
        ask_department(turn.but(rule=step.rule_index))
        return True
    orientation = step.orientation
    association = orientation.association
    if step.action.target == "handoff":
        turn.say_prompt("association_handoff", name=association.name)
        dial_step(turn, step, after, whisper=turn.url("whisper", kind="forward", line=turn.line.slug))
        turn.record("association", f"hand-off to association {association.slug}", step.rule_index)
        turn.finish("handing_off")
        return True
    read_details(turn, orientation, after)
    turn.record("association", f"read association {association.slug} ({orientation.nearness})", step.rule_index)
    return True


def ask_department(turn: Turn) -> None:
    gather = Gather(action=turn.url("orientation.orientation_department"), finish_on_key="#", timeout=8,
                    action_on_empty_result=True)
    turn.say_prompt("association_ask_department", gather)
    turn.response.append(gather)


def read_details(turn: Turn, orientation: Orientation, after: CallState, repeats: int = 0) -> None:
    """Name, number digit pairs and hours in words; one key hears it again, anything else goes on."""
    association = orientation.association
    gather = Gather(num_digits=1, timeout=REPEAT_TIMEOUT,
                    action=turn.url("orientation.orientation_repeat", after, a=association.slug, k=repeats))
    status = orientation.status
    turn.say_prompt("association_details", gather, name=association.name, nearness=orientation.nearness,
                    digits=spoken_digits(national(association.number)),
                    hours=spoken_hours(association.schedule, turn.language), is_open=status.is_open,
                    reopens=status.reopens_at)
    # say_prompt's own first parameter is named "key": the prompt's {{ key }} is rendered here instead.
    turn.say(prompts.render("association_repeat", turn.language, **turn.context(key=REPEAT_KEY)),
             gather)
    turn.response.append(gather)
    turn.response.redirect(turn.url("orientation.orientation_repeat", after, a=association.slug, k=repeats), method="POST")


def spoken_hours(schedule: Schedule, language: str) -> str:
    """"du lundi au vendredi de 9 heures à 17 heures ; le samedi de 9 heures à midi", as a voice says it."""
    days = [day_name(weekday, language) for weekday in range(7)]
    by_day = [tuple(sorted((s.start, s.end) for s in schedule.shifts if s.weekday == d)) for d in range(7)]
    parts, start = [], 0
    while start < 7:
        end = start
        while end + 1 < 7 and by_day[end + 1] == by_day[start]:
            end += 1
        if by_day[start]:
            parts.append(_day_range(days, start, end, language) + " " + _ranges(by_day[start], language))
        start = end + 1
    return (" ; " if language == "fr" else "; ").join(parts)


def _day_range(days, first: int, last: int, language: str) -> str:
    if language == "en":
        return days[first] if first == last else f"{days[first]} to {days[last]}"
    return f"le {days[first]}" if first == last else f"du {days[first]} au {days[last]}"


def _ranges(shifts: tuple[tuple[time, time], ...], language: str) -> str:
    said = [(spoken_time(_on_a_day(a), language), spoken_time(_on_a_day(b), language)) for a, b in shifts]
    if language == "en":
        return " and ".join(f"{a} to {b}" for a, b in said)
    return " et ".join(f"de {a} à {b}" for a, b in said)


def _on_a_day(moment: time) -> datetime:
    return datetime(2026, 1, 5, moment.hour, moment.minute)


@orientation_blueprint.route("/department", methods=("GET", "POST"))
@twilio_only
@never_fail
@take_turn
def orientation_department(turn: Turn) -> VoiceResponse:
    """The postal code (or département number) typed for the association question, resolved like the 3977's."""
    return answer_department(turn, field("Digits")[:20], ask=ask_department, purpose=" (for a local association)",
                             announce_national=False)


@orientation_blueprint.route("/repeat", methods=("GET", "POST"))
@twilio_only
@never_fail
@take_turn
def orientation_repeat(turn: Turn) -> VoiceResponse:
    """Key 1 reads the association's details again; silence or another key carries on with the chain."""
    digits = field("Digits")[:20]
    if turn.line.quick_exit_key and turn.line.quick_exit_key in digits:
        return quick_exit(turn)
    slug = (request.args.get("a") or "")[:64]
    repeats = request.args.get("k", "")
    repeats = int(repeats) if repeats.isascii() and repeats.isdigit() and len(repeats) < 3 else MAX_REPEATS
    found = next((a for a in turn.snapshot.associations.associations if a.slug == slug), None)
    if digits == REPEAT_KEY and found is not None and repeats < MAX_REPEATS:
        turn.record("association", f"details of association {slug} read again")
        nearness = "department" if found.department == turn.state.department else "region"
        read_details(turn, Orientation(found, status_at(found.schedule, turn.now), nearness), turn.state, repeats + 1)
        return turn.response
    return route(turn)
