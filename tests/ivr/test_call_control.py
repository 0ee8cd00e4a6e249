"""The operations on a call in progress (hold, binôme, supervisors, end), by the desk's API and the keypad: what
each party hears, and the faults (the REST API down, two supervisors at once)."""

from __future__ import annotations

import threading
from datetime import timedelta

from ivr import call_control
from ivr.sweep import sweep
from tests.support.calls import (  # noqa: F401 — qapp and tw are fixtures
    Caller,
    ListenerLeg,
    add_listener,
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
from tests.support.twilio_conference import HOLD_MUSIC

SUPERVISOR = "+32470999999"


def test_a_binome_joins_muted_listening_then_speaks_when_given_the_floor(qapp, tw, rest, clock):
    _, caller, leg, _, _ = connected(qapp, tw, rest, clock)
    dominique = add_listener(qapp, "Dominique", "+32470222222")
    with qapp.app_context():
        outcome = call_control.invite_binome(conversation(qapp).id)
    assert outcome.ok
    binome = [sid for sid in rest.calls if rest.calls[sid]["to"] == "+32470222222"][0]
    assert rest.calls[binome]["params"]["Muted"] == "true"
    assert listener(qapp, dominique).status == "on_call"  # never offered another call meanwhile
    rest.answer_participant(binome)
    deliver(tw, rest)
    assert rest.hears(binome) == {caller.sid, leg.sid}
    assert rest.hears(caller.sid) == {leg.sid}  # the binôme listens: the caller does not hear them
    sweep(qapp)  # the repair pass must not take a binôme on a call for a free listener
    assert listener(qapp, dominique).status == "on_call"
    with qapp.app_context():
        assert call_control.give_floor(conversation(qapp).id, outcome.leg_id).ok
    deliver(tw, rest)
    assert rest.hears(caller.sid) == {leg.sid, binome}
    # The caller hangs up: the conference ends, the binôme is freed too (wrap-up, as after any call).
    rest.hang_up(caller.sid)
    deliver(tw, rest)
    assert listener(qapp, dominique).status == "wrap_up"
    assert all(leg.left_at is not None for leg in registry(qapp).values())  # everyone is off the call
    assert "conv_binome_invited" in call_events(qapp) and "conv_floor_given" in call_events(qapp)


def test_a_supervisor_listens_heard_by_nobody_whispers_heard_by_the_listener_only_then_joins(qapp, tw, rest, clock):
    _, caller, leg, _, _ = connected(qapp, tw, rest, clock)
    cv = conversation(qapp).id
    with qapp.app_context():
        assert call_control.supervise(cv, "listen", SUPERVISOR).ok
    supervisor = [sid for sid in rest.calls if rest.calls[sid]["to"] == SUPERVISOR][0]
    rest.answer_participant(supervisor)
    deliver(tw, rest)
    assert rest.hears(supervisor) == {caller.sid, leg.sid}
    assert supervisor not in rest.hears(caller.sid) | rest.hears(leg.sid)
    leg_id = registry(qapp)["supervisor"].id
    # A second supervisor while one is on the call is refused (an account's own leg would change mode instead).
    with qapp.app_context():
        assert call_control.supervise(cv, "whisper", SUPERVISOR).code == "busy"
        rest.leave_conference(supervisor, "hangup")
        deliver(tw, rest)
        assert call_control.supervise(cv, "whisper", SUPERVISOR).ok
    coach = [sid for sid in rest.calls if rest.calls[sid]["to"] == SUPERVISOR][-1]
    assert rest.calls[coach]["params"]["CallSidToCoach"] == leg.sid
    rest.answer_participant(coach)
    deliver(tw, rest)
    assert coach in rest.hears(leg.sid)
    assert coach not in rest.hears(caller.sid)  # the caller must never hear a whisper
    assert registry(qapp)["supervisor"].id != leg_id and registry(qapp)["supervisor"].coaching


def test_two_supervisors_pressing_join_at_once_give_one_supervisor_on_the_call(qapp, tw, rest, clock):
    connected(qapp, tw, rest, clock)
    cv = conversation(qapp).id
    outcomes, start = [], threading.Barrier(2)

    def press(phone):
        with qapp.app_context():
            start.wait()
            outcomes.append(call_control.supervise(cv, "join", phone))

    threads = [threading.Thread(target=press, args=(p,)) for p in ("+32470999991", "+32470999992")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(o.code for o in outcomes) == ["busy", "ok"]
    dialled = [sid for sid in rest.calls if rest.calls[sid]["to"].startswith("+3247099999")]
    assert len(dialled) == 1
    supervisors = [leg for leg in registry_all(qapp) if leg.role == "supervisor"]
    assert len(supervisors) == 1 and supervisors[0].call_sid == dialled[0]


def registry_all(app):
    from sqlalchemy import select

    from store.extension import database
    from store.models import ConferenceLeg

    with app.app_context(), database.session() as session:
        return list(session.scalars(select(ConferenceLeg)))


def test_when_the_rest_api_fails_during_a_hold_the_time_limit_brings_the_caller_back(qapp, tw, rest, clock):
    _, caller, leg, _, _ = connected(qapp, tw, rest, clock)
    cv = conversation(qapp).id
    with qapp.app_context():
        assert call_control.hold(cv).ok
    deliver(tw, rest)
    rest.down = True
    clock.now += timedelta(seconds=30)
    with qapp.app_context():
        assert call_control.resume(cv).code == "twilio_failed"
    assert rest.hears(caller.sid) == {HOLD_MUSIC}  # still held, with music: never silence
    hold_url = rest.find_participant(caller.sid)[1].hold_url
    clock.now += timedelta(seconds=160)  # past the three minutes
    music = xml(tw.post(path_of(hold_url), caller.params()))
    assert "votre écoutant revient vers vous" in said(music) and music.find("Play") is not None
    rest.down = False
    sweep(qapp)
    deliver(tw, rest)
    assert rest.hears(caller.sid) == {leg.sid} and rest.hears(leg.sid) == {caller.sid}
    assert conversation(qapp).held_since is None and conversation(qapp).hold_seconds == 190
    assert "conv_hold_expired" in call_events(qapp)


def test_a_failed_hold_leaves_the_caller_with_the_listener_and_says_so(qapp, tw, rest, clock):
    _, caller, leg, _, _ = connected(qapp, tw, rest, clock)
    rest.down = True
    with qapp.app_context():
        assert call_control.hold(conversation(qapp).id).code == "twilio_failed"
    assert conversation(qapp).held_since is None
    assert rest.hears(caller.sid) == {leg.sid}


def test_if_the_rest_api_cannot_move_the_caller_their_next_wait_document_takes_them_to_the_listener(
        qapp, tw, rest, clock):
    add_listener(qapp, "Camille", "+32470111111")
    caller = Caller(tw)
    leg = ListenerLeg(tw, rest, rung(rest)[0])
    answered = leg.answer()
    rest.down = True
    dial = leg.press("1", answered)
    rest.down = False
    rest.join(leg.sid, dial.find("Dial"))
    assert caller.wait().find("Leave") is not None  # out of the queue...
    joined = caller.queue_result("leave")  # ... and the Enqueue action answers with the conference
    assert joined.find("Dial/Conference").text == dial.find("Dial/Conference").text
    rest.join(caller.sid, joined.find("Dial"))
    deliver(tw, rest)
    assert rest.hears(caller.sid) == {leg.sid}
    assert queued(qapp, caller.sid).status == "bridged"


def test_the_keypad_star_menu_holds_the_caller_calls_a_binome_and_goes_back(qapp, tw, rest, clock):
    _, caller, leg, dial, _ = connected(qapp, tw, rest, clock)
    add_listener(qapp, "Dominique", "+32470222222")
    rest.leave_conference(leg.sid, "hangup-on-star")  # * : the listener leaves the conference, not the call
    deliver(tw, rest)
    menu = dial_ended(tw, rest, leg, dial)
    assert "Pour appeler un binôme, tapez 2" in said(menu)
    deliver(tw, rest)
    assert rest.hears(caller.sid) == {HOLD_MUSIC}  # the caller is on hold with music while the listener chooses
    back = xml(tw.post(path_of(menu.find("Gather").get("action")), leg.params(Digits="2", CallStatus="in-progress")))
    assert "Un binôme est appelé" in said(back)
    rest.join(leg.sid, back.find("Dial"))
    deliver(tw, rest)
    assert rest.hears(caller.sid) == {leg.sid} and rest.hears(leg.sid) == {caller.sid}
    assert any(rest.calls[sid]["to"] == "+32470222222" for sid in rest.calls)
    assert conversation(qapp).in_menu is False and conversation(qapp).held_since is None


def test_the_keypad_9_ends_the_call_the_caller_hears_goodbye_and_the_listener_wraps_up(qapp, tw, rest, clock):
    camille, caller, leg, dial, joined = connected(qapp, tw, rest, clock)
    rest.leave_conference(leg.sid, "hangup-on-star")
    deliver(tw, rest)
    menu = dial_ended(tw, rest, leg, dial)
    deliver(tw, rest)
    over = xml(tw.post(path_of(menu.find("Gather").get("action")), leg.params(Digits="9", CallStatus="in-progress")))
    deliver(tw, rest)
    assert caller.sid in rest.dial_ended
    goodbye = dial_ended(tw, rest, caller, joined)
    assert "Merci de votre appel. Au revoir." in said(goodbye) and goodbye.find("Hangup") is not None
    wrap = xml(tw.post(path_of(over.find("Redirect").text), leg.params(CallStatus="in-progress")))
    assert wrap.find("Gather") is not None or "Fin de l'appel" in said(wrap)
    assert listener(qapp, camille).status == "wrap_up"
    assert conversation(qapp).ended_by == "keypad"


def test_star_1_keeps_the_caller_on_hold_and_star_1_again_takes_them_back(qapp, tw, rest, clock):
    _, caller, leg, dial, _ = connected(qapp, tw, rest, clock)

    def star():
        rest.leave_conference(leg.sid, "hangup-on-star")
        deliver(tw, rest)
        menu = dial_ended(tw, rest, leg, dial_now[0])
        deliver(tw, rest)
        return menu

    def press(menu, digits):
        back = xml(tw.post(path_of(menu.find("Gather").get("action")), leg.params(Digits=digits,
                                                                                 CallStatus="in-progress")))
        rest.join(leg.sid, back.find("Dial"))
        deliver(tw, rest)
        dial_now[0] = back
        return back

    dial_now = [dial]
    menu = star()
    assert "Pour le garder en attente, tapez 1." in said(menu)
    kept = press(menu, "1")
    assert "L'appelant reste en attente" in said(kept)
    clock.now += timedelta(seconds=25)
    assert rest.hears(caller.sid) == {HOLD_MUSIC} and rest.hears(leg.sid) == set()  # back in the call, caller held
    menu = star()
    assert "Pour le reprendre, tapez 1." in said(menu)
    press(menu, "1")
    assert rest.hears(caller.sid) == {leg.sid} and rest.hears(leg.sid) == {caller.sid}
    assert conversation(qapp).hold_seconds == 25 and conversation(qapp).held_since is None
