"""Every answered call is a conference: who hears whom, and what each party hears when a leg ends."""

from __future__ import annotations

from datetime import timedelta

from tests.support.calls import (  # noqa: F401 — qapp and tw are fixtures
    Caller,
    ListenerLeg,
    add_listener,
    bridge,
    deliver,
    dial_ended,
    listener,
    path_of,
    qapp,
    queued,
    rung,
    tw,
    xml,
)
from tests.support.conversation import call_events, connected, conversation, registry, said
from tests.support.transfers import Scene
from tests.support.twilio_conference import HOLD_MUSIC


def test_pressing_1_moves_the_caller_into_a_conference_named_without_any_number(qapp, tw, rest, clock):
    camille = add_listener(qapp, "Camille", "+32470111111")
    caller = Caller(tw)
    leg = ListenerLeg(tw, rest, rung(rest)[0])
    dial = leg.press("1")
    noun = dial.find("Dial/Conference")
    assert dial.find("Dial").get("hangupOnStar") == "true"
    assert noun.get("endConferenceOnExit") == "false" and noun.get("beep") == "false"
    name = noun.text
    assert name.startswith("hl-qc") and "+" not in name and "32470" not in name and caller.number[1:] not in name
    # The caller is moved out of their queue by the REST API, to their side of the same conference.
    assert rest.inbound[caller.sid]["redirects"][-1].startswith("https://ivr.example.org/voice/conference/caller?cv=")
    rest.join(leg.sid, dial.find("Dial"))
    assert rest.hears(leg.sid) == {"wait-music"}  # the listener waits with music, not silence
    joined = caller.follow_redirect(rest)
    assert "Un écoutant prend votre appel" in said(joined)
    mine = joined.find("Dial/Conference")
    assert mine.text == name
    assert mine.get("endConferenceOnExit") == "true" and mine.get("startConferenceOnEnter") == "true"
    rest.join(caller.sid, joined.find("Dial"))
    deliver(tw, rest)
    assert rest.hears(caller.sid) == {leg.sid} and rest.hears(leg.sid) == {caller.sid}
    legs = registry(qapp)
    assert legs["caller"].joined_at is not None and legs["listener"].joined_at is not None
    assert conversation(qapp).status == "live" and conversation(qapp).conference_sid.startswith("CF")
    assert queued(qapp, caller.sid).status == "bridged"
    assert listener(qapp, camille).status == "on_call"


def test_the_caller_hanging_up_ends_the_conference_and_the_listener_goes_to_wrap_up(qapp, tw, rest, clock):
    camille, caller, leg, dial, _ = connected(qapp, tw, rest, clock)
    clock.now += timedelta(minutes=10)
    rest.hang_up(caller.sid)
    deliver(tw, rest)
    assert leg.sid in rest.dial_ended  # the caller is the anchor: the listener's Dial ends with the conference
    after = dial_ended(tw, rest, leg, dial)
    assert "Classez cet appel" in said(after) or "Fin de l'appel" in said(after) or after.find("Gather") is not None
    assert listener(qapp, camille).status == "wrap_up"
    assert conversation(qapp).status == "ended" and conversation(qapp).ended_by == "caller"
    assert all(leg.left_at is not None for leg in registry(qapp).values())
    assert queued(qapp, caller.sid).status == "done"


def test_the_listener_s_line_dropping_sends_the_caller_to_the_head_of_the_queue_with_music(qapp, tw, rest, clock):
    camille, caller, leg, dial, _ = connected(qapp, tw, rest, clock)
    clock.now += timedelta(seconds=30)
    other = Caller(tw)  # another caller arrives while Camille talks: nobody free, they wait
    assert len(rung(rest)) == 1
    clock.now += timedelta(minutes=3)
    rest.hang_up(leg.sid)  # Camille's phone drops mid-call
    deliver(tw, rest)
    assert leg.status("completed", 180).status_code == 200
    # The caller is moved out of the conference: a sentence, then their queue again (music), never hung up.
    back = caller.follow_redirect(rest)
    assert "un autre écoutant va vous répondre en priorité" in said(back)
    assert back.find("Hangup") is None and back.find("Enqueue") is not None
    assert rest.conference_of(caller.sid) is None
    assert queued(qapp, caller.sid).status in ("waiting", "offered")
    assert listener(qapp, camille).status == "wrap_up"
    # Front of the queue: the next free listener is offered the dropped caller, before the caller who has been
    # waiting longer in the queue.
    add_listener(qapp, "Dominique", "+32470222222")
    with qapp.app_context():
        qapp.extensions["dispatcher"].dispatch("ecoute-violences-conjugales")
    assert len(rung(rest)) == 2 and rest.calls[rung(rest)[1]]["to"] == "+32470222222"
    assert queued(qapp, caller.sid).status == "offered" and queued(qapp, other.sid).status == "waiting"
    assert "conv_listener_dropped" in call_events(qapp) and "conv_requeued" in call_events(qapp)


