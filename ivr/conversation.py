"""One turn of a call: what the caller hears next, built with twilio's VoiceResponse from routing decisions."""
# Over 300 lines: one call's walk through the menu, the département question and the chain's steps shares the
# Turn and its recorded events; the steps built on it (orientation, queue, callbacks) live in their own modules.

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

from flask import current_app
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from directory_data.reference import load_departments, load_services
from ivr import prompts
from ivr.state import CallState
from ivr.twiml import say_language
from routing.chain import Decision, Step, StepKind, decide
from routing.model import ActionKind, Line, LiveState
from schedules import status_at
from schedules.holiday_calendar import holiday_name
from store import calls
from store.snapshot import Snapshot
from store.models import Call

CONNECTED_OUTCOME = {"forwarding": "forwarded", "handing_off": "handed_off", "emergency_fallback": "emergency_fallback"}
MAX_INLINE_STEPS = 20  # a safety net: chains are short, but a broken one must not spin
CLOSING_SOON = timedelta(minutes=15)  # a line closing this soon is not one to call back "in a few minutes"
HOLDING_STEPS = "ivr.holding_steps"  # the app.extensions key of the steps below


@dataclass(frozen=True)
class HoldingSteps:
    """The chain's steps that live in the modules built on this one (orientation, the queue, the callback offer).

    ivr.blueprints hands them in when the app is made, so that this module imports none of the modules that
    import it."""

    association: Callable[..., bool]  # (turn, step, after): orientation to local associations
    enqueue: Callable[..., None]  # (turn, step, after): into a pool's queue
    offer_callback: Callable[..., VoiceResponse]  # (turn): the callback offer
    conference_join: Callable[..., VoiceResponse | None]  # (turn): a listener took the caller: their conference


def holding_steps() -> HoldingSteps:
    return current_app.extensions[HOLDING_STEPS]


@dataclass
class Turn:
    """Everything one webhook needs to answer: the line, where the call stands, and the time."""

    line: Line
    state: CallState
    now: datetime
    snapshot: Snapshot
    live: LiveState
    session: Session
    call: Call
    url_for: Callable[..., str]
    caller_withheld: bool = False
    # Whether screening may find a flag or an earlier call (told by the call's INSERT); None: not known, ask.
    to_screen: bool | None = None
    response: VoiceResponse = field(default_factory=VoiceResponse)
    after_commit: list[Callable[[], None]] = field(default_factory=list)  # e.g. dial a listener

    @property
    def language(self) -> str:
        return self.state.language

    def local_now(self) -> datetime:
        from zoneinfo import ZoneInfo

        return self.now.astimezone(ZoneInfo(self.line.schedule.timezone))

    def context(self, **extra: Any) -> dict[str, Any]:
        return {
            "line_name": self.line.name,
            "display_number": self.line.display_number,
            "now": self.local_now(),
            "country": self.line.country,
            **extra,
        }

    def say(self, text: str, target: Any = None) -> None:
        if not text:
            return
        language = say_language(self.language, self.line.country)
        kwargs = {"language": language}
        voice = self.line.voice(self.language)
        if voice:
            kwargs["voice"] = voice
        (target or self.response).say(text, **kwargs)

    def say_prompt(self, key: str, target: Any = None, **context: Any) -> None:
        self.say(prompts.render(key, self.language, **self.context(**context)), target)

    def say_text(self, text, target: Any = None) -> None:
        if text is not None:
            self.say(prompts.render_text(text.get(self.language), **self.context()), target)

    def url(self, endpoint: str, state: CallState | None = None, **params: Any) -> str:
        return self.url_for(endpoint, state or self.state, **params)

    def ask(self, prompt: str, endpoint: str, params: dict[str, Any] | None = None, **context: Any) -> VoiceResponse:
        """One key to press after ``prompt``; silence comes back to ``endpoint`` too, without Digits."""
        params = params or {}
        gather = Gather(num_digits=1, timeout=8, action=self.url(endpoint, **params))
        self.say_prompt(prompt, gather, **context)
        self.response.append(gather)
        self.response.redirect(self.url(endpoint, **params), method="POST")
        return self.response

    def record(self, kind: str, detail: str = "", rule_index: int | None = None) -> None:
        calls.record(self.session, self.call, self.now, kind, detail, rule_index)

    def finish(self, outcome: str) -> None:
        self.call.outcome = outcome

    def but(self, **changes: Any) -> "Turn":
        """This turn with its call state moved on."""
        self.state = self.state.but(**changes)
        return self


def welcome(turn: Turn) -> VoiceResponse:
    turn.say_text(turn.line.greeting)
    if turn.line.danger_notice:
        turn.say_prompt("danger_notice")
    if turn.line.menu is not None:
        say_what_happens_now(turn)
        ask_menu(turn)
        return turn.response
    return route(turn)


def say_what_happens_now(turn: Turn) -> None:
    """Before any question, the truth: closed (why, until when), or a listener about to answer — never a
    promise the chain will not keep."""
    decision = _decide(turn)
    _announce_closed_if_due(turn, decision)
    if decision.status.is_open and decision.final_step.kind is StepKind.QUEUE:
        turn.say_prompt("listener_will_answer")


