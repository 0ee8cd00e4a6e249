"""A cold transfer from the listener's keypad alone: * 4, the target's key, then 2 — the caller hears one sentence
and music, and is put through when the third party answers; busy, no answer or a failure gives the caller back to
the listener, who is told why, and the caller hears nothing alarming."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support.calls import listener, qapp, tw  # noqa: F401 — fixtures
from tests.support.transfers import THE_107, Scene, said
from tests.support.twilio_conference import HOLD_MUSIC

COLD_WORDS = ("Nous appelons le 107, Télé-Accueil. L'appelant sera mis en relation dès la réponse, et vous quitterez "
              "alors l'appel.")


def _cold_107(qapp, tw, rest, clock) -> Scene:
    scene = Scene(qapp, tw, rest, clock)
    clock.now += timedelta(seconds=60)
    back = scene.keys("4", "1", "2")
    assert said(back).startswith(COLD_WORDS)
    assert scene.dialled()["To"] == THE_107
    return scene


def test_star_4_then_2_puts_the_caller_straight_through_and_frees_the_listener(qapp, tw, rest, clock):
    scene = _cold_107(qapp, tw, rest, clock)
    caller, camille = scene.caller.sid, scene.leg.sid
    # The caller, on hold since the menu, is told the one sentence (an announcement to them alone: Twilio would not
    # play a new holdUrl to someone already on hold), their music going on; Camille waits in the call.
    assert scene.announced(caller) == "Je vous mets en relation avec le 107, Télé-Accueil. Restez en ligne."
    assert rest.hears(caller) == {HOLD_MUSIC} and rest.conference_of(camille) is not None
    clock.now += timedelta(seconds=8)
    scene.answer_third_party()
    third = scene.third_party()
    assert scene.announced(third) == "Appel transféré par Écoute Violences Conjugales. La personne est en ligne avec vous."
    assert rest.hears(caller) == {third} and rest.hears(third) == {caller}
    assert rest.conference_of(camille) is None  # moved out of the call to her wrap-up
    wrapup = scene.listener_redirected()
    assert wrapup.find("Gather") is not None or "Fin de l'appel" in said(wrapup)
    assert listener(qapp, scene.camille).status == "wrap_up"
    assert scene.events() == ["transfer_started cold service service:be-107", "transfer_answered cold after 8 s",
                              "transfer_completed cold"]


@pytest.mark.parametrize("status, told", [
    ("busy", "Ligne occupée pour le 107, Télé-Accueil. L'appelant est de nouveau avec vous."),
    ("no-answer", "Pas de réponse pour le 107, Télé-Accueil. L'appelant est de nouveau avec vous."),
    ("failed", "Le transfert vers le 107, Télé-Accueil n'a pas abouti. L'appelant est de nouveau avec vous."),
])
def test_a_cold_transfer_not_answered_gives_the_caller_back_to_the_listener_told_why(qapp, tw, rest, clock, status,
                                                                                     told):
    scene = _cold_107(qapp, tw, rest, clock)
    caller, camille = scene.caller.sid, scene.leg.sid
    clock.now += timedelta(seconds=30)
    scene.third_party_fails(status)
    assert rest.hears(caller) == {camille} and rest.hears(camille) == {caller}
    assert scene.announced(camille) == told
    # Only the sentence the cold transfer began with, nothing alarming: their listener simply speaks again.
    assert scene.announced(caller) == "Je vous mets en relation avec le 107, Télé-Accueil. Restez en ligne."
    assert listener(qapp, scene.camille).status != "wrap_up"
    assert scene.events()[-1] == f"transfer_returned {status}"
    assert scene.conversation().held_since is None


def test_a_cold_transfer_ringing_can_be_cancelled_with_star_4_3(qapp, tw, rest, clock):
    scene = _cold_107(qapp, tw, rest, clock)
    caller, camille = scene.caller.sid, scene.leg.sid
    third = scene.third_party()
    still = scene.keys("4", "1")  # "leave them": nothing to hand over yet, Camille is told it still rings
    assert said(still).startswith(COLD_WORDS)
    cancelled = scene.keys("4", "3")
    assert said(cancelled).startswith("Transfert annulé. L'appelant est de nouveau avec vous.")
    assert rest.conference_of(third) is None
    assert rest.hears(caller) == {camille} and rest.hears(camille) == {caller}
    assert scene.events()[-1] == "transfer_returned cancelled"


@pytest.mark.parametrize("key", ["0", "", "7"])
def test_no_choice_between_warm_and_cold_dials_nobody_and_goes_back_to_the_caller(qapp, tw, rest, clock, key):
    scene = Scene(qapp, tw, rest, clock)
    caller, camille = scene.caller.sid, scene.leg.sid
    back = scene.keys("4", "1", key)
    assert "Dial" in {verb.tag for verb in back}
    assert not [c for c in rest.calls.values() if "/voice/transfer/status" in c["params"].get("StatusCallback", "")]
    assert rest.hears(caller) == {camille} and rest.hears(camille) == {caller}
    assert scene.events() == []
