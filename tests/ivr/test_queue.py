"""Callers wait in a queue that tells the truth; listeners are dialled through the REST API and bridged in a
conference."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from ivr.hold_music import CLIP_SECONDS
from store.directory import load_documents
from store.extension import database
from store.listeners import set_status
from store.models import Listener, ListenerStatusChange, QueueEvent
from routing.queueing import ListenerStatus
from tests.support.calls import (  # noqa: F401 — qapp and tw are fixtures
    EVC,
    ROOM,
    Caller,
    ListenerLeg,
    add_listener,
    bridge,
    caller_hangs_up,
    events,
    listener,
    path_of,
    qapp,
    queued,
    rung,
    tw,
    xml,
)


# --- before the queue ----------------------------------------------------------------------------------------


def test_caller_is_never_parked_in_a_queue_nobody_staffs(qapp, tw, rest):
    caller = Caller(tw)
    assert not caller.queued
    assert caller.document.find("Dial/Number").text == ROOM
    assert rest.calls == {}


def test_with_a_listener_logged_in_the_caller_is_queued_and_the_listener_is_dialled(qapp, tw, rest):
    add_listener(qapp, "Camille", "+32470111111")
    caller = Caller(tw)
    # Each caller waits in a Twilio queue of their own, so the listener gets exactly the caller offered.
    assert caller.queued and caller.enqueue.text == f"ecoute-violences-conjugales.{queued(qapp, caller.sid).id}"
    [call] = rest.calls.values()
    assert call["to"] == "+32470111111"
    assert call["from"] == EVC  # the line's number, never the caller's
    assert "/voice/listener/offer?offer=" in call["params"]["Url"]
    assert call["params"]["Timeout"] == "20"
    assert queued(qapp, caller.sid).status == "offered"


def test_a_paused_listener_keeps_the_queue_open_but_is_not_dialled(qapp, tw, rest):
    add_listener(qapp, "Camille", "+32470111111", status=ListenerStatus.PAUSED)
    caller = Caller(tw)
    assert caller.queued
    assert rest.calls == {}


def test_a_full_queue_sends_the_next_caller_to_the_next_rule(qapp, tw, rest):
    add_listener(qapp, "Camille", "+32470111111", status=ListenerStatus.PAUSED)
    callers = [Caller(tw) for _ in range(11)]  # the Belgian line's queue holds 10
    assert all(c.queued for c in callers[:10])
    assert not callers[10].queued
    assert callers[10].document.find("Dial/Number").text == ROOM


# --- the listener's side ---------------------------------------------------------------------------------------


def test_listener_presses_1_is_bridged_then_wraps_up_then_is_offered_again(qapp, tw, rest, clock):
    camille = add_listener(qapp, "Camille", "+32470111111")
    caller = Caller(tw)
    leg = ListenerLeg(tw, rest, rung(rest)[0])
    answered = leg.answer()
    whisper = answered.find("Gather/Say").text
    assert "Écoute Violences Conjugales" in whisper and "Tapez 1" in whisper
    clock.now += timedelta(seconds=5)
    dial = leg.press("1", answered)
    # The conversation's conference is named after the queued caller (an id, never a number).
    assert dial.find("Dial/Conference").text.startswith(f"hl-qc{queued(qapp, caller.sid).id}-")
    assert listener(qapp, camille).status == "on_call"
    connecting = bridge(tw, caller, dial, leg)
    assert "Un écoutant prend votre appel" in connecting.find("Say").text
    assert queued(qapp, caller.sid).status == "bridged"
    assert rest.hears(caller.sid) == {leg.sid} and rest.hears(leg.sid) == {caller.sid}
    clock.now += timedelta(minutes=12)
    caller_hangs_up(tw, rest, caller)
    assert leg.status("completed", 720).status_code == 200
    after = listener(qapp, camille)
    assert after.status == "wrap_up"
    assert after.wrapup_until == clock.now + timedelta(seconds=60)
    # Wrap-up over: the next caller is offered to Camille again.
    clock.now += timedelta(seconds=61)
    Caller(tw)
    assert listener(qapp, camille).status == "ringing"
    assert len(rest.calls) == 2
    assert events(qapp)[:5] == ["joined", "offered", "bridged", "talk", "joined"]


def test_no_answer_counts_a_missed_offer_and_the_next_listener_is_tried(qapp, tw, rest, clock):
    camille = add_listener(qapp, "Camille", "+32470111111")
    clock.now += timedelta(seconds=1)
    dominique = add_listener(qapp, "Dominique", "+32470222222")
    caller = Caller(tw)
    first = ListenerLeg(tw, rest, rung(rest)[0])
    assert first.call["to"] == "+32470111111"  # idle the longest
    enqueued_at = queued(qapp, caller.sid).enqueued_at
    first.status("no-answer")
    assert listener(qapp, camille).missed_in_row == 1
    second = ListenerLeg(tw, rest, rung(rest)[1])
    assert second.call["to"] == "+32470222222"
    assert listener(qapp, dominique).status == "ringing"
    assert queued(qapp, caller.sid).enqueued_at == enqueued_at  # the caller keeps their place
    assert "missed" in events(qapp)


def test_a_listener_who_misses_twice_in_a_row_is_paused(qapp, tw, rest):
    camille = add_listener(qapp, "Camille", "+32470111111")
    Caller(tw)
    ListenerLeg(tw, rest, rung(rest)[0]).status("busy")
    ListenerLeg(tw, rest, rung(rest)[1]).status("no-answer")
    paused = listener(qapp, camille)
    assert paused.status == "paused"
    with qapp.app_context(), database.session() as session:
        reasons = [c.reason for c in session.scalars(select(ListenerStatusChange))]
    assert "missed 2 offers in a row" in reasons


def test_listener_hanging_up_during_the_whisper_is_a_missed_offer(qapp, tw, rest):
    camille = add_listener(qapp, "Camille", "+32470111111")
    caller = Caller(tw)
    leg = ListenerLeg(tw, rest, rung(rest)[0])
    leg.answer()
    leg.status("completed", 4)
    assert listener(qapp, camille).missed_in_row == 1
    assert queued(qapp, caller.sid).status in ("waiting", "offered")


def test_listener_pressing_another_key_does_not_take_the_call(qapp, tw, rest):
    add_listener(qapp, "Camille", "+32470111111")
    Caller(tw)
    leg = ListenerLeg(tw, rest, rung(rest)[0])
    document = leg.press("5")
    assert document.find("Dial") is None and document[-1].tag == "Hangup"


def test_caller_hanging_up_while_the_listener_rings_cancels_that_call(qapp, tw, rest, clock):
    camille = add_listener(qapp, "Camille", "+32470111111")
    caller = Caller(tw)
    leg_sid = rung(rest)[0]
    clock.now += timedelta(seconds=8)
    caller.queue_result("hangup")
    assert queued(qapp, caller.sid).status == "abandoned"
    cancel = [r for r in rest.requests if r.method == "POST" and leg_sid in r.path]
    assert cancel and cancel[0].params["Status"] == "canceled"
    assert listener(qapp, camille).status == "available"
    with qapp.app_context(), database.session() as session:
        abandoned = session.scalar(select(QueueEvent).where(QueueEvent.kind == "abandoned"))
        assert abandoned.wait_seconds == 8
    # Should the listener pick up anyway, they are told and nothing is bridged.
    late = ListenerLeg(tw, rest, leg_sid).answer()
    assert "n'est plus en ligne" in late.find("Say").text


def test_two_callers_one_listener_first_come_first_served(qapp, tw, rest, clock):
    camille = add_listener(qapp, "Camille", "+32470111111")
    first = Caller(tw)
    clock.now += timedelta(seconds=30)
    second = Caller(tw)
    assert len(rest.calls) == 1  # one listener: one offer, to the first caller
    assert queued(qapp, first.sid).status == "offered"
    assert queued(qapp, second.sid).status == "waiting"
    assert "le 2e appelant" in second.said_while_waiting(position=2)
    leg = ListenerLeg(tw, rest, rung(rest)[0])
    dial = leg.press("1")
    bridge(tw, first, dial, leg)
    assert "le prochain appelant" in second.said_while_waiting(position=1)
    caller_hangs_up(tw, rest, first)
    leg.status("completed", 300)
    clock.now += timedelta(seconds=61)
    # Wrap-up over: the sweep (or the next event) offers the second caller to Camille.
    from ivr.sweep import sweep

    sweep(qapp)
    assert len(rest.calls) == 2
    assert queued(qapp, second.sid).status == "offered"
    assert listener(qapp, camille).status == "ringing"


def test_waiting_announcements_only_ever_improve(qapp, tw, rest, clock):
    add_listener(qapp, "Camille", "+32470111111", status=ListenerStatus.PAUSED)
    first, second, third = Caller(tw), Caller(tw), Caller(tw)  # same second: arrival order decides
    said = third.said_while_waiting()
    assert "le 3e appelant" in said
    assert "temps d'attente" not in said  # everyone on a break: no figure rather than a wrong one
    assert "appelant" not in third.said_while_waiting()  # nothing new: no repeat
    first.queue_result("hangup")
    assert "le 2e appelant" in third.said_while_waiting()
    assert "le prochain appelant" in second.said_while_waiting()


def test_estimated_wait_counts_only_listeners_who_are_not_on_a_break(qapp, tw, rest):
    add_listener(qapp, "Camille", "+32470111111", status=ListenerStatus.ON_CALL)
    add_listener(qapp, "Dominique", "+32470222222", status=ListenerStatus.PAUSED)
    caller = Caller(tw)
    said = caller.said_while_waiting()
    assert "le prochain appelant" in said
    assert "environ 3 minutes" in said  # one staffed listener, half a 5-minute call to go (no history yet)


def test_caller_leaves_the_queue_at_the_maximum_wait_and_the_chain_goes_on(qapp, tw, rest):
    add_listener(qapp, "Camille", "+32470111111", status=ListenerStatus.PAUSED)
    caller = Caller(tw)
    qapp.config["CLOCK"].now += timedelta(seconds=299)
    assert caller.wait(queue_time=299).find("Leave") is None
    qapp.config["CLOCK"].now += timedelta(seconds=1)
    assert caller.wait(queue_time=300).find("Leave") is not None
    assert queued(qapp, caller.sid).status == "left_max_wait"
    after = caller.queue_result("leave")
    assert after.find("Dial/Number").text == ROOM
    assert "left_max_wait" in events(qapp)


def test_leave_key_takes_the_caller_out_of_the_queue(qapp, tw, rest):
    add_listener(qapp, "Camille", "+32470111111", status=ListenerStatus.PAUSED)
    caller = Caller(tw)
    assert "tapez 0" in caller.said_while_waiting()
    assert caller.press_in_queue("0").find("Leave") is not None
    assert queued(qapp, caller.sid).status == "left_key"
    offer = caller.queue_result("leave")
    assert "rappelle" in offer.find("Gather/Say").text  # offered a callback, which they may refuse


def test_when_every_listener_logs_out_waiting_callers_move_on(qapp, tw, rest):
    camille = add_listener(qapp, "Camille", "+32470111111", status=ListenerStatus.PAUSED)
    caller = Caller(tw)
    with qapp.app_context(), database.session() as session:
        set_status(session, session.get(Listener, camille), ListenerStatus.OFFLINE, qapp.config["CLOCK"](), "test")
        session.commit()
    from ivr.sweep import sweep

    report = sweep(qapp)
    assert report.callers_moved_on == 1
    redirect = [r for r in rest.requests if r.method == "POST" and caller.sid in r.path]
    assert redirect and "/voice/route?" in redirect[0].params["Url"]
    assert queued(qapp, caller.sid).status == "moved_on"
    # The wait document agrees, should Twilio ask before the redirect lands.
    assert caller.wait().find("Leave") is not None


@pytest.mark.parametrize("result, hangs_up", [
    ("bridged", True), ("hangup", True), ("leave", False), ("queue-full", False), ("error", False),
    ("redirected", False), ("system-error", False),
])
def test_enqueue_action_handles_every_queue_result(qapp, tw, rest, result, hangs_up):
    add_listener(qapp, "Camille", "+32470111111", status=ListenerStatus.PAUSED)
    caller = Caller(tw)
    document = caller.queue_result(result)
    if hangs_up:
        assert document[-1].tag == "Hangup" and document.find("Dial") is None
    else:
        assert document.find("Dial/Number").text == ROOM


@pytest.mark.parametrize("result", ["bridged", "hangup", "leave", "queue-full"])
def test_a_callers_own_twilio_queue_is_deleted_once_they_leave_it(qapp, tw, rest, result):
    add_listener(qapp, "Camille", "+32470111111", status=ListenerStatus.PAUSED)
    caller = Caller(tw)
    name = caller.enqueue.text
    queue_sid = rest.add_queue(name)  # Twilio made it when <Enqueue> named it
    other_sid = rest.add_queue("ecoute-violences-conjugales.999", current_size=1)  # someone still waiting
    xml(tw.post(path_of(caller.enqueue.get("action")), caller.params(QueueResult=result, QueueSid=queue_sid)))
    assert queue_sid not in rest.queues
    assert other_sid in rest.queues
    deletes = [r for r in rest.requests if r.method == "DELETE"]
    assert [r.path.rsplit("/", 1)[-1] for r in deletes] == [f"{queue_sid}.json"]


def test_ring_several_rings_listeners_together_and_the_first_to_press_1_wins(qapp, tw, rest, shipped_directory):
    with qapp.app_context(), database.session() as session:
        doc = next(d for d in shipped_directory.lines if d["id"] == "ecoute-violences-conjugales")
        changed = {**doc, "queue": {**doc["queue"], "strategy": "ring_several", "ring_several": 2}}
        from directory_data.loader import DirectoryFiles

        load_documents(session, DirectoryFiles([changed if d is doc else d for d in shipped_directory.lines],
                                               shipped_directory.centres))
        session.commit()
    a = add_listener(qapp, "A", "+32470111111")
    b = add_listener(qapp, "B", "+32470222222")
    caller = Caller(tw)
    assert len(rest.calls) == 2
    leg_a, leg_b = (ListenerLeg(tw, rest, sid) for sid in rung(rest))
    answered_b = leg_b.answer()
    dial = leg_b.press("1", answered_b)
    assert dial.find("Dial/Conference") is not None
    cancel = [r for r in rest.requests if r.method == "POST" and leg_a.sid in r.path]
    assert cancel and cancel[0].params["Status"] == "canceled"
    statuses = {listener(qapp, a).status, listener(qapp, b).status}
    assert statuses == {"available", "on_call"}
    assert queued(qapp, caller.sid).status == "offered"


def test_callers_are_offered_only_to_listeners_who_speak_their_language(qapp, tw, rest):
    add_listener(qapp, "Francophone", "+32470111111", pools=("france-victimes",), languages=("fr",))
    add_listener(qapp, "Anglophone", "+32470222222", pools=("france-victimes",), languages=("en", "fr"))
    sid = "CA" + uuid.uuid4().hex
    params = {"CallSid": sid, "From": "anonymous", "To": "+33199000116", "CallStatus": "in-progress"}
    menu = xml(tw.post("/voice/incoming", params))
    document = xml(tw.post(path_of(menu.find("Gather").get("action")), {**params, "Digits": "9"}))
    assert document.find("Enqueue") is not None
    [call] = rest.calls.values()
    assert call["to"] == "+32470222222"


def test_caller_leaving_while_the_listener_is_being_dialled_stops_that_phone(qapp, tw, rest, clock):
    from ivr.dispatcher import Dispatcher
    from store.dispatch import OfferPlan, caller_left, claim_offers

    camille = add_listener(qapp, "Camille", "+32470111111", status=ListenerStatus.PAUSED)
    caller = Caller(tw)  # queued; nobody dialled yet (Camille is on a break)
    with qapp.app_context(), database.session() as session:
        set_status(session, session.get(Listener, camille), ListenerStatus.AVAILABLE, clock.now, "chosen by test")
        line = qapp.extensions["directory"].get(session, clock.now).line_for_pool("ecoute-violences-conjugales")
        [plan] = claim_offers(session, "ecoute-violences-conjugales", clock.now, line.queue)
        session.commit()
    with qapp.app_context(), database.session() as session:  # the caller hangs up before the REST call returns
        caller_left(session, caller.sid, "hangup", clock.now, line.queue)
        session.commit()
    assert Dispatcher(qapp).dial(plan, line) is False
    [leg] = rest.calls
    assert rest.calls[leg]["status"] == "canceled"
    assert listener(qapp, camille).status == "available"
    Caller(tw)  # the next caller is offered to Camille: one offer at a time
    assert listener(qapp, camille).status == "ringing" and len(rest.calls) == 2


def test_listener_line_dropping_after_pressing_1_puts_the_caller_back_to_be_offered_again(qapp, tw, rest, clock):
    camille = add_listener(qapp, "Camille", "+32470111111")
    caller = Caller(tw)
    leg = ListenerLeg(tw, rest, rung(rest)[0])
    leg.press("1")
    leg.status("completed", 3)  # the bridge never happened
    assert queued(qapp, caller.sid).status in ("waiting", "offered")
    assert listener(qapp, camille).status in ("available", "ringing")
    assert len(rest.calls) == 2  # offered again at once


def test_a_listener_is_not_left_on_call_when_the_status_callback_is_lost(qapp, tw, rest, clock):
    camille = add_listener(qapp, "Camille", "+32470111111")
    caller = Caller(tw)
    leg = ListenerLeg(tw, rest, rung(rest)[0])
    dial = leg.press("1")
    bridge(tw, caller, dial, leg)
    clock.now += timedelta(minutes=5)
    caller_hangs_up(tw, rest, caller)
    tw.post(path_of(dial.find("Dial").get("action")), leg.params(DialCallStatus="completed"))  # no status callback
    assert listener(qapp, camille).status == "wrap_up"


def test_a_caller_behind_one_no_free_listener_can_take_is_still_offered(qapp, tw, rest):
    add_listener(qapp, "Anglophone", "+32470222222", pools=("france-victimes",), languages=("en",))
    french_sid = "CA" + uuid.uuid4().hex
    french = {"CallSid": french_sid, "From": "anonymous", "To": "+33199000116", "CallStatus": "in-progress"}
    menu = xml(tw.post("/voice/incoming", french))
    assert xml(tw.post(path_of(menu.find("Redirect").text), french)).find("Enqueue") is not None
    sid = "CA" + uuid.uuid4().hex
    params = {"CallSid": sid, "From": "anonymous", "To": "+33199000116", "CallStatus": "in-progress"}
    menu = xml(tw.post("/voice/incoming", params))
    xml(tw.post(path_of(menu.find("Gather").get("action")), {**params, "Digits": "9"}))
    assert queued(qapp, french_sid).status == "waiting"  # nobody here speaks French: the caller waits
    [call] = rest.calls.values()
    assert call["to"] == "+32470222222"


# --- max_wait, whatever the announcement cadence ----------------------------------------------------------------


def set_queue(app, shipped_directory, **queue):
    """The Belgian line with other queue settings, loaded as a coordinator would."""
    from directory_data.loader import DirectoryFiles

    with app.app_context(), database.session() as session:
        doc = next(d for d in shipped_directory.lines if d["id"] == "ecoute-violences-conjugales")
        changed = {**doc, "queue": {**doc["queue"], **queue}}
        load_documents(session, DirectoryFiles([changed if d is doc else d for d in shipped_directory.lines],
                                               shipped_directory.centres))
        session.commit()


SPOKEN_PER_SECOND = 13  # characters a Twilio voice says in a second (French, Polly and Google voices: 13 to 16)


def playing_time(document) -> int:
    """Seconds Twilio spends on a wait document before fetching it again (no key pressed)."""
    seconds = 0.0
    for verb in document.iter():
        if verb.tag == "Say":
            seconds += len(verb.text or "") / SPOKEN_PER_SECOND
        elif verb.tag == "Pause":
            seconds += int(verb.get("length", "1"))
        elif verb.tag == "Play" and (verb.text or "").endswith("/media/hold-music.wav"):
            seconds += CLIP_SECONDS * int(verb.get("loop", "1"))  # the engine's own clip, its length known
        elif verb.tag == "Gather":
            seconds += int(verb.get("timeout", "5"))
        elif verb.tag not in ("Response", "Redirect", "Leave", "Hangup"):
            raise AssertionError(f"the test does not know how long <{verb.tag}> lasts")
    return round(seconds + 0.5)


@pytest.mark.parametrize("announce_every", [10, 45, 60, 120, 300])
def test_max_wait_ends_the_wait_within_5_seconds_of_the_limit_whatever_the_cadence(qapp, tw, rest, clock,
                                                                                   shipped_directory, announce_every):
    """Regression (issue 12): with max_wait 600 s and a 45 s cadence a caller left the queue at 645 s."""
    set_queue(qapp, shipped_directory, max_wait=600, announce_every=announce_every)
    add_listener(qapp, "Camille", "+32470111111", status=ListenerStatus.PAUSED)
    caller = Caller(tw)
    start = clock.now
    document = caller.wait()
    while document.find("Leave") is None:  # Twilio plays the document, then fetches it again
        clock.now += timedelta(seconds=playing_time(document))
        assert clock.now - start <= timedelta(seconds=605), "still queued past the limit"
        document = caller.wait(queue_time=int((clock.now - start).total_seconds()))
    assert timedelta(seconds=600) <= clock.now - start <= timedelta(seconds=605)
    assert queued(qapp, caller.sid).status == "left_max_wait"
    assert caller.queue_result("leave").find("Dial/Number").text == ROOM  # and the chain goes on


def test_announcements_keep_their_cadence_until_the_last_stretch(qapp, tw, rest, clock, shipped_directory):
    set_queue(qapp, shipped_directory, max_wait=600, announce_every=45)
    add_listener(qapp, "Camille", "+32470111111", status=ListenerStatus.PAUSED)
    caller = Caller(tw)
    assert caller.wait().find("Gather/Play").get("loop") == "4"  # the cadence, in plays of the 10 s loop
    clock.now += timedelta(seconds=580)  # 20 s left: no announcement fits, the document lasts what is left
    last = caller.wait(queue_time=580)
    assert last.find("Say") is None and 20 <= playing_time(last) <= 24
    assert last.find("Gather/Play") is not None  # music to the end, not silence
    assert last.find("Gather").get("action").startswith("https://ivr.example.org/voice/queue/key")  # 0 still works


def test_a_caller_whose_wait_document_is_not_fetched_in_time_is_moved_on_by_the_sweep(qapp, tw, rest, clock,
                                                                                      shipped_directory):
    from ivr.sweep import sweep

    set_queue(qapp, shipped_directory, max_wait=600, announce_every=45)
    add_listener(qapp, "Camille", "+32470111111", status=ListenerStatus.PAUSED)
    caller = Caller(tw)
    rest.add_inbound_call(caller.sid)
    clock.now += timedelta(seconds=590)
    caller.wait(queue_time=590)  # heard from; its next fetch will come late (Twilio slow)
    clock.now += timedelta(seconds=12)
    assert sweep(qapp).callers_moved_on == 0  # the wait document may still end the wait at the limit
    clock.now += timedelta(seconds=2)
    assert sweep(qapp).callers_moved_on == 1
    [redirect] = [r for r in rest.requests if r.method == "POST" and caller.sid in r.path]
    assert "/voice/route?" in redirect.params["Url"]
    assert queued(qapp, caller.sid).status == "left_max_wait"
    assert caller.wait().find("Leave") is not None  # should Twilio still ask before the redirect lands
    route = xml(tw.post(path_of(redirect.params["Url"]), caller.params()))
    assert route.find("Dial/Number").text == ROOM


def test_a_caller_a_listener_has_just_taken_is_not_moved_out_of_the_queue_at_max_wait(qapp, tw, rest, clock,
                                                                                      shipped_directory):
    from ivr.sweep import sweep

    set_queue(qapp, shipped_directory, max_wait=600, announce_every=45)
    add_listener(qapp, "Camille", "+32470111111")
    caller = Caller(tw)
    leg = ListenerLeg(tw, rest, rung(rest)[0])
    answered = leg.answer()
    clock.now += timedelta(seconds=600)
    dial = leg.press("1", answered)  # at the limit, the listener takes the call
    # Should the wait document be fetched now, it leaves the queue for the listener's conference, not for the
    # chain's next rule: the Enqueue action answers with the conference.
    assert caller.wait(queue_time=600).find("Leave") is not None
    assert caller.queue_result("leave").find("Dial/Conference").text == dial.find("Dial/Conference").text
    clock.now += timedelta(seconds=4)
    assert sweep(qapp).callers_moved_on == 0
    bridge(tw, caller, dial, leg)
    assert queued(qapp, caller.sid).status == "bridged"


def test_a_lines_own_music_plays_between_announcements_and_the_engines_loop_near_max_wait(qapp, tw, rest, clock,
                                                                                         shipped_directory):
    from directory_data.loader import DirectoryFiles

    with qapp.app_context(), database.session() as session:
        doc = next(d for d in shipped_directory.lines if d["id"] == "ecoute-violences-conjugales")
        changed = {**doc, "hold_music": "https://media.example.org/attente.mp3",
                   "queue": {**doc["queue"], "max_wait": 600, "announce_every": 45}}
        load_documents(session, DirectoryFiles([changed if d is doc else d for d in shipped_directory.lines],
                                               shipped_directory.centres))
        session.commit()
    add_listener(qapp, "Camille", "+32470111111", status=ListenerStatus.PAUSED)
    caller = Caller(tw)
    assert caller.wait().find("Gather/Play").text == "https://media.example.org/attente.mp3"
    clock.now += timedelta(seconds=560)  # 40 s left: not a full cadence after the words
    near = caller.wait(queue_time=560)
    assert near.find("Gather/Play").text.endswith("/media/hold-music.wav")  # a length the engine knows
    assert playing_time(near) <= 40 + 4
