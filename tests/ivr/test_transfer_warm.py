"""A warm transfer from the desk: the caller on hold with music, the third party talks with the listener first,
then the listener leaves them together (or stays, or cancels) — what each of the three hears."""

from __future__ import annotations

from datetime import timedelta

from tests.support.calls import listener, qapp, tw  # noqa: F401 — fixtures
from tests.support.transfers import INTERPRETER, THE_107, Scene, said
from tests.support.twilio_conference import HOLD_MUSIC

EVC = "+3225550300"


def test_warm_transfer_to_the_107_then_the_listener_leaves_the_caller_with_them(qapp, tw, rest, clock):
    scene = Scene(qapp, tw, rest, clock)
    caller, camille = scene.caller.sid, scene.leg.sid
    targets = scene.api("targets", scene.call_id)
    assert [(t.key, t.label.get("fr")) for t in targets] == [
        ("service:be-107", "le 107, Télé-Accueil"), (f"number:{INTERPRETER}", "le service d'interprétariat")]
    clock.now += timedelta(minutes=4)
    outcome = scene.api("start_transfer", scene.call_id, "service:be-107", "warm", listener_id=scene.camille)
    assert (outcome.ok, outcome.code) == (True, "started")
    # The 107 is dialled from the line's own number, ringing as long as the line's forward to it does.
    dialled = scene.dialled()
    assert (dialled["To"], dialled["From"], dialled["Timeout"]) == (THE_107, EVC, "30")
    # The caller hears the line's hold music, and nobody hears them.
    assert rest.hears(caller) == {HOLD_MUSIC} and caller not in rest.hears(camille)
    assert scene.hold_document().find("Play") is not None
    assert scene.api("transfer_in_progress", scene.call_id).status == "dialling"

    clock.now += timedelta(seconds=12)
    scene.answer_third_party()
    third = scene.third_party()
    assert scene.announced(third) == ("Appel transféré par Écoute Violences Conjugales. Un écoutant va vous présenter "
                                      "la situation avant de vous passer la personne.")
    # Camille and the 107 talk; the caller still hears only music and is heard by nobody.
    assert rest.hears(camille) == {third} and rest.hears(third) == {camille}
    assert rest.hears(caller) == {HOLD_MUSIC}
    view = scene.api("transfer_in_progress", scene.call_id)
    assert (view.status, view.mode, view.label.get("fr")) == ("talking", "warm", "le 107, Télé-Accueil")

    clock.now += timedelta(minutes=1)
    assert scene.api("complete_transfer", scene.call_id).code == "done"
    # The caller is with the 107; Camille's leg is taken out of the conference to her wrap-up.
    assert rest.hears(caller) == {third} and rest.hears(third) == {caller}
    wrapup = scene.listener_redirected()
    assert wrapup.find("Gather") is not None or "Fin de l'appel" in said(wrapup)
    assert listener(qapp, scene.camille).status == "wrap_up"
    assert scene.conversation().status == "live"  # the call goes on without her
    # Her phone hanging up later does not send the caller back to the queue.
    scene.leg.status("completed", 300)
    assert scene.conversation().status == "live" and rest.conference_of(caller) is not None
    assert scene.events() == ["transfer_started warm service service:be-107", "transfer_answered warm after 12 s",
                              "transfer_completed left"]

    # When the 107 hangs up, the call is over for the caller too, with a goodbye rather than silence.
    clock.now += timedelta(minutes=10)
    rest.hang_up(third)
    scene.third_party_status("completed", third)
    assert scene.conversation().status == "ended"
    assert "Merci de votre appel. Au revoir." in said(scene.caller_dial_ended())


def test_warm_transfer_together_keeps_the_listener_on_a_three_way_call(qapp, tw, rest, clock):
    scene = Scene(qapp, tw, rest, clock)
    caller, camille = scene.caller.sid, scene.leg.sid
    scene.api("start_transfer", scene.call_id, f"number:{INTERPRETER}", "warm")
    scene.answer_third_party()
    third = scene.third_party()
    assert scene.api("complete_transfer", scene.call_id, together=True).code == "together"
    assert rest.hears(caller) == {camille, third} and rest.hears(camille) == {caller, third}
    assert rest.hears(third) == {caller, camille}
    # The interpreter leaves: the caller and Camille go on, nobody is requeued.
    rest.hang_up(third)
    scene.third_party_status("completed", third)
    assert rest.hears(caller) == {camille} and scene.conversation().status == "live"
    assert scene.events()[-1] == "transfer_completed together"
    assert scene.transfer().status == "completed"


def test_cancelling_a_warm_transfer_brings_the_caller_back_and_stops_the_third_party(qapp, tw, rest, clock):
    scene = Scene(qapp, tw, rest, clock)
    caller, camille = scene.caller.sid, scene.leg.sid
    scene.api("start_transfer", scene.call_id, "service:be-107", "warm")
    third = scene.third_party()
    assert scene.api("complete_transfer", scene.call_id).code == "not_answered"  # nothing to hand over yet
    assert scene.api("cancel_transfer", scene.call_id).code == "cancelled"
    assert rest.conference_of(third) is None  # taken off the call while it rang
    assert rest.hears(caller) == {camille} and rest.hears(camille) == {caller}
    assert scene.events()[-1] == "transfer_returned cancelled"
    # Its call's end, reported afterwards, changes nothing.
    scene.third_party_status("canceled", third)
    assert rest.hears(caller) == {camille} and scene.events()[-1] == "transfer_returned cancelled"


def test_a_transfer_goes_only_where_the_directory_or_the_coordinator_says(qapp, tw, rest, clock):
    scene = Scene(qapp, tw, rest, clock)
    for key in ("number:+33612345678", "service:fr-3919", "+3225550107", "line:ecoute-violences-conjugales"):
        outcome = scene.api("start_transfer", scene.call_id, key, "warm")
        assert (outcome.ok, outcome.code) == (False, "unknown_target"), key
    assert scene.api("start_transfer", scene.call_id, "service:be-107", "lukewarm").code == "bad_mode"
    assert scene.api("start_transfer", scene.call_id, "service:be-107").code == "started"
    assert scene.api("start_transfer", scene.call_id, f"number:{INTERPRETER}").code == "already_transferring"
    assert scene.api("start_transfer", 999999, "service:be-107").code == "no_call"
    assert [call["to"] for call in rest.calls.values() if call["params"].get("Label")] == [THE_107]


def test_leaving_a_three_way_call_counts_the_transfer_once(qapp, tw, rest, clock):
    scene = Scene(qapp, tw, rest, clock)
    caller = scene.caller.sid
    scene.api("start_transfer", scene.call_id, "service:be-107", "warm")
    scene.answer_third_party()
    third = scene.third_party()
    scene.api("complete_transfer", scene.call_id, together=True)
    assert scene.api("complete_transfer", scene.call_id).code == "done"  # Camille leaves the three-way call
    assert rest.hears(caller) == {third} and rest.conference_of(scene.leg.sid) is None
    assert [e for e in scene.events() if e.startswith("transfer_completed")] == ["transfer_completed together"]
    assert scene.transfer().status == "completed" and scene.transfer().outcome == "left"
