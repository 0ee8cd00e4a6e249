"""A third party parked on hold during a warm transfer — the caller's hold limit came, or the listener took the caller
back — has a time limit of their own: past it they are thanked and let go, only the listener is told, and the
caller stays with the listener throughout."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest

from ivr import call_control
from ivr.sweep import sweep
from store.conference import HOLD_LIMIT_SECONDS
from store.transfers import PARKED_LIMIT_SECONDS
from tests.support.calls import deliver, path_of, qapp, tw, xml  # noqa: F401 — fixtures
from tests.support.transfers import Scene, said
from tests.support.twilio_conference import HOLD_MUSIC

WAIT_WORDS = "Merci de patienter : l'écoutant revient vers vous dès que possible."
GOODBYE = "L'écoutant n'a pas pu revenir vers vous : le transfert n'aura pas lieu. Merci de votre patience, au revoir."
RELEASED = ("Fin de l'attente pour le 107, Télé-Accueil : le correspondant a été libéré et le transfert annulé. "
            "L'appelant est toujours avec vous.")


def _parked(qapp, tw, rest, clock, how: str) -> tuple[Scene, str, str, str]:
    """Camille talks with the 107 about the caller (on hold); then the 107 is parked, ``how``."""
    scene = Scene(qapp, tw, rest, clock)
    scene.api("start_transfer", scene.call_id, "service:be-107", "warm")
    clock.now += timedelta(seconds=10)
    scene.answer_third_party()
    caller, camille, third = scene.caller.sid, scene.leg.sid, scene.third_party()
    if how == "hold limit":
        clock.now += timedelta(seconds=HOLD_LIMIT_SECONDS + 1)
        sweep(qapp)
    elif how == "desk":  # Camille presses "resume" on her desk in the middle of the consultation
        with qapp.app_context():
            call_control.resume(scene.conversation().id, by="desk", now=clock.now)
    else:  # * 1: "Pour le reprendre, tapez 1"
        scene.press(scene.star(), "1")
    deliver(tw, rest)
    assert rest.hears(caller) == {camille} and rest.hears(camille) == {caller}
    assert rest.hears(third) == {HOLD_MUSIC} and caller not in rest.heard_by(third)
    assert scene.transfer().status == "parked"
    return scene, caller, camille, third


def _third_party_music(scene: Scene, third: str) -> ET.Element:
    """The parked third party's hold music, as Twilio fetches their holdUrl."""
    participant = scene.rest.find_participant(third)[1]
    return xml(scene.tw.post(path_of(participant.hold_url), {"CallSid": third, "CallStatus": "in-progress"}))


@pytest.mark.parametrize("how", ["hold limit", "desk", "keypad"])
def test_a_parked_third_party_is_told_to_wait_then_let_go_politely_past_their_own_limit(qapp, tw, rest, clock, how):
    scene, caller, camille, third = _parked(qapp, tw, rest, clock, how)
    waiting = _third_party_music(scene, third)
    assert said(waiting) == WAIT_WORDS and waiting.find("Play") is not None  # a word, then music: never silence
    clock.now += timedelta(seconds=PARKED_LIMIT_SECONDS - 5)
    _third_party_music(scene, third)
    deliver(tw, rest)
    assert scene.transfer().status == "parked" and rest.conference_of(third) is not None  # not yet
    clock.now += timedelta(seconds=10)
    _third_party_music(scene, third)  # the next turn of their music, past their limit
    deliver(tw, rest)
    assert scene.hung_up_with(third) == GOODBYE
    assert rest.conference_of(third) is None
    assert rest.hears(caller) == {camille} and rest.hears(camille) == {caller}  # never left alone
    assert RELEASED in scene.announced(camille) and scene.announced(caller) == ""
    assert scene.transfer().status == "returned" and scene.events()[-1] == "transfer_returned parked-limit"
    # Their call's end, reported afterwards, changes nothing more.
    scene.third_party_status("completed", third)
    assert rest.hears(caller) == {camille} and scene.events()[-1] == "transfer_returned parked-limit"
    assert scene.conversation().status == "live"


def test_the_sweep_lets_a_parked_third_party_go_when_their_music_is_not_fetched(qapp, tw, rest, clock):
    scene, caller, camille, third = _parked(qapp, tw, rest, clock, "desk")
    clock.now += timedelta(seconds=PARKED_LIMIT_SECONDS + 1)
    sweep(qapp)
    deliver(tw, rest)
    assert scene.hung_up_with(third) == GOODBYE and rest.conference_of(third) is None
    assert rest.hears(caller) == {camille}
    assert scene.events()[-1] == "transfer_returned parked-limit"


def test_a_parked_third_party_taken_back_in_time_is_not_let_go(qapp, tw, rest, clock):
    scene, caller, camille, third = _parked(qapp, tw, rest, clock, "desk")
    clock.now += timedelta(seconds=60)
    assert scene.api("complete_transfer", scene.call_id).code == "done"
    assert rest.hears(caller) == {third}
    clock.now += timedelta(seconds=PARKED_LIMIT_SECONDS)
    sweep(qapp)
    deliver(tw, rest)
    assert rest.hears(caller) == {third} and rest.hears(third) == {caller}
    assert scene.transfer().status == "completed" and not scene.hung_up_with(third)


def test_twilio_refusing_the_goodbye_tries_again_at_the_next_turn_of_their_music(qapp, tw, rest, clock):
    scene, caller, camille, third = _parked(qapp, tw, rest, clock, "hold limit")
    clock.now += timedelta(seconds=PARKED_LIMIT_SECONDS + 1)
    rest.down = True
    _third_party_music(scene, third)
    rest.down = False
    assert rest.conference_of(third) is not None and rest.hears(third) == {HOLD_MUSIC}  # still on music, not silence
    assert scene.transfer().status == "returned"
    _third_party_music(scene, third)
    deliver(tw, rest)
    assert scene.hung_up_with(third) == GOODBYE and rest.conference_of(third) is None
    assert rest.hears(caller) == {camille}


def test_the_listener_taking_the_caller_back_while_the_third_party_rings_is_a_plain_resume(qapp, tw, rest, clock):
    scene = Scene(qapp, tw, rest, clock)
    scene.api("start_transfer", scene.call_id, "service:be-107", "warm")
    with qapp.app_context():
        call_control.resume(scene.conversation().id, by="desk", now=clock.now)
    deliver(tw, rest)
    assert rest.hears(scene.caller.sid) == {scene.leg.sid}
    assert scene.transfer().status == "dialling"