def _decide(turn: Turn) -> Decision:
    return decide(turn.line, turn.state.facts(turn.caller_withheld), turn.now, turn.live, turn.snapshot.centres,
                  start_at=turn.state.rule, associations=turn.snapshot.associations)


def ask_menu(turn: Turn) -> None:
    menu = turn.line.menu
    gather = turn.response.gather(
        num_digits=1,
        timeout=menu.timeout,
        action=turn.url("menu"),
        action_on_empty_result=False,
    )
    turn.say_text(menu.prompt, gather)
    turn.response.redirect(turn.url("menu", no_input=1))


def answer_menu(turn: Turn, digits: str, no_input: bool) -> VoiceResponse:
    menu = turn.line.menu
    if menu is None:
        return route(turn)
    if turn.line.quick_exit_key and turn.line.quick_exit_key in digits:
        return quick_exit(turn)
    option = menu.option(digits[:1]) if digits else None
    if option is None:
        exhausted = turn.state.attempts >= menu.retries
        turn.record("menu", "no input" if no_input or not digits else "invalid choice")
        if exhausted:
            return route(turn.but(attempts=0))
        turn.say_prompt("menu_no_input" if no_input or not digits else "menu_invalid")
        turn.state = turn.state.but(attempts=turn.state.attempts + 1)
        ask_menu(turn)
        return turn.response
    turn.record("menu", f"pressed {option.digit}")
    state = turn.state.but(attempts=0)
    if option.language and option.language in turn.line.languages:
        # A caller who chose another language hears the closure again, in the words they understand.
        state = state.but(language=option.language, closed_announced=state.closed_announced and
                          option.language == turn.state.language)
        turn.call.language = option.language
    if option.caller_type:
        state = state.but(caller_type=option.caller_type)
        turn.call.caller_type = option.caller_type
    turn.state = state
    turn.say_text(option.say)
    if option.then == "end":
        turn.say_prompt("goodbye")
        turn.response.hangup()
        turn.finish("menu_information")
        return turn.response
    if option.then == "menu":
        ask_menu(turn)
        return turn.response
    return route(turn)


def quick_exit(turn: Turn) -> VoiceResponse:
    turn.record("quick_exit", "caller pressed the quick-exit key")
    turn.finish("quick_exit")
    turn.response.hangup()
    return turn.response


def route(turn: Turn) -> VoiceResponse:
    """Run the chain from the state's rule until a step holds the call."""
    for _ in range(MAX_INLINE_STEPS):
        decision = _decide(turn)
        turn.record("decision", decision.explain(), turn.state.rule)
        if not decision.status.is_open:
            turn.call.closed_reason = decision.status.reason.value
        _announce_closed_if_due(turn, decision)
        for step in decision.steps:
            if not step.holds_the_call:
                _play_pass_through(turn, step, decision)
                continue
            if _play_holding_step(turn, decision, step):
                return turn.response
            # The step could not hold the call here (callbacks not offered): carry on after it.
            turn.state = turn.state.but(rule=step.rule_index + 1)
            break
    turn.record("error", "chain did not settle; final message")
    return end_politely(turn)


def _announce_closed_if_due(turn: Turn, decision: Decision) -> None:
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
        spoken = [{"spoken": spoken_service(s, turn.language), "hours": s.hours.get(turn.language)} for s in named]
        turn.say_prompt("alternatives", services=spoken)


def _closing_soon(turn: Turn, decision: Decision) -> dict[str, Any]:
    """When the line closes within minutes, "call again in a few minutes" would send the caller to a closed
    line: a shared message is told when it closes and reopens instead, and that is the closure said."""
    status = decision.status
    if not status.is_open or status.changes_at is None or status.changes_at - turn.now > CLOSING_SOON:
        return {}
    return {"closes": status.changes_at, "reopens": status_at(turn.line.schedule, status.changes_at).reopens_at}


def _play_pass_through(turn: Turn, step: Step, decision: Decision) -> None:
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


def _play_holding_step(turn: Turn, decision: Decision, step: Step) -> bool:
    kind = step.kind
    after = turn.state.but(rule=step.rule_index + 1, attempts=0)
    if step.action is not None and step.action.kind.value == "association":
        return holding_steps().association(turn, step, after)
    if kind is StepKind.FORWARD:
        turn.say_prompt("forwarding", label=_spoken_label(turn, step))
        _dial(turn, step, after, whisper=turn.url("whisper", kind="forward", line=turn.line.slug))
        turn.record("forward", step.action.describe(), step.rule_index)
        turn.finish("forwarding")
        return True
    if kind is StepKind.HANDOFF:
        department = load_departments().get(turn.state.department)
        turn.say_prompt("handing_off", department_name=department.name if department else turn.state.department)
        _dial(turn, step, after, whisper=turn.url("whisper", kind="handoff", line=turn.line.slug, department=turn.state.department))
        turn.record("handoff", f"centre {step.centre.slug}, department {turn.state.department}", step.rule_index)
        turn.finish("handing_off")
        return True
    if kind is StepKind.EMERGENCY_FALLBACK:
        turn.say_prompt("emergency_fallback")
        _dial(turn, step, after, whisper=turn.url("whisper", kind="forward", line=turn.line.slug))
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


