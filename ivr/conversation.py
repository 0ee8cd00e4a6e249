"""The caller's walk through a line: the welcome, the menu, the postal code or département typed, the chain run
from the state's rule until a step holds the call, and what Twilio says when a forward or the queue is over.
The steps themselves are in ivr/chain_steps.py, the Turn they act on in ivr/turn.py."""

from __future__ import annotations

from typing import Callable

from flask import current_app
from twilio.twiml.voice_response import VoiceResponse

from directory_data.reference import load_departments
from ivr.chain_steps import (announce_closed_if_due, ask_department, decide_now, end_politely, play_holding_step,
                             play_pass_through, say_what_happens_now)
from ivr.turn import Turn, holding_steps
from routing.chain import StepKind

CONNECTED_OUTCOME = {"forwarding": "forwarded", "handing_off": "handed_off", "emergency_fallback": "emergency_fallback"}
MAX_INLINE_STEPS = 20  # a safety net: chains are short, but a broken one must not spin


def welcome(turn: Turn) -> VoiceResponse:
    turn.say_text(turn.line.greeting)
    if turn.line.danger_notice:
        turn.say_prompt("danger_notice")
    if turn.line.menu is not None:
        say_what_happens_now(turn)
        ask_menu(turn)
        return turn.response
    return route(turn)


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
        decision = decide_now(turn)
        turn.record("decision", decision.explain(), turn.state.rule)
        if not decision.status.is_open:
            turn.call.closed_reason = decision.status.reason.value
        announce_closed_if_due(turn, decision)
        for step in decision.steps:
            if not step.holds_the_call:
                play_pass_through(turn, step, decision)
                continue
            if play_holding_step(turn, decision, step):
                return turn.response
            # The step could not hold the call here (callbacks not offered): carry on after it.
            turn.state = turn.state.but(rule=step.rule_index + 1)
            break
    turn.record("error", "chain did not settle; final message")
    return end_politely(turn)


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
                and decide_now(turn).final_step.kind is StepKind.QUEUE:
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
        from store.bridging import caller_reported_bridged

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


