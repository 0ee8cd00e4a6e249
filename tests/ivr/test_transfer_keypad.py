"""The listener's keypad alone can transfer: * 4 reads the call's targets, a key picks one, then 1 starts a warm
transfer and 2 a cold one; * 4 again leaves the caller with the third party, brings everyone together, or cancels."""

from __future__ import annotations

from datetime import timedelta

from tests.support.calls import listener, qapp, tw  # noqa: F401 — fixtures
from tests.support.transfers import INTERPRETER, THE_107, Scene, said
from tests.support.twilio_conference import HOLD_MUSIC


def test_star_4_lists_the_targets_a_key_then_1_starts_a_warm_transfer_then_star_4_1_leaves_them_together(
        qapp, tw, rest, clock):
    scene = Scene(qapp, tw, rest, clock)
    caller, camille = scene.caller.sid, scene.leg.sid
    menu = scene.star()
    assert "Pour transférer l'appel, tapez 4" in said(menu)
    assert rest.hears(caller) == {HOLD_MUSIC}  # on hold with music while Camille is in the menu
    targets = scene.press(menu, "4")
    assert said(targets) == ("Transfert. Pour le 107, Télé-Accueil, tapez 1. Pour le service d'interprétariat, "
                             "tapez 2. Pour revenir à l'appelant, tapez 0.")
    how = scene.press(targets, "1")
    assert said(how) == ("Vers le 107, Télé-Accueil. Pour lui parler d'abord, l'appelant en attente, tapez 1. Pour "
                         "mettre l'appelant directement en relation, tapez 2. Pour revenir à l'appelant, tapez 0.")
    assert not rest.calls or not any("/voice/transfer/status" in c["params"].get("StatusCallback", "")
                                     for c in rest.calls.values())  # nobody dialled before warm or cold is chosen
    back = scene.press(how, "1")
    assert said(back).startswith("Nous appelons le 107, Télé-Accueil. L'appelant reste en attente avec de la musique.")
    assert scene.dialled()["To"] == THE_107
    # Camille is back in the conference, the caller still on hold (not taken back as the menu's other keys do).
    assert rest.conference_of(camille) is not None and rest.hears(caller) == {HOLD_MUSIC}
    scene.answer_third_party()
    third = scene.third_party()
    assert rest.hears(camille) == {third} and rest.hears(third) == {camille}

    clock.now += timedelta(seconds=40)
    progress = scene.press(scene.star(), "4")
    assert said(progress).startswith("Transfert vers le 107, Télé-Accueil. Pour laisser l'appelant avec son "
                                     "interlocuteur et quitter l'appel, tapez 1.")
    done = scene.press(progress, "1")
    assert said(done).startswith("Transfert effectué : l'appelant est en relation avec le 107, Télé-Accueil.")
    assert done.find("Dial") is None  # off to her wrap-up, not back into the call
    assert rest.hears(caller) == {third} and rest.hears(third) == {caller}
    assert listener(qapp, scene.camille).status == "wrap_up"
    assert scene.events() == ["transfer_started warm service service:be-107", "transfer_answered warm after 0 s",
                              "transfer_completed left"]


def test_the_second_key_dials_the_interpreter_and_star_4_2_makes_a_three_way_call(qapp, tw, rest, clock):
    scene = Scene(qapp, tw, rest, clock)
    caller, camille = scene.caller.sid, scene.leg.sid
    scene.keys("4", "2", "1")  # the interpreter, warm
    assert scene.dialled()["To"] == INTERPRETER
    scene.answer_third_party()
    third = scene.third_party()
    together = scene.keys("4", "2")
    assert "Vous êtes maintenant à trois avec l'appelant." in said(together)
    assert rest.hears(caller) == {camille, third}


def test_star_4_3_cancels_while_it_rings_and_0_goes_back_to_the_caller(qapp, tw, rest, clock):
    scene = Scene(qapp, tw, rest, clock)
    caller, camille = scene.caller.sid, scene.leg.sid
    scene.keys("4", "1", "1")
    third = scene.third_party()
    cancelled = scene.keys("4", "3")
    assert said(cancelled).startswith("Transfert annulé. L'appelant est de nouveau avec vous.")
    assert rest.conference_of(third) is None
    assert rest.hears(caller) == {camille} and rest.hears(camille) == {caller}
    # No key at the targets: back to the caller, who comes off the menu's hold.
    scene.press(scene.press(scene.star(), "4"), "0")
    assert rest.hears(caller) == {camille}
    assert scene.events()[-1] == "transfer_returned cancelled"