def _dial(turn: Turn, step: Step, after: CallState, whisper: str) -> None:
    timeout = step.action.timeout if step.action is not None else 30
    caller_id = turn.line.caller_id
    if turn.line.caller_id_policy == "caller" and turn.call.caller_hash is not None:
        caller_id = None  # Twilio then shows the caller's own number, as the line asked
    dial = Dial(action=turn.url("dial_result", after), timeout=timeout, caller_id=caller_id)
    dial.number(step.number, url=whisper, method="POST")
    turn.response.append(dial)


def ask_department(turn: Turn) -> None:
    gather = Gather(
        action=turn.url("department"),
        finish_on_key="#",
        timeout=8,
        action_on_empty_result=True,
    )
    turn.say_prompt("ask_province" if turn.line.country == "BE" else "ask_department", gather)
    turn.response.append(gather)


def answer_department(turn: Turn, digits: str, ask: Callable[[Turn], None] | None = None, purpose: str = "",
                      announce_national: bool = True) -> VoiceResponse:
    """The postal code or département typed; an invalid one is asked again with ``ask`` (the chain's own
    question by default), and giving up goes on with the chain (the national route, said when open)."""
    if turn.line.quick_exit_key and turn.line.quick_exit_key in digits:
        return quick_exit(turn)
    from routing.reference import resolve_department

    cleaned = digits.strip().rstrip("#")
    department = resolve_department(cleaned, turn.line.country, load_departments()) if cleaned else None
    if department is not None:
        turn.record("department", f"department {department.code}{purpose}")
        turn.call.department = department.code
        turn.state = turn.state.but(department=department.code, department_asked=True, attempts=0)
        return route(turn)
    attempts = turn.state.attempts + 1
    if not cleaned or attempts > turn.line.department_retries:
        turn.record("department", "no department given" if not cleaned else "gave up after invalid codes")
        from schedules import status_at

        turn.state = turn.state.but(department_asked=True, attempts=0)
        # Said only when the national team's queue takes the call: a forward names where it goes itself, and
        # a closed line says so instead.
        if announce_national and status_at(turn.line.schedule, turn.now).is_open \
                and _decide(turn).final_step.kind is StepKind.QUEUE:
            turn.say_prompt("department_national")
        return route(turn)
    turn.record("department", "invalid postal code")
    turn.say_prompt("department_invalid")
    turn.state = turn.state.but(attempts=attempts)
    (ask or ask_department)(turn)
    return turn.response


def dial_finished(turn: Turn, status: str) -> VoiceResponse:
    if status in ("completed", "answered"):
        turn.record("dial_completed", "the forwarded call was answered and has ended")
        turn.finish(CONNECTED_OUTCOME.get(turn.call.outcome or "", "forwarded"))
        turn.response.hangup()
        return turn.response
    turn.record("dial_failed", f"dial ended: {status or 'unknown'}")
    turn.state = turn.state.but(forward_failed=True)
    return route(turn)


def queue_finished(turn: Turn, result: str, queue_sid: str = "", queue_time: str = "") -> VoiceResponse:
    """The Enqueue action: every QueueResult ends in a hang-up (talked, hung up) or the chain going on."""
    from store.dispatch import caller_left

    turn.record("queue_result", result or "unknown")
    # The caller had a Twilio queue of their own (ivr/queue.py): now empty, it would stay in the account.
    app = current_app._get_current_object()
    turn.after_commit.append(lambda: app.extensions["dispatcher"].delete_queue(queue_sid))
    if result in ("leave", "redirected", "redirected-from-waitUrl"):
        # Out of their queue because a listener took them (moved by the REST API, or by the wait document when
        # that failed): into the conference, whichever of the two Twilio acts on.
        joined = holding_steps().conference_join(turn)
        if joined is not None:
            turn.record("queue_result", "to the conversation's conference")
            return joined
    if result == "bridged":
        from store.dispatch import caller_reported_bridged

        seconds = int(queue_time) if queue_time.isascii() and queue_time.isdigit() and len(queue_time) < 7 else None
        caller_reported_bridged(turn.session, turn.call.sid, turn.now, seconds)
        turn.finish("answered")
        turn.response.hangup()
        return turn.response
    caller, cancelled = caller_left(turn.session, turn.call.sid, result or "error", turn.now, turn.line.queue)
    if cancelled:
        turn.after_commit.append(lambda: app.extensions["dispatcher"].hang_up([o.call_sid for o in cancelled]))
    if result == "hangup":
        turn.finish("abandoned")
        turn.response.hangup()
        return turn.response
    if caller is not None and caller.status == "left_key":
        turn.record("queue_left", "left the queue by key to be called back")
        return holding_steps().offer_callback(turn)
    return route(turn)


def end_politely(turn: Turn) -> VoiceResponse:
    turn.say_prompt("final")
    turn.response.hangup()
    turn.finish("ended_closed" if turn.call.closed_reason else "ended")
    return turn.response


