"""The keypad transfer on a safe callback, as on a queue call: * 4 reads the targets, a key picks one, 1 warm or
2 cold; * 4 during the transfer leaves the person called back with the third party, or cancels; a third party who
does not answer gives the person back to the referent. The person hears the line's music and, cold, one sentence —
never silence, never a number, never "appelant"."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.support.callbacks import CallbackScene, requests_held
from tests.support.calls import dial_ended, listener
from tests.support.transfers import said
from tests.support.twilio_conference import HOLD_MUSIC

THE_3919 = "le 39 19, Violences Femmes Info"
INTERPRETER = "le service d'interprétariat"


def _transfer(scene: CallbackScene, label: str, mode_key: str):
    """* 4, the key the menu names for ``label``, then 1 (warm) or 2 (cold): what the referent hears back."""
    menu = scene.star()
    assert said(menu).startswith("La personne rappelée est en attente avec de la musique.")
    targets = scene.press(menu, "4")
    assert "/voice/callback/transfer?attempt=" in targets.find("Gather").get("action")
    assert said(targets).endswith("Pour revenir à la personne rappelée, tapez 0.")
    [key] = re.findall(rf"Pour {re.escape(label)}, tapez (\d)", said(targets))
    how = scene.press(targets, key)
    assert "la personne rappelée en attente, tapez 1" in said(how) and "appelant" not in said(how)
    return scene.press(how, mode_key)


def _outcome_asked(document) -> bool:
    """The callback's own end for the referent: was it the right person (not a queue call's wrap-up)."""
    return "Si ce n'était pas la bonne personne" in said(document) and document.find("Gather") is not None


def test_a_warm_keypad_transfer_on_a_callback_leaves_the_person_with_the_third_party(live_app, rest, clock):
    scene = CallbackScene(live_app, rest, clock)
    person, referent = scene.caller.sid, scene.leg.sid
    back = _transfer(scene, THE_3919, "1")
    assert said(back).startswith(f"Nous appelons {THE_3919}. La personne rappelée reste en attente avec de la musique.")
    assert rest.conference_of(referent) is not None and rest.hears(person) == {HOLD_MUSIC}
    clock.now += timedelta(seconds=6)
    scene.answer_third_party()
    third = scene.third_party()
    assert rest.hears(referent) == {third} and rest.hears(person) == {HOLD_MUSIC}  # the person hears none of it
    assert "La personne est en ligne" not in scene.announced(third)  # warm: a listener presents the situation first
    progress = scene.press(scene.star(), "4")
    assert said(progress).startswith(f"Transfert vers {THE_3919}. Pour laisser la personne rappelée avec son "
                                     "interlocuteur et quitter l'appel, tapez 1.")
    done = scene.press(progress, "1")
    assert said(done).startswith(f"Transfert effectué : la personne rappelée est en relation avec {THE_3919}.")
    assert _outcome_asked(done)
    assert done.find("Dial") is None  # out of the call, not back into it
    assert rest.hears(person) == {third} and rest.hears(third) == {person}
    scene.leg.status("completed", 120)
    assert listener(live_app, scene.camille).status == "wrap_up"
    [request] = requests_held(live_app)
    assert request.status == "reached"
    assert scene.events() == ["transfer_started warm service service:fr-3919", "transfer_answered warm after 6 s",
                              "transfer_completed left"]


def test_a_cold_keypad_transfer_on_a_callback_says_one_sentence_to_the_person_then_puts_them_through(
        live_app, rest, clock):
    scene = CallbackScene(live_app, rest, clock)
    person, referent = scene.caller.sid, scene.leg.sid
    back = _transfer(scene, INTERPRETER, "2")
    assert said(back).startswith(f"Nous appelons {INTERPRETER}. La personne rappelée sera mise en relation dès la "
                                 "réponse")
    # The person, on hold since the menu, is told one sentence (to them alone), their music going on.
    words = scene.announced(person)
    assert words == f"Je vous mets en relation avec {INTERPRETER}. Restez en ligne."
    assert "appelant" not in words.lower() and not any(ch.isdigit() for ch in words)
    assert rest.hears(person) == {HOLD_MUSIC}
    clock.now += timedelta(seconds=8)
    scene.answer_third_party()
    third = scene.third_party()
    assert rest.hears(person) == {third} and rest.hears(third) == {person}
    assert rest.conference_of(referent) is None
    redirected = rest.calls[referent]["redirects"][-1]
    assert "/voice/callback/over?attempt=" in redirected and _outcome_asked(scene.listener_redirected())
    [request] = requests_held(live_app)
    assert request.status == "reached"
    assert scene.events()[-1] == "transfer_completed cold"


@pytest.mark.parametrize("status, why", [("no-answer", "Pas de réponse pour"), ("busy", "Ligne occupée pour")])
def test_a_keypad_transfer_not_answered_gives_the_person_back_to_the_referent(live_app, rest, clock, status, why):
    scene = CallbackScene(live_app, rest, clock)
    person, referent = scene.caller.sid, scene.leg.sid
    _transfer(scene, THE_3919, "2")
    clock.now += timedelta(seconds=30)
    scene.third_party_fails(status)
    assert rest.hears(person) == {referent} and rest.hears(referent) == {person}
    assert scene.announced(referent) == f"{why} {THE_3919}. La personne rappelée est de nouveau avec vous."
    # Only the sentence the cold transfer began with, nothing alarming: the referent simply speaks again.
    assert scene.announced(person) == f"Je vous mets en relation avec {THE_3919}. Restez en ligne."
    assert scene.conversation().held_since is None and scene.conversation().status == "live"
    assert listener(live_app, scene.camille).status == "on_call"
    assert scene.events()[-1] == f"transfer_returned {status}"
    [request] = requests_held(live_app)
    assert request.status == "calling"  # the call goes on; its outcome comes when it ends


def test_a_keypad_transfer_on_a_callback_is_cancelled_with_star_4_3_while_it_rings(live_app, rest, clock):
    scene = CallbackScene(live_app, rest, clock)
    person, referent = scene.caller.sid, scene.leg.sid
    _transfer(scene, INTERPRETER, "1")
    third = scene.third_party()
    cancelled = scene.press(scene.press(scene.star(), "4"), "3")
    assert said(cancelled).startswith("Transfert annulé. La personne rappelée est de nouveau avec vous.") and cancelled.find("Dial/Conference") is not None
    assert rest.conference_of(third) is None
    assert rest.hears(person) == {referent} and rest.hears(referent) == {person}
    assert scene.events()[-1] == "transfer_returned cancelled"


def test_the_person_hanging_up_during_a_keypad_transfer_stops_the_third_party_who_hears_why(live_app, rest, clock):
    scene = CallbackScene(live_app, rest, clock)
    _transfer(scene, THE_3919, "1")
    third = scene.third_party()
    scene.caller.hang_up()  # the anchor: the conference ends for everyone
    assert scene.stopped(third)
    assert scene.events()[-1] == "transfer_caller_gone caller hung up"
    scene.third_party_status("in-progress", third)  # should the 3919 pick up all the same
    assert scene.hung_up_with(third) == "La personne a raccroché. Merci, au revoir."
    assert _outcome_asked(dial_ended(scene.tw, rest, scene.leg, scene.dial))  # the referent's call is over too
    [request] = requests_held(live_app)
    assert request.status == "reached"
