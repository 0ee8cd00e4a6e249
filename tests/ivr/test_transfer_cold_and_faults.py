"""A cold transfer, and every way a transfer can go wrong: busy, no answer, failed, the listener's line dropping,
the caller hanging up, Twilio's REST API failing — the caller is never dropped nor left on hold for ever."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ivr.sweep import sweep
from store.conference import HOLD_LIMIT_SECONDS
from tests.support.calls import deliver, listener, qapp, tw  # noqa: F401 — fixtures
from tests.support.transfers import INTERPRETER, Scene, said
from tests.support.twilio_conference import HOLD_MUSIC


def test_cold_transfer_the_caller_hears_one_sentence_and_is_put_through_the_listener_freed(qapp, tw, rest, clock):
    scene = Scene(qapp, tw, rest, clock)
    caller, camille = scene.caller.sid, scene.leg.sid
    assert scene.api("start_transfer", scene.call_id, f"number:{INTERPRETER}", "cold").code == "started"
    held = scene.hold_document()
    assert said(held) == "Je vous mets en relation avec le service d'interprétariat. Restez en ligne."
    assert held.find("Redirect").text.endswith(f"/voice/conference/hold?cv={scene.conversation().id}")  # then music
    assert rest.hears(caller) == {HOLD_MUSIC}
    scene.answer_third_party()
    third = scene.third_party()
    assert scene.announced(third) == "Appel transféré par Écoute Violences Conjugales. La personne est en ligne avec vous."
    assert rest.hears(caller) == {third} and rest.hears(third) == {caller}
    assert rest.conference_of(camille) is None
    wrapup = scene.listener_redirected()
    assert wrapup.find("Gather") is not None or "Fin de l'appel" in said(wrapup)
    assert listener(qapp, scene.camille).status == "wrap_up"
    assert scene.events() == [f"transfer_started cold number number:{INTERPRETER}", "transfer_answered cold after 0 s",
                              "transfer_completed cold"]


@pytest.mark.parametrize("status, told", [
    ("busy", "Ligne occupée pour le 107, Télé-Accueil. L'appelant est de nouveau avec vous."),
    ("no-answer", "Pas de réponse pour le 107, Télé-Accueil. L'appelant est de nouveau avec vous."),
    ("failed", "Le transfert vers le 107, Télé-Accueil n'a pas abouti. L'appelant est de nouveau avec vous."),
])
def test_a_third_party_who_does_not_answer_gives_the_caller_back_to_the_listener_who_is_told_why(
        qapp, tw, rest, clock, status, told):
    scene = Scene(qapp, tw, rest, clock)
    caller, camille = scene.caller.sid, scene.leg.sid
    scene.api("start_transfer", scene.call_id, "service:be-107", "warm")
    clock.now += timedelta(seconds=30)
    scene.third_party_fails(status)
    assert rest.hears(caller) == {camille} and rest.hears(camille) == {caller}
    assert scene.announced(camille) == told
    assert scene.announced(caller) == ""  # nothing alarming for the caller: their listener simply speaks again
    assert scene.events()[-1] == f"transfer_returned {status}"
    assert scene.conversation().held_since is None and scene.conversation().hold_seconds == 30


def test_the_listener_s_line_dropping_after_the_third_party_answered_puts_the_caller_through_to_them(
        qapp, tw, rest, clock):
    scene = Scene(qapp, tw, rest, clock)
    caller, camille = scene.caller.sid, scene.leg.sid
    scene.api("start_transfer", scene.call_id, "service:be-107", "warm")
    scene.answer_third_party()
    third = scene.third_party()
    rest.hang_up(camille)
    scene.leg.status("completed", 200)
    # Not requeued: the caller is taken off hold with the 107, who was told whose call it is.
    assert rest.hears(caller) == {third} and rest.hears(third) == {caller}
    assert "redirects" not in rest.inbound[caller] or not any("requeue" in url for url in rest.inbound[caller]["redirects"])
    assert scene.conversation().status == "live"
    assert listener(qapp, scene.camille).status == "wrap_up"
    assert scene.events()[-1] == "transfer_completed listener-dropped"


def test_the_listener_s_line_dropping_while_the_third_party_rings_stops_it_and_requeues_the_caller(
        qapp, tw, rest, clock):
    scene = Scene(qapp, tw, rest, clock)
    caller, camille = scene.caller.sid, scene.leg.sid
    scene.api("start_transfer", scene.call_id, "service:be-107", "warm")
    third = scene.third_party()
    rest.hang_up(camille)
    scene.leg.status("completed", 200)
    deliver(tw, rest)
    assert scene.stopped(third)  # its phone stops ringing
    back = scene.caller.follow_redirect(rest)  # the caller goes back to the head of the queue, with a sentence
    assert "un autre écoutant va vous répondre en priorité" in said(back) and back.find("Enqueue") is not None
    assert scene.events()[-1] == "transfer_returned listener-dropped"


def test_the_caller_hanging_up_during_a_warm_transfer_stops_the_third_party_s_phone(qapp, tw, rest, clock):
    scene = Scene(qapp, tw, rest, clock)
    scene.api("start_transfer", scene.call_id, "service:be-107", "warm")
    third = scene.third_party()
    rest.hang_up(scene.caller.sid)
    deliver(tw, rest)
    assert scene.stopped(third)
    assert scene.transfer().status == "caller_gone" and scene.events()[-1] == "transfer_caller_gone caller hung up"
    # Should the 107 pick up all the same, it hears why, and its call ends.
    scene.third_party_status("in-progress", third)
    assert scene.hung_up_with(third) == "L'appelant a raccroché. Merci, au revoir."


def test_the_caller_hanging_up_while_the_listener_talks_with_the_third_party_ends_it_for_everyone(
        qapp, tw, rest, clock):
    scene = Scene(qapp, tw, rest, clock)
    scene.api("start_transfer", scene.call_id, "service:be-107", "warm")
    scene.answer_third_party()
    third = scene.third_party()
    rest.hang_up(scene.caller.sid)
    deliver(tw, rest)
    assert rest.conference_of(third) is None and rest.conference_of(scene.leg.sid) is None
    assert scene.transfer().status == "caller_gone"


def test_twilio_refusing_the_hold_leaves_the_caller_with_the_listener_and_dials_nobody(qapp, tw, rest, clock):
    scene = Scene(qapp, tw, rest, clock)
    rest.down = True
    outcome = scene.api("start_transfer", scene.call_id, "service:be-107", "warm")
    assert (outcome.ok, outcome.code) == (False, "twilio_failed")
    rest.down = False
    assert rest.hears(scene.caller.sid) == {scene.leg.sid}
    assert not [call for call in rest.calls.values() if call["params"].get("Label")]
    assert scene.events()[-1] == "transfer_returned rest-failed"
    assert scene.conversation().held_since is None


def test_rest_failing_during_the_hold_the_time_limit_brings_the_caller_back(qapp, tw, rest, clock):
    scene = Scene(qapp, tw, rest, clock)
    caller, camille = scene.caller.sid, scene.leg.sid
    scene.api("start_transfer", scene.call_id, "service:be-107", "warm")
    rest.down = True  # Twilio's API is down: neither the busy third party's end nor any resume can be acted on
    scene.third_party_fails("busy")
    assert rest.hears(caller) == {HOLD_MUSIC}  # still on hold: music, not silence
    # Twilio comes back; the hold limit passes: the next fetch of the hold music brings the caller back.
    rest.down = False
    clock.now += timedelta(seconds=HOLD_LIMIT_SECONDS + 1)
    scene.hold_document()
    deliver(tw, rest)
    assert rest.hears(caller) == {camille}
    assert scene.events()[-1] == "transfer_returned busy"


def test_a_third_party_nobody_hears_about_is_given_up_by_the_sweep_after_its_ring_time(qapp, tw, rest, clock):
    scene = Scene(qapp, tw, rest, clock)
    caller, camille = scene.caller.sid, scene.leg.sid
    scene.api("start_transfer", scene.call_id, "service:be-107", "warm")
    third = scene.third_party()
    clock.now += timedelta(seconds=30 + 10)
    sweep(qapp)
    assert scene.transfer().status == "dialling"  # within its ring time and grace: left alone
    clock.now += timedelta(seconds=10)
    sweep(qapp)
    deliver(tw, rest)
    assert scene.transfer().status == "returned" and scene.events()[-1] == "transfer_returned timeout"
    assert rest.conference_of(third) is None and rest.hears(caller) == {camille}