def test_hold_plays_the_line_s_music_to_the_caller_and_resume_brings_them_back(qapp, tw, rest, clock):
    from ivr import call_control

    _, caller, leg, _, _ = connected(qapp, tw, rest, clock)
    cv = conversation(qapp).id
    with qapp.app_context():
        assert call_control.hold(cv).ok
    deliver(tw, rest)
    assert rest.hears(caller.sid) == {HOLD_MUSIC} and rest.hears(leg.sid) == set()
    participant = rest.find_participant(caller.sid)[1]
    music = xml(tw.post(path_of(participant.hold_url), caller.params()))
    assert music.find("Play") is not None and music.find("Redirect") is not None  # music, again and again
    assert registry(qapp)["caller"].on_hold
    clock.now += timedelta(seconds=40)
    with qapp.app_context():
        assert call_control.resume(cv).ok
    deliver(tw, rest)
    assert rest.hears(caller.sid) == {leg.sid} and rest.hears(leg.sid) == {caller.sid}
    assert conversation(qapp).hold_seconds == 40
    assert "conv_hold" in call_events(qapp) and "conv_resume" in call_events(qapp)


def test_a_listener_dropping_while_the_rest_api_is_down_is_repaired_by_the_sweep(qapp, tw, rest, clock):
    from ivr.sweep import sweep

    _, caller, leg, _, _ = connected(qapp, tw, rest, clock)
    rest.down = True
    rest.hang_up(leg.sid)
    deliver(tw, rest)
    assert leg.status("completed", 60).status_code == 200  # the engine cannot move the caller: Twilio is down
    assert len(rest.inbound[caller.sid]["redirects"]) == 1  # still only the move into the conference
    assert queued(qapp, caller.sid).status == "waiting"  # but they are at the head of the queue already
    rest.down = False
    clock.now += timedelta(seconds=15)
    sweep(qapp)  # the next pass moves them out of the conference
    back = caller.follow_redirect(rest)
    assert back.find("Enqueue") is not None and "un autre écoutant" in said(back)
    assert conversation(qapp).status == "requeued"


def test_the_caller_hanging_up_while_the_listener_hears_a_sentence_on_the_way_back_in_frees_the_listener(
        qapp, tw, rest, clock):
    scene = Scene(qapp, tw, rest, clock)
    menu = scene.star()
    kept = xml(tw.post(path_of(menu.find("Gather").get("action")), scene.leg.params(Digits="1", CallStatus="in-progress")))
    assert "en attente" in said(kept) and kept.find("Dial/Conference") is not None
    # While Camille hears that sentence, the caller hangs up: their conference ends with them.
    rest.hang_up(scene.caller.sid)
    deliver(tw, rest)
    assert conversation(qapp).status == "ended"
    # Then her <Dial><Conference> runs: Twilio opens a new, empty conference of the same name…
    rest.join(scene.leg.sid, kept.find("Dial"))
    deliver(tw, rest)
    # …which the engine ends at once: she is not left alone with the wait music, she goes to wrap-up.
    assert scene.leg.sid in rest.dial_ended
    after = dial_ended(tw, rest, scene.leg, kept)
    assert "Classez cet appel" in said(after) or "Fin de l'appel" in said(after) or after.find("Gather") is not None
    assert listener(qapp, scene.camille).status == "wrap_up"


def test_the_caller_keeps_the_music_until_the_listener_is_back_from_the_keypad_menu(qapp, tw, rest, clock):
    scene = Scene(qapp, tw, rest, clock)
    menu = scene.star()
    assert rest.hears(scene.caller.sid) == {HOLD_MUSIC}
    # 2 calls a binôme: Camille hears a sentence before going back in; the caller must not sit in a silent conference.
    back = xml(tw.post(path_of(menu.find("Gather").get("action")), scene.leg.params(Digits="2", CallStatus="in-progress")))
    deliver(tw, rest)
    assert said(back) and back.find("Dial/Conference") is not None
    assert rest.hears(scene.caller.sid) == {HOLD_MUSIC}
    rest.join(scene.leg.sid, back.find("Dial"))
    deliver(tw, rest)
    assert rest.hears(scene.caller.sid) == {scene.leg.sid} and rest.hears(scene.leg.sid) == {scene.caller.sid}
    assert conversation(qapp).held_since is None and "conv_resume" in call_events(qapp)
