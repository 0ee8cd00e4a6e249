"""A safe callback's listener whose leg ended unheard (the status callback, the <Dial>'s action and the conference's
events all lost) is repaired by the sweep as a queue call's listener is: to wrap-up, never "on call" for nobody; the
person still on the line is told the call was cut and is called back; both gone, the callback counts as reached."""

from __future__ import annotations

from datetime import timedelta

from ivr.sweep import RECHECK_CONVERSATION_EVERY, sweep
from tests.support.callbacks import CallbackScene, called_back, requests_held
from tests.support.calls import listener


def _leg_lost(app, rest, clock, *gone: str) -> None:
    """Those legs end at Twilio, and nothing of it reaches the engine; the sweep's check comes due."""
    for sid in gone:
        rest.hang_up(sid)
    rest.events.clear()
    clock.now += RECHECK_CONVERSATION_EVERY + timedelta(seconds=5)
    sweep(app)


def test_the_sweep_frees_a_callbacks_listener_whose_leg_ended_unheard_and_tells_the_person(live_app, rest, clock):
    referent, leg, dial, person, _ = called_back(live_app, rest, clock)
    assert listener(live_app, referent).status == "on_call"
    _leg_lost(live_app, rest, clock, leg.sid)
    assert listener(live_app, referent).status == "wrap_up"
    told = person.follow_redirect()  # moved out of the conference where nobody would ever speak to them
    words = " ".join((s.text or "") for s in told.iter("Say"))
    assert "a été coupée" in words and "Nous vous rappellerons" in words and not any(c.isdigit() for c in words)
    [request] = requests_held(live_app)
    assert request.status == "pending" and request.last_outcome == "dropped" and request.attempts == 1


def test_the_sweep_closes_a_callback_whose_end_was_never_heard_as_reached(live_app, rest, clock):
    referent, leg, dial, person, _ = called_back(live_app, rest, clock)
    _leg_lost(live_app, rest, clock, person.sid, leg.sid)
    assert listener(live_app, referent).status == "wrap_up"
    [request] = requests_held(live_app)
    assert request.status == "reached"
    sweep(live_app)  # once only
    assert requests_held(live_app)[0].attempts == 1


def test_the_sweep_leaves_a_callback_going_on_alone(live_app, rest, clock):
    referent, leg, dial, person, _ = called_back(live_app, rest, clock)
    _leg_lost(live_app, rest, clock)
    assert listener(live_app, referent).status == "on_call"
    assert rest.hears(person.sid) == {leg.sid}
    assert requests_held(live_app)[0].status == "calling"


def test_the_sweep_frees_a_listener_a_transfer_released_and_leaves_the_person_with_the_third_party(
        live_app, rest, clock):
    scene = CallbackScene(live_app, rest, clock)
    scene.api("start_transfer", scene.call_id, "service:fr-3919", "cold")  # from the desk
    scene.answer_third_party()
    third = scene.third_party()
    assert rest.hears(scene.caller.sid) == {third}
    _leg_lost(live_app, rest, clock, scene.leg.sid)  # the referent, moved out to their outcome, hangs up unheard
    assert listener(live_app, scene.camille).status == "wrap_up"
    assert rest.hears(scene.caller.sid) == {third} and not rest.calls[scene.caller.sid].get("redirects")
    [request] = requests_held(live_app)
    assert request.status == "reached"
