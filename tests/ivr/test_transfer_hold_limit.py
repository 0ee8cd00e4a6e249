"""The caller's hold limit during a warm transfer: past it the caller comes back to the listener, but never into the
consultation — the third party waits on hold, the listener is told, and the transfer can still be finished."""

from __future__ import annotations

from datetime import timedelta

from ivr.sweep import sweep
from store.conference import HOLD_LIMIT_SECONDS
from tests.support.calls import deliver, listener, qapp, tw  # noqa: F401 — fixtures
from tests.support.transfers import Scene, said
from tests.support.twilio_conference import HOLD_MUSIC

PARKED_WORDS = "L'appelant est de retour en ligne ; le correspondant patiente."


def _consulting(qapp, tw, rest, clock) -> tuple[Scene, str, str, str]:
    """Camille talks with the 107 about the caller, who is on hold with music."""
    scene = Scene(qapp, tw, rest, clock)
    scene.api("start_transfer", scene.call_id, "service:be-107", "warm")
    clock.now += timedelta(seconds=10)
    scene.answer_third_party()
    third = scene.third_party()
    assert rest.hears(scene.caller.sid) == {HOLD_MUSIC} and rest.hears(scene.leg.sid) == {third}
    return scene, scene.caller.sid, scene.leg.sid, third


def _limit_passes(scene: Scene, clock, by: str) -> None:
    clock.now += timedelta(seconds=HOLD_LIMIT_SECONDS + 1)
    if by == "sweep":
        sweep(scene.app)
    else:
        scene.hold_document()  # the next turn of the caller's hold music
    deliver(scene.tw, scene.rest)


def _never_heard_together(rest, caller: str, third: str) -> None:
    assert third not in rest.hears(caller) and caller not in rest.hears(third)


def test_past_the_hold_limit_the_third_party_waits_and_the_caller_is_back_with_the_listener_alone(
        qapp, tw, rest, clock):
    scene, caller, camille, third = _consulting(qapp, tw, rest, clock)
    _limit_passes(scene, clock, "hold music")
    assert rest.hears(caller) == {camille} and rest.hears(camille) == {caller}
    assert rest.hears(third) == {HOLD_MUSIC}
    _never_heard_together(rest, caller, third)
    assert PARKED_WORDS in scene.announced(camille) and scene.announced(caller) == ""
    assert scene.transfer().status == "parked" and scene.conversation().held_since is None
    assert scene.api("transfer_in_progress", scene.call_id).status == "parked"
    assert scene.events()[-1].startswith("transfer_parked after ")
    # Camille leaves the caller with the 107, who comes off hold: the caller hears them, Camille wraps up.
    assert scene.api("complete_transfer", scene.call_id).code == "done"
    assert rest.hears(caller) == {third} and rest.hears(third) == {caller}
    wrapup = scene.listener_redirected()
    assert wrapup.find("Gather") is not None or "Fin de l'appel" in said(wrapup)
    assert listener(qapp, scene.camille).status == "wrap_up"
    assert scene.transfer().status == "completed" and scene.events()[-1] == "transfer_completed left"


def test_a_parked_transfer_can_bring_all_three_together_when_the_sweep_brought_the_caller_back(
        qapp, tw, rest, clock):
    scene, caller, camille, third = _consulting(qapp, tw, rest, clock)
    _limit_passes(scene, clock, "sweep")
    assert rest.hears(caller) == {camille} and rest.hears(third) == {HOLD_MUSIC}
    _never_heard_together(rest, caller, third)
    assert scene.api("complete_transfer", scene.call_id, together=True).code == "together"
    assert rest.hears(caller) == {camille, third} and rest.hears(third) == {caller, camille}


def test_a_parked_transfer_can_be_cancelled_from_the_keypad(qapp, tw, rest, clock):
    scene, caller, camille, third = _consulting(qapp, tw, rest, clock)
    _limit_passes(scene, clock, "hold music")
    said_back = scene.keys("4", "3")
    assert "Transfert annulé." in said(said_back)
    assert rest.conference_of(third) is None
    assert rest.hears(caller) == {camille} and rest.hears(camille) == {caller}
    assert scene.transfer().status == "returned" and scene.events()[-1] == "transfer_returned cancelled"


def test_a_parked_transfer_left_from_the_keypad_takes_the_third_party_off_hold(qapp, tw, rest, clock):
    scene, caller, camille, third = _consulting(qapp, tw, rest, clock)
    _limit_passes(scene, clock, "hold music")
    scene.keys("4", "1")
    assert rest.hears(caller) == {third} and rest.hears(third) == {caller}
    assert scene.transfer().status == "completed"


def test_the_hold_limit_while_the_third_party_still_rings_gives_the_transfer_up(qapp, tw, rest, clock):
    scene = Scene(qapp, tw, rest, clock)
    caller, camille = scene.caller.sid, scene.leg.sid
    scene.api("start_transfer", scene.call_id, "service:be-107", "warm")
    third = scene.third_party()
    _limit_passes(scene, clock, "hold music")
    assert rest.conference_of(third) is None  # its phone stopped: it can never join the caller and Camille
    assert rest.hears(caller) == {camille} and rest.hears(camille) == {caller}
    assert scene.transfer().status == "returned" and scene.events()[-1] == "transfer_returned hold-limit"
    assert "L'appelant est de nouveau avec vous." in scene.announced(camille)


def test_twilio_refusing_to_hold_the_third_party_keeps_the_caller_on_music_until_it_can(qapp, tw, rest, clock):
    scene, caller, camille, third = _consulting(qapp, tw, rest, clock)
    rest.down = True
    _limit_passes(scene, clock, "hold music")
    assert rest.hears(caller) == {HOLD_MUSIC}  # on hold with music, never brought into the consultation
    _never_heard_together(rest, caller, third)
    assert scene.transfer().status == "talking"
    rest.down = False
    clock.now += timedelta(seconds=30)
    scene.hold_document()  # the next turn of the music tries again
    deliver(tw, rest)
    assert rest.hears(caller) == {camille} and rest.hears(third) == {HOLD_MUSIC}
    assert scene.transfer().status == "parked"
