"""Twilio failing to place a listener's call: its outage must not pause the room; a refused number does."""

from __future__ import annotations

from sqlalchemy import select

from ivr.dispatcher import Dispatcher
from routing.queueing import ListenerStatus
from store.extension import database
from store.listeners import set_status
from store.models import Listener, ListenerStatusChange
from tests.support.calls import Caller, add_listener, events, listener, qapp, tw  # noqa: F401,F811 — fixtures

POOL = "ecoute-violences-conjugales"


def placed(rest) -> list:
    return [r for r in rest.requests if r.method == "POST" and r.path.endswith("/Calls.json")]


def test_a_twilio_outage_leaves_listeners_available_and_they_are_dialled_once_twilio_is_back(qapp, tw, rest):
    camille = add_listener(qapp, "Camille", "+32470111111")
    rest.call_create_errors["*"] = (503, 20503)  # Twilio's API down
    first = Caller(tw)
    assert first.queued
    for _ in range(4):  # the wait document's loops and the sweep dispatch again and again meanwhile
        Dispatcher(qapp).dispatch(POOL)
    assert len(placed(rest)) == 5  # every attempt reached Twilio and failed
    assert listener(qapp, camille).status == "available"  # never paused for Twilio's failure
    assert listener(qapp, camille).missed_in_row == 0
    assert "missed" not in events(qapp)

    del rest.call_create_errors["*"]  # Twilio is back
    Dispatcher(qapp).dispatch(POOL)
    assert listener(qapp, camille).status == "ringing"
    assert [call["to"] for call in rest.calls.values()] == ["+32470111111"]


def test_once_twilio_has_failed_the_other_listeners_are_not_dialled_in_the_same_round(qapp, tw, rest):
    for n in range(3):
        add_listener(qapp, f"Listener {n}", f"+3247011111{n}", status=ListenerStatus.PAUSED)
    callers = [Caller(tw) for _ in range(3)]
    assert all(caller.queued for caller in callers)
    rest.call_create_errors["*"] = (503, 20503)
    with qapp.app_context(), database.session() as session:
        for row in session.scalars(select(Listener)):
            set_status(session, row, ListenerStatus.AVAILABLE, qapp.config["CLOCK"](), "back from a break")
        session.commit()
    Dispatcher(qapp).dispatch(POOL)
    # Three listeners for three callers, but one refusal from Twilio ends the round: no 3 x 10 s of timeouts.
    assert len(placed(rest)) == 1
    with qapp.app_context(), database.session() as session:
        assert {row.status for row in session.scalars(select(Listener))} == {"available"}


def test_a_number_twilio_refuses_counts_as_missed_and_pauses_that_listener_with_the_reason(qapp, tw, rest):
    wrong = add_listener(qapp, "Dominique", "+32470999999")
    rest.call_create_errors["+32470999999"] = (400, 21211)  # "Invalid 'To' phone number"
    Caller(tw)
    Dispatcher(qapp).dispatch(POOL)
    assert listener(qapp, wrong).missed_in_row == 2  # the caller's arrival dispatched once, then this one
    assert listener(qapp, wrong).status == "paused"
    with qapp.app_context(), database.session() as session:
        change = session.scalars(select(ListenerStatusChange).where(ListenerStatusChange.listener_id == wrong)
                                 .order_by(ListenerStatusChange.id.desc())).first()
    assert change.status == "paused" and "missed 2 offers in a row" in change.reason


def test_the_client_for_twilio_itself_gives_up_after_a_timeout():
    from ivr.twilio_rest import REST_TIMEOUT, make_client

    client = make_client({"TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": "token"})
    assert client.http_client.timeout == REST_TIMEOUT and REST_TIMEOUT <= 10


def test_an_offer_that_expired_before_it_was_ever_dialled_is_not_the_listeners_miss(qapp, tw, rest, clock):
    # The dispatcher claimed Camille for a caller, then never got to place the call (Twilio slow to answer it,
    # the process cut short): the sweep frees her without counting a missed offer.
    from datetime import timedelta

    from ivr.sweep import sweep
    from store.dispatch import claim_offers

    camille = add_listener(qapp, "Camille", "+32470111111", status=ListenerStatus.PAUSED)
    Caller(tw)
    with qapp.app_context(), database.session() as session:
        set_status(session, session.get(Listener, camille), ListenerStatus.AVAILABLE, clock.now, "back")
        line = qapp.extensions["directory"].get(session, clock.now).line_for_pool(POOL)
        [plan] = claim_offers(session, POOL, clock.now, line.queue)
        session.commit()
    assert listener(qapp, camille).status == "ringing" and placed(rest) == []
    clock.now += timedelta(minutes=2)
    rest.call_create_errors["*"] = (503, 20503)  # the sweep's own dispatch cannot dial her either
    assert sweep(qapp).offers_expired == 1
    assert listener(qapp, camille).missed_in_row == 0 and listener(qapp, camille).status == "available"
