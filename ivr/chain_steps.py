"""The chain's steps as the caller hears them: the closure said, the pass-through messages, a forward, a handoff,
the département question, the queue, a callback offer, the end of the chain."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, NamedTuple

from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from directory_data.reference import load_departments, load_services
from ivr.state import CallState
from ivr.turn import Turn, holding_steps
from routing.chain import Decision, Step, StepKind, decide
from routing.model import ActionKind
from schedules import status_at
from schedules.holiday_calendar import holiday_name
from store import calls

CLOSING_SOON = timedelta(minutes=15)  # a line closing this soon is not one to call back "in a few minutes"


def say_what_happens_now(turn: Turn) -> None:
    """Before any question, the truth: closed (why, until when), or a listener about to answer — never a
    promise the chain will not keep."""
    decision = decide_now(turn)
    announce_closed_if_due(turn, decision)
    if decision.status.is_open and decision.final_step.kind is StepKind.QUEUE:
        turn.say_prompt("listener_will_answer")


def decide_now(turn: Turn) -> Decision:
    return decide(turn.line, turn.state.facts(turn.caller_withheld), turn.now, turn.live, turn.snapshot.centres,
                  start_at=turn.state.rule, associations=turn.snapshot.associations)


def announce_closed_if_due(turn: Turn, decision: Decision) -> None:
    """Closed lines say why and when they reopen — unless the caller is being handed to an open centre."""
    status = decision.status
    final = decision.final_step
    to_a_centre = final.kind is StepKind.HANDOFF or (
        final.kind is StepKind.ASK_DEPARTMENT and final.action is not None and final.action.kind is ActionKind.HANDOFF)
    if status.is_open or turn.state.closed_announced or to_a_centre:
        return
    turn.state = turn.state.but(closed_announced=True)
    if turn.line.after_hours_email and turn.line.email.on_after_hours_call:
        calls.queue_email(turn.session, turn.call, turn.now, "after_hours_call")
    detail = status.detail
    if status.holiday_date is not None and turn.line.schedule.holidays is not None:  # "Christmas Day", not "Noël"
        detail = holiday_name(turn.line.schedule.holidays, status.holiday_date, turn.language) or detail
    turn.say_prompt("closed", reason=status.reason.value, detail=detail, reopens=status.reopens_at)
    turn.say_text(turn.line.closed_message)
    if turn.line.after_hours_email:
        turn.say_prompt("email", email=turn.line.after_hours_email)
    services = load_services()
    # The service the caller is about to be put through to is not also given as a number to call.
    forwarded_to = final.action.target if final.kind is StepKind.FORWARD and final.action is not None else None
    named = [services[s] for s in turn.line.alternatives if s in services and s != forwarded_to]
    if named:
        spoken = tuple(SpokenService(spoken_service(s, turn.language), s.hours.get(turn.language)) for s in named)
        turn.say_prompt("alternatives", services=spoken)


class SpokenService(NamedTuple):
    """A service the caller may call instead, as the "alternatives" prompt reads it: a tuple of texts, so that its
    rendering is kept (ivr.prompts.render_text)."""

    spoken: str
    hours: str | None


def _closing_soon(turn: Turn, decision: Decision) -> dict[str, Any]:
    """When the line closes within minutes, "call again in a few minutes" would send the caller to a closed
    line: a shared message is told when it closes and reopens instead, and that is the closure said."""
    status = decision.status
    if not status.is_open or status.changes_at is None or status.changes_at - turn.now > CLOSING_SOON:
        return {}
    return {"closes": status.changes_at, "reopens": status_at(turn.line.schedule, status.changes_at).reopens_at}


def play_pass_through(turn: Turn, step: Step, decision: Decision) -> None:
    action = step.action
    if step.kind is StepKind.MESSAGE:
        if action.prompt:
            closing = _closing_soon(turn, decision)
            turn.say_prompt(action.prompt, **closing)
            if closing:
                turn.state = turn.state.but(closed_announced=True)
        else:
            turn.say_text(action.text)
        turn.record("message", action.prompt or "line message", step.rule_index)
    elif step.kind is StepKind.NOTIFY_EMAIL:
        if turn.line.after_hours_email:
            calls.queue_email(turn.session, turn.call, turn.now, "after_hours_call")
            turn.record("notify_email", "after-hours email queued", step.rule_index)
        else:
            turn.record("notify_email", "line has no after-hours email; nothing sent", step.rule_index)


def play_holding_step(turn: Turn, decision: Decision, step: Step) -> bool:
    kind = step.kind
    after = turn.state.but(rule=step.rule_index + 1, attempts=0)
    if step.action is not None and step.action.kind.value == "association":
        return holding_steps().association(turn, step, after)
    if kind is StepKind.FORWARD:
        turn.say_prompt("forwarding", label=_spoken_label(turn, step))
        dial_step(turn, step, after, whisper=turn.url("whisper", kind="forward", line=turn.line.slug))
        turn.record("forward", step.action.describe(), step.rule_index)
        turn.finish("forwarding")
        return True
    if kind is StepKind.HANDOFF:
        department = load_departments().get(turn.state.department)
        turn.say_prompt("handing_off", department_name=department.name if department else turn.state.department)
        dial_step(turn, step, after, whisper=turn.url("whisper", kind="handoff", line=turn.line.slug, department=turn.state.department))
        turn.record("handoff", f"centre {step.centre.slug}, department {turn.state.department}", step.rule_index)
        turn.finish("handing_off")
        return True
    if kind is StepKind.EMERGENCY_FALLBACK:
        turn.say_prompt("emergency_fallback")
        dial_step(turn, step, after, whisper=turn.url("whisper", kind="forward", line=turn.line.slug))
        turn.record("emergency_fallback", turn.line.emergency_fallback_label or "", step.rule_index)
        turn.finish("emergency_fallback")
        return True
    if kind is StepKind.ASK_DEPARTMENT:
        ask_department(turn.but(rule=step.rule_index))
        return True
    if kind is StepKind.QUEUE:
        holding_steps().enqueue(turn, step, after)
        turn.record("queue", step.action.describe(), step.rule_index)
        turn.finish("queued")
        return True
    if kind is StepKind.END:
        turn.record("end", "end of chain" if step.action is None else "rule ends the call", step.rule_index)
        end_politely(turn)
        return True
    if kind is StepKind.CALLBACK:
        turn.state = after
        holding_steps().offer_callback(turn)
        return True
    raise ValueError(f"unhandled step {kind}")


def _spoken_label(turn: Turn, step: Step) -> str:
    """A service is named as people know it ("le 107, Télé-Accueil"); a number by the rule's label, which the
    loader requires and which carries its article ("l'équipe d'écoute")."""
    if step.action.label is not None:
        return step.action.label.get(turn.language)
    return spoken_service(load_services()[step.action.target], turn.language)


def spoken_service(service, language: str) -> str:
    """"le 107, Télé-Accueil": the number as said, then the name (a name that is a number says it once)."""
    spoken, name = service.spoken.get(language), service.name.get(language)
    return spoken if name in (service.number, spoken) else f"{spoken}, {name}"


def dial_step(turn: Turn, step: Step, after: CallState, whisper: str) -> None:
    timeout = step.action.timeout if step.action is not None else 30
    caller_id = turn.line.caller_id
    if turn.line.caller_id_policy == "caller" and turn.call.caller_hash is not None:
        caller_id = None  # Twilio then shows the caller's own number, as the line asked
    verb = Dial(action=turn.url("dial_result", after), timeout=timeout, caller_id=caller_id)
    verb.number(step.number, url=whisper, method="POST")
    turn.response.append(verb)


def ask_department(turn: Turn) -> None:
    gather = Gather(
        action=turn.url("department"),
        finish_on_key="#",
        timeout=8,
        action_on_empty_result=True,
    )
    turn.say_prompt("ask_province" if turn.line.country == "BE" else "ask_department", gather)
    turn.response.append(gather)


def end_politely(turn: Turn) -> VoiceResponse:
    turn.say_prompt("final")
    turn.response.hangup()
    turn.finish("ended_closed" if turn.call.closed_reason else "ended")
    return turn.response

