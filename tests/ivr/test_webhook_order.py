"""Twilio does not order a call's webhooks: every pair that can race gives the same result in both orders.

The pairs, in the queue / bridge / wrap-up / callback-dial flow (each tested both ways below or where named):
- the dispatcher recording the listener's leg (the REST API's answer) and the listener's first webhook on it;
- after a conversation (the caller hung up: the conference ended with them), the conference's status callback
  and the listener's Dial action;
- after a conversation, the caller's status callback and the listener's Dial action;
- the same two, when the conference's status callbacks were lost;
- the listener's leg dropping mid-conversation: their Dial action and their leg's status callback;
- a late (retried) fetch of the caller's conference document and the listener's Dial action;
- the caller hanging up as the listener presses 1: the caller's Enqueue action or status callback and the key;
- the listener pressing 1 as they hang up: their key and their leg's status callback (for a caller, a callback);
- the wrap-up key pressed as the listener hangs up: the Gather action and the status callback (test_wrapup.py);
- a callback's Dial action and the listener's status callback after talking to the caller called back;
- the listener picking up / the bridge, while the caller or the listener hangs up (test_dispatch_interleavings.py,
  the same pairs run truly at once on PostgreSQL).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from store.extension import database
from store.models import CallbackAttempt, CallbackRequest, Offer, QueueEvent
from tests.conftest import SignedTwilio, at_brussels
from tests.support.calls import (Caller, ListenerLeg, add_listener, bridge, deliver, listener, path_of, queued, rung,
                                 xml)

TALK = 8 * 60


@pytest.fixture
def qapp(live_app, clock):
    clock.now = at_brussels(2026, 11, 24, 10, 0)  # a Tuesday: the Belgian line is open
    return live_app


@pytest.fixture
def tw(qapp):
    return SignedTwilio(qapp.test_client())


def said(document) -> str:
    return " ".join(s.text or "" for s in document.iter("Say"))


def events(app, caller_sid) -> list[str]:
    with app.app_context(), database.session() as session:
        caller_id = queued(app, caller_sid).id
        return [e.kind for e in session.scalars(select(QueueEvent).where(QueueEvent.queued_caller_id == caller_id)
                                               .order_by(QueueEvent.id))]


def offer_status(app) -> str:
    with app.app_context(), database.session() as session:
        return session.scalar(select(Offer.status).order_by(Offer.id.desc()).limit(1))


def conversation(tw, rest, clock):
    """A caller queued, the listener presses 1, both are in the conference and talk."""
    caller = Caller(tw)
    leg = ListenerLeg(tw, rest, rung(rest)[-1])
    dial = leg.press("1")
    bridge(tw, caller, dial, leg)
    clock.now += timedelta(seconds=TALK)
    return caller, leg, dial


def dial_action(tw, leg, dial, call_status="in-progress"):
    """The listener's <Dial><Conference> is over: Twilio's report on their leg."""
    return xml(tw.post(path_of(dial.find("Dial").get("action")),
                       leg.params(CallStatus=call_status, DialCallStatus="completed", DialCallDuration=str(TALK))))


def caller_side(tw, rest, caller, how):
    if how == "conference events":
        return deliver(tw, rest)
    return xml(tw.post("/voice/status", caller.params(CallStatus="completed", CallDuration=str(TALK + 60))))


@pytest.mark.parametrize("events_delivered", [True, False], ids=["conference events", "conference events lost"])
@pytest.mark.parametrize("how", ["conference events", "status callback"])
@pytest.mark.parametrize("caller_first", [True, False], ids=["caller side first", "listener's Dial first"])
def test_after_a_conversation_the_listener_hears_the_menu_whichever_side_is_reported_first(
        qapp, tw, rest, clock, caller_first, how, events_delivered):
    """Regression (issue 12): the caller's side reported first made the listener hear "L'appelant n'est plus en
    ligne" and left the call unclassified. With the conference, the listener's Dial ends when the caller hangs up:
    whatever the engine has heard of it by then, the listener hears the wrap-up menu, not the * menu."""
    camille = add_listener(qapp, "Camille", "+32470111111")
    caller, leg, dial = conversation(tw, rest, clock)
    rest.hang_up(caller.sid)
    if not events_delivered:
        rest.events.clear()
    if caller_first:
        caller_side(tw, rest, caller, how)
        menu = dial_action(tw, leg, dial)
    else:
        menu = dial_action(tw, leg, dial)
        caller_side(tw, rest, caller, how)
    assert said(menu).startswith("Fin de l'appel. Pour classer cet appel")
    assert "n'est plus en ligne" not in said(menu)
    assert queued(qapp, caller.sid).status == "done"
    assert events(qapp, caller.sid) == ["joined", "offered", "bridged", "talk"]
    assert listener(qapp, camille).status == "wrap_up"
    # The menu works: the call is classified.
    done = xml(tw.post(path_of(menu.find("Gather").get("action")), leg.params(Digits="1", CallStatus="in-progress")))
    assert said(done).startswith("Appel classé : Victime de violences conjugales.")


@pytest.mark.parametrize("status_first", [True, False])
def test_a_listener_s_leg_dropping_mid_conversation_is_recorded_alike_in_either_order(qapp, tw, rest, clock,
                                                                                     status_first):
    camille = add_listener(qapp, "Camille", "+32470111111")
    caller, leg, dial = conversation(tw, rest, clock)
    ended = clock.now
    rest.hang_up(leg.sid)
    if status_first:
        leg.status("completed", TALK + 20)
        dial_action(tw, leg, dial, call_status="completed")
    else:
        dial_action(tw, leg, dial, call_status="completed")
        leg.status("completed", TALK + 20)
    deliver(tw, rest)
    # The caller is moved out of the conference once, back to the head of the queue; the talk is counted.
    assert len(rest.inbound[caller.sid]["redirects"]) == 2  # into the conference, then back to the queue
    assert "un autre écoutant" in said(caller.follow_redirect(rest))
    assert queued(qapp, caller.sid).status == "waiting" and offer_status(qapp) == "ended"
    assert events(qapp, caller.sid) == ["joined", "offered", "bridged", "talk", "requeued"]
    her = listener(qapp, camille)
    assert her.status == "wrap_up" and her.wrapup_until == ended + timedelta(seconds=60)
    clock.now = ended + timedelta(seconds=61)
    from ivr.sweep import sweep

    sweep(qapp)  # her wrap-up over: she is offered the caller sent back to the queue
    assert listener(qapp, camille).status == "ringing" and queued(qapp, caller.sid).status == "offered"


@pytest.mark.parametrize("late_fetch_first", [True, False])
def test_a_late_fetch_of_the_caller_s_conference_does_not_reopen_a_conversation_reported_over(qapp, tw, rest, clock,
                                                                                            late_fetch_first):
    camille = add_listener(qapp, "Camille", "+32470111111")
    caller, leg, dial = conversation(tw, rest, clock)
    late_fetch = lambda: caller.follow_redirect(rest)  # noqa: E731 — a retry that arrives late
    rest.hang_up(caller.sid)
    deliver(tw, rest)
    if late_fetch_first:
        late_fetch()
        menu = dial_action(tw, leg, dial)
    else:
        menu = dial_action(tw, leg, dial)
        assert late_fetch().find("Dial") is None  # over: no conference again
    assert said(menu).startswith("Fin de l'appel.")
    assert offer_status(qapp) == "ended" and queued(qapp, caller.sid).status == "done"
    assert events(qapp, caller.sid).count("bridged") == 1
    leg.status("completed", TALK + 30)
    assert listener(qapp, camille).status == "wrap_up"


@pytest.mark.parametrize("caller_first", [True, False])
def test_a_caller_hanging_up_as_the_listener_presses_1_frees_the_listener_in_either_order(qapp, tw, rest, clock,
                                                                                         caller_first):
    camille = add_listener(qapp, "Camille", "+32470111111")
    caller = Caller(tw)
    leg = ListenerLeg(tw, rest, rung(rest)[-1])
    answered = leg.answer()
    if caller_first:
        caller.queue_result("hangup")
        heard = leg.press("1", answered)
    else:
        leg.press("1", answered)
        # The caller hangs up as they are moved to the conference: their status callback, and the listener,
        # waiting there with music, is redirected to be told.
        tw.post("/voice/status", caller.params(CallStatus="completed"))
        told = rest.calls[leg.sid]["redirects"][-1]
        heard = xml(tw.post(path_of(told), leg.params(CallStatus="in-progress")))
    assert "L'appelant n'est plus en ligne" in said(heard) and heard.find("Hangup") is not None
    assert queued(qapp, caller.sid).status == "abandoned"
    Caller(tw)  # the next caller, while "the caller is no longer on the line" still plays on her phone
    assert len(rest.calls) == 1
    leg.status("completed", 12)
    assert listener(qapp, camille).status == "ringing"  # free for the next caller, once her leg is over
    assert len(rest.calls) == 2


# --- callbacks --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status_first", [True, False])
def test_a_callback_conversation_is_counted_once_whichever_of_its_last_two_webhooks_comes_first(
        live_app, rest, clock, status_first):
    from tests.support.callbacks import (MONDAY_MORNING, ListenerPhone, PersonPhone, add_referent, dialled_person,
                                         dispatch, request_callback)

    request_callback(live_app, clock)
    referent = add_referent(live_app)
    clock.now = MONDAY_MORNING
    dispatch(live_app)
    phone = ListenerPhone(live_app, rest, rung(rest)[-1])
    dial = phone.post(phone.answer().find("Gather").get("action"), Digits="1", CallStatus="in-progress")
    rest.join(phone.sid, dial.find("Dial"))
    person = PersonPhone(live_app, rest, dialled_person(rest))
    person.answer()
    clock.now += timedelta(minutes=6)
    rest.hang_up(person.sid)  # the person hangs up, the listener at once: the conference's news comes later
    reported = lambda: phone.post(dial.find("Dial").get("action"), CallStatus="completed",  # noqa: E731
                                  DialCallStatus="completed", DialCallDuration="300")
    hung_up = lambda: phone.post(phone.call["params"]["StatusCallback"], CallStatus="completed",  # noqa: E731
                                 CallDuration="400")
    if status_first:
        hung_up(), reported()
    else:
        reported(), hung_up()
    with live_app.app_context(), database.session() as session:
        request = session.scalar(select(CallbackRequest))
        attempt = session.scalar(select(CallbackAttempt))
        assert (request.status, request.attempts, request.last_outcome) == ("reached", 1, "reached")
        assert (attempt.outcome, attempt.status) == ("reached", "ended")
    assert listener(live_app, referent).status == "wrap_up"


@pytest.mark.parametrize("key_first", [True, False])
def test_a_listener_pressing_1_as_they_hang_up_misses_the_offer_in_either_order(qapp, tw, rest, clock, key_first):
    camille = add_listener(qapp, "Camille", "+32470111111")
    caller = Caller(tw)
    leg = ListenerLeg(tw, rest, rung(rest)[-1])
    gather = leg.answer().find("Gather")
    key = lambda: xml(tw.post(path_of(gather.get("action")), leg.params(Digits="1", CallStatus="completed")))  # noqa: E731
    if key_first:
        key(), leg.status("completed", 9)
    else:
        leg.status("completed", 9), key()
    with qapp.app_context(), database.session() as session:
        first = session.scalar(select(Offer).order_by(Offer.id))
        assert first.status == "missed"
    assert listener(qapp, camille).missed_in_row == 1
    assert queued(qapp, caller.sid).status in ("waiting", "offered")  # the caller keeps their place


@pytest.mark.parametrize("key_first", [True, False])
def test_a_listener_pressing_1_for_a_callback_as_they_hang_up_uses_no_try_in_either_order(live_app, rest, clock,
                                                                                         key_first):
    from tests.support.callbacks import MONDAY_MORNING, ListenerPhone, add_referent, dispatch, request_callback

    request_callback(live_app, clock)
    referent = add_referent(live_app)
    clock.now = MONDAY_MORNING
    dispatch(live_app)
    phone = ListenerPhone(live_app, rest, rung(rest)[-1])
    gather = phone.answer().find("Gather")
    key = lambda: phone.post(gather.get("action"), Digits="1", CallStatus="completed")  # noqa: E731
    hung_up = lambda: phone.post(phone.call["params"]["StatusCallback"], CallStatus="completed",  # noqa: E731
                                 CallDuration="15")
    if key_first:
        key(), hung_up()
    else:
        hung_up(), key()
    with live_app.app_context(), database.session() as session:
        request = session.scalar(select(CallbackRequest))
        attempt = session.scalar(select(CallbackAttempt).order_by(CallbackAttempt.id))
        assert request.attempts == 0 and request.last_outcome is None  # nobody was called back: no try used
        assert attempt.status == "missed"
    assert listener(live_app, referent).missed_in_row == 1
    assert len(rest.calls) == 2  # and, the request still due, the referent's phone rings for it again


@pytest.mark.parametrize("answer_first", [True, False])
def test_the_listener_answering_before_or_after_the_dispatcher_records_the_leg_gets_the_whisper(
        qapp, tw, rest, monkeypatch, answer_first):
    """The REST API's answer to placing the call and Twilio's first webhook on that call race."""
    import ivr.dispatcher

    camille = add_listener(qapp, "Camille", "+32470111111")
    real = ivr.dispatcher.offer_dialled
    heard = {}

    def recorded(session, offer_id, call_sid):
        if answer_first:  # the listener picks up and Twilio asks for the whisper before the REST call returns
            heard["document"] = ListenerLeg(SignedTwilio(qapp.test_client()), rest, call_sid).answer()
        return real(session, offer_id, call_sid)

    monkeypatch.setattr(ivr.dispatcher, "offer_dialled", recorded)
    caller = Caller(tw)
    leg = ListenerLeg(tw, rest, rung(rest)[-1])
    whisper = heard["document"] if answer_first else leg.answer()
    assert "Tapez 1" in said(whisper)
    dial = leg.press("1", whisper)
    assert dial.find("Dial/Conference").text.startswith(f"hl-qc{queued(qapp, caller.sid).id}-")
    assert listener(qapp, camille).status == "on_call"
    with qapp.app_context(), database.session() as session:
        assert session.scalar(select(Offer.call_sid)) == leg.sid
    assert rest.calls[leg.sid]["status"] == "in-progress"  # answered, never hung up as a leg that leads nowhere
