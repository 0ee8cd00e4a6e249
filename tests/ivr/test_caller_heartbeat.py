"""A caller who hung up unheard (the hang-up lost) is never offered to a listener: the wait fetches are a heartbeat."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from ivr.dispatcher import choose_and_dispatch
from ivr.sweep import sweep
from routing.queueing import ListenerStatus
from store.dispatch import HEARD_FROM_MARGIN
from store.extension import database, directory
from store.listeners import set_status
from store.models import Listener
# qapp and tw, fixtures: the Belgian line on a Tuesday morning and a signed Twilio client for it.
from tests.support.calls import (Caller, ListenerLeg, add_listener, events, listener, path_of,  # noqa: F401,F811
                              qapp, queued, tw)

POOL = "ecoute-violences-conjugales"
CAMILLE = "+32470111111"


def silence_allowed(app) -> timedelta:
    """How long a live caller may go between two wait fetches on this line (its wait document and pause)."""
    with app.app_context(), database.session() as session:
        line = directory.get(session, app.config["CLOCK"]()).line_for_pool(POOL)
        return timedelta(seconds=line.queue.announce_every) + HEARD_FROM_MARGIN


def goes_available(app, listener_id) -> None:
    """The listener says they are available (phone menu, console): the dispatcher is told at once."""
    with app.app_context(), database.session() as session:
        choose_and_dispatch(session, session.get(Listener, listener_id), ListenerStatus.AVAILABLE,
                            app.config["CLOCK"](), "by phone")


def listeners_dialled(rest) -> list[str]:
    return [r.params["To"] for r in rest.requests if r.method == "POST" and r.path.endswith("/Calls.json")]


def asked_about(rest) -> list[str]:
    """The calls whose status the engine asked Twilio for."""
    return [r.path.rsplit("/", 1)[-1].removesuffix(".json") for r in rest.requests
            if r.method == "GET" and "/Calls/" in r.path]


def test_a_caller_who_hung_up_unheard_is_never_offered_and_the_listener_stays_available(qapp, tw, rest, clock,
                                                                                       caplog):
    camille = add_listener(qapp, "Camille", CAMILLE, status=ListenerStatus.PAUSED)  # the queue stays open
    ghost = Caller(tw)
    rest.add_inbound_call(ghost.sid, status="completed")  # hung up while the database was down: never heard
    clock.now += silence_allowed(qapp) + timedelta(seconds=1)
    with caplog.at_level(logging.INFO):
        goes_available(qapp, camille)
    assert listeners_dialled(rest) == []  # Camille's phone never rings for nobody
    assert asked_about(rest) == [ghost.sid]
    assert queued(qapp, ghost.sid).status == "abandoned"
    camille_now = listener(qapp, camille)
    assert camille_now.status == "available" and camille_now.missed_in_row == 0  # she did nothing wrong
    assert "abandoned" in events(qapp) and "missed" not in events(qapp)
    assert "hung up unheard" in caplog.text and ghost.number not in caplog.text


def test_the_listener_goes_to_the_real_caller_waiting_behind_one_who_hung_up_unheard(qapp, tw, rest, clock):
    camille = add_listener(qapp, "Camille", CAMILLE, status=ListenerStatus.PAUSED)
    ghost = Caller(tw)
    rest.add_inbound_call(ghost.sid, status="completed")
    clock.now += timedelta(seconds=30)
    real = Caller(tw)
    rest.add_inbound_call(real.sid)
    clock.now += silence_allowed(qapp) - timedelta(seconds=29)  # the ghost silent too long; the real caller:
    real.wait(queue_time=int(silence_allowed(qapp).total_seconds()) - 29)  # Twilio fetches their wait document
    goes_available(qapp, camille)
    assert listeners_dialled(rest) == [CAMILLE]
    assert asked_about(rest) == [ghost.sid]  # never about the caller heard from
    assert queued(qapp, ghost.sid).status == "abandoned"
    assert queued(qapp, real.sid).status == "offered"
    [leg_sid] = [sid for sid, call in rest.calls.items() if call["direction"] == "outbound-api"]
    leg = ListenerLeg(tw, rest, leg_sid)
    dial = leg.press("1")
    assert dial.find("Dial/Conference").text.startswith(f"hl-qc{queued(qapp, real.sid).id}-")  # with the real caller


def test_a_caller_heard_from_is_dialled_without_asking_twilio_after_two_minutes_of_waiting(qapp, tw, rest, clock):
    camille = add_listener(qapp, "Camille", CAMILLE, status=ListenerStatus.PAUSED)
    caller = Caller(tw)
    rest.add_inbound_call(caller.sid)
    for waited in (50, 100):  # the wait document plays, then Twilio fetches the next one
        clock.now += timedelta(seconds=50)
        caller.wait(queue_time=waited)
    with qapp.app_context(), database.session() as session:  # available, and the next sweep pass dispatches
        set_status(session, session.get(Listener, camille), ListenerStatus.AVAILABLE, clock.now, "from the console")
        session.commit()
    clock.now += timedelta(seconds=20)  # two minutes since the caller joined: longer than a silence allowed
    assert clock.now - queued(qapp, caller.sid).enqueued_at > silence_allowed(qapp)
    sweep(qapp)
    assert listeners_dialled(rest) == [CAMILLE]
    assert asked_about(rest) == []
    assert queued(qapp, caller.sid).status == "offered"


@pytest.mark.parametrize("twilio_says", ["in-progress", 500])
def test_a_caller_not_heard_from_is_still_offered_unless_twilio_says_their_call_is_over(qapp, tw, rest, clock,
                                                                                       twilio_says):
    camille = add_listener(qapp, "Camille", CAMILLE, status=ListenerStatus.PAUSED)
    caller = Caller(tw)
    if twilio_says == 500:
        rest.call_fetch_error = 500  # Twilio cannot say: never punish a live caller for a REST hiccup
    else:
        rest.add_inbound_call(caller.sid, status=twilio_says)
    clock.now += silence_allowed(qapp) + timedelta(seconds=1)
    goes_available(qapp, camille)
    assert asked_about(rest) == [caller.sid]
    assert listeners_dialled(rest) == [CAMILLE]
    assert queued(qapp, caller.sid).status == "offered"
    assert listener(qapp, camille).status == "ringing"


def test_the_sweep_finds_a_caller_who_hung_up_unheard_within_a_pass_and_leaves_live_callers_alone(qapp, tw, rest,
                                                                                                  clock):
    add_listener(qapp, "Camille", CAMILLE, status=ListenerStatus.PAUSED)  # logged in: nobody is moved on
    ghost, live = Caller(tw), Caller(tw)
    rest.add_inbound_call(ghost.sid, status="completed")
    rest.add_inbound_call(live.sid)
    joined, allowed = clock.now, silence_allowed(qapp)
    fetches = [joined + timedelta(seconds=s) for s in (50, 100)]
    passes = [joined + allowed - timedelta(seconds=5), joined + allowed + timedelta(seconds=10)]  # 15 s apart
    for moment in sorted(fetches + passes):
        clock.now = moment
        if moment in fetches:
            live.wait(queue_time=int((moment - joined).total_seconds()))
        elif moment == passes[0]:
            assert sweep(qapp).callers_lost == 0
            assert asked_about(rest) == []  # nobody silent too long yet: Twilio is not asked
        else:
            assert sweep(qapp).callers_lost == 1
    assert queued(qapp, ghost.sid).status == "abandoned"
    assert queued(qapp, live.sid).status == "waiting"
    assert asked_about(rest) == [ghost.sid]


def test_a_ghost_found_by_the_sweep_stops_the_phone_ringing_for_them(qapp, tw, rest, clock):
    camille = add_listener(qapp, "Camille", CAMILLE, status=ListenerStatus.PAUSED)
    caller = Caller(tw)
    rest.add_inbound_call(caller.sid, status="completed")
    clock.now += silence_allowed(qapp) + timedelta(seconds=1)
    rest.call_fetch_error = 500  # Twilio cannot say as Camille becomes available: she is dialled all the same
    goes_available(qapp, camille)
    [leg] = [sid for sid, call in rest.calls.items() if call.get("direction") == "outbound-api"]
    rest.call_fetch_error = None
    assert sweep(qapp).callers_lost == 1
    assert rest.calls[leg]["status"] == "canceled"
    assert listener(qapp, camille).status == "available" and listener(qapp, camille).missed_in_row == 0


def test_a_caller_missing_from_their_queue_when_a_listener_takes_the_call_is_not_offered_again(qapp, tw, rest):
    # The database was down when the caller hung up: the engine still counts them as waiting, but Twilio knows
    # their call is over, so it cannot be moved into the conference where the listener waits.
    camille = add_listener(qapp, "Camille", CAMILLE)
    dominique = add_listener(qapp, "Dominique", "+32470222222", status=ListenerStatus.PAUSED)
    caller = Caller(tw)
    [sid] = rest.calls
    rest.add_inbound_call(caller.sid, status="completed")
    leg = ListenerLeg(tw, rest, sid)
    assert leg.press("1").find("Dial/Conference") is not None
    # Camille, waiting in the conference with music, is moved out of it at once and told the caller is gone.
    told = rest.calls[sid]["redirects"][-1]
    after = tw.post(path_of(told), leg.params(CallStatus="in-progress"))
    assert "n'est plus en ligne" in after.get_data(as_text=True)
    assert queued(qapp, caller.sid).status == "left"
    assert listener(qapp, camille).status == "available"
    goes_available(qapp, dominique)
    assert listeners_dialled(rest) == [CAMILLE]  # nobody else's phone rings for that caller


def test_a_listener_hanging_up_before_the_bridge_leaves_the_caller_in_the_queue(qapp, tw, rest):
    # Camille pressed 1, then her mobile dropped before Twilio bridged: the Dial's action comes with her call
    # over, which says nothing of the caller — who is still waiting and is offered again.
    camille = add_listener(qapp, "Camille", CAMILLE)
    caller = Caller(tw)
    [sid] = rest.calls
    leg = ListenerLeg(tw, rest, sid)
    dial = leg.press("1").find("Dial")
    tw.post(path_of(dial.get("action")), leg.params(CallStatus="completed", DialCallStatus="completed",
                                                    DialCallDuration="0"))
    assert queued(qapp, caller.sid).status == "offered"  # offered again at once: Camille is free
    assert listeners_dialled(rest) == [CAMILLE, CAMILLE]
    assert listener(qapp, camille).status == "ringing"


def test_the_first_sweep_after_a_database_outage_asks_twilio_about_everyone(qapp, tw, rest, clock, tmp_path):
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import sessionmaker

    from store.db import make_engine
    from tests.support.calls import bridge

    camille = add_listener(qapp, "Camille", CAMILLE)
    add_listener(qapp, "Dominique", "+32470222222", status=ListenerStatus.PAUSED)  # logged in: nobody moved on
    talking = Caller(tw)
    [sid] = rest.calls
    leg = ListenerLeg(tw, rest, sid)
    bridge(tw, talking, leg.press("1"), leg)
    ghost, live = Caller(tw), Caller(tw)
    clock.now += timedelta(seconds=30)
    saved = qapp.extensions["database"]
    unreachable = make_engine(f"sqlite:///{tmp_path}/gone/db.sqlite3")
    qapp.extensions["database"] = (unreachable, sessionmaker(bind=unreachable))
    with pytest.raises(OperationalError):
        sweep(qapp)  # the scheduler logs it and tries again 15 s later
    # Meanwhile the conversation ended and the ghost hung up: both reports were lost with the database.
    rest.calls[sid]["status"] = "completed"
    rest.add_inbound_call(ghost.sid, status="completed")
    rest.add_inbound_call(live.sid)
    qapp.extensions["database"] = saved
    clock.now += timedelta(seconds=15)  # well before a conversation's 10 minutes or a caller's silence allowed
    report = sweep(qapp)
    assert report.after_outage and report.conversations_closed == 1 and report.callers_lost == 1
    assert listener(qapp, camille).status == "wrap_up"  # free for the next caller once wrapped up
    assert queued(qapp, ghost.sid).status == "abandoned" and queued(qapp, live.sid).status == "waiting"
    assert sweep(qapp).after_outage is False  # the next pass is an ordinary one again


# --- the call's own status callback -----------------------------------------------------------------------


def test_a_caller_who_hangs_up_during_the_greeting_is_out_of_the_queue_when_the_call_ends(qapp, tw, rest):
    # The Belgian line has no menu: the first answer already holds <Enqueue>, after the greeting. The caller
    # hangs up while it is read, so Twilio never queues them and only the call's status callback comes.
    camille = add_listener(qapp, "Camille", CAMILLE, status=ListenerStatus.PAUSED)  # on a short break
    caller = Caller(tw)
    assert caller.queued and queued(qapp, caller.sid).status == "waiting"
    tw.post("/voice/status", caller.params(CallStatus="completed", CallDuration="6"))
    assert queued(qapp, caller.sid).status == "abandoned"
    goes_available(qapp, camille)
    assert listeners_dialled(rest) == [] and listener(qapp, camille).status == "available"


def test_the_end_of_a_call_stops_the_phone_ringing_for_it_when_its_queue_hang_up_was_lost(qapp, tw, rest):
    camille = add_listener(qapp, "Camille", CAMILLE)
    caller = Caller(tw)
    assert listeners_dialled(rest) == [CAMILLE] and listener(qapp, camille).status == "ringing"
    [leg] = rest.calls
    tw.post("/voice/status", caller.params(CallStatus="completed", CallDuration="40"))
    assert rest.calls[leg]["status"] == "canceled"  # Camille's phone stops ringing for nobody
    assert listener(qapp, camille).status == "available" and listener(qapp, camille).missed_in_row == 0
    assert queued(qapp, caller.sid).status == "abandoned"


def test_the_end_of_a_bridged_call_leaves_its_conversation_alone(qapp, tw, rest):
    from tests.support.calls import bridge

    camille = add_listener(qapp, "Camille", CAMILLE)
    caller = Caller(tw)
    [sid] = rest.calls
    leg = ListenerLeg(tw, rest, sid)
    bridge(tw, caller, leg.press("1"), leg)
    tw.post("/voice/status", caller.params(CallStatus="completed", CallDuration="300"))
    assert queued(qapp, caller.sid).status == "bridged" and listener(qapp, camille).status == "on_call"
