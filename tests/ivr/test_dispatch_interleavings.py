"""Two webhooks touching one offer at the same moment: whichever takes its first row lock first, neither
deadlocks, both answer Twilio properly, and the records end in a state a coordinator would believe.

The first webhook is held for a moment right after its first row lock (FOR UPDATE) while the second runs;
with one lock order everywhere (caller, then offer, then listener) the second waits instead of deadlocking.
PostgreSQL only: SQLite runs one write transaction at a time, so there is nothing to interleave.
"""

from __future__ import annotations

import logging
import threading
import time

import pytest
from sqlalchemy import event, select

from ivr import prompts
from routing.queueing import ListenerStatus
from store.directory import load_documents
from store.extension import database
from tests.conftest import SignedTwilio
from tests.support.calls import Caller, ListenerLeg, add_listener, listener, path_of, queued, rung, xml

HOLD_SECONDS = 0.4  # longer than it takes the second webhook to reach its own first lock


@pytest.fixture
def qapp(live_app, clock):
    if live_app.extensions["database"][0].dialect.name != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time: webhooks cannot interleave there")
    from tests.conftest import at_brussels

    clock.now = at_brussels(2026, 11, 24, 10, 0)  # a Tuesday: the Belgian line is open
    return live_app


@pytest.fixture
def tw(qapp):
    return SignedTwilio(qapp.test_client())


def interleave(app, first, second):
    """Run ``first`` until it holds its first row lock, then ``second`` alongside; return both answers."""
    engine = app.extensions["database"][0]
    held = threading.Event()
    mine = threading.local()

    def hold_after_first_lock(conn, cursor, statement, parameters, context, executemany):
        if getattr(mine, "hold", False) and "FOR UPDATE" in statement and not held.is_set():
            held.set()
            time.sleep(HOLD_SECONDS)

    results: dict[str, object] = {}

    def run_first():
        mine.hold = True
        try:
            results["first"] = first(SignedTwilio(app.test_client()))
        except BaseException as error:  # noqa: BLE001 — reported by the assertion below
            results["first"] = error
        finally:
            held.set()

    event.listen(engine, "after_cursor_execute", hold_after_first_lock)
    try:
        thread = threading.Thread(target=run_first)
        thread.start()
        assert held.wait(10), "the first webhook never took a row lock"
        try:
            results["second"] = second(SignedTwilio(app.test_client()))
        except BaseException as error:  # noqa: BLE001
            results["second"] = error
        thread.join(20)
        assert not thread.is_alive(), "the first webhook never finished"
    finally:
        event.remove(engine, "after_cursor_execute", hold_after_first_lock)
    for name in ("first", "second"):
        assert not isinstance(results[name], BaseException), f"{name} webhook raised {results[name]!r}"
    return results["first"], results["second"]


def answered_properly(response) -> str:
    """A 200 with TwiML that is not the technical-problem fallback; returns what was said."""
    document = xml(response) if not hasattr(response, "tag") else response
    said = " ".join(s.text or "" for s in document.iter("Say"))
    assert prompts.render("technical_problem", "fr") not in said
    return said


def no_failed_webhooks(caplog) -> None:
    failures = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert failures == []


def use_ring_several(app, shipped_directory) -> None:
    from directory_data.loader import DirectoryFiles

    with app.app_context(), database.session() as session:
        doc = next(d for d in shipped_directory.lines if d["id"] == "ecoute-violences-conjugales")
        changed = {**doc, "queue": {**doc["queue"], "strategy": "ring_several", "ring_several": 2}}
        load_documents(session, DirectoryFiles([changed if d is doc else d for d in shipped_directory.lines],
                                               shipped_directory.centres))
        session.commit()


@pytest.mark.parametrize("order", ["a_first", "b_first"])
def test_two_listeners_pressing_1_for_one_caller_at_once_one_takes_it(qapp, tw, rest, shipped_directory, caplog,
                                                                     order):
    use_ring_several(qapp, shipped_directory)
    a = add_listener(qapp, "A", "+32470111111")
    b = add_listener(qapp, "B", "+32470222222")
    caller = Caller(tw)
    legs = [ListenerLeg(tw, rest, sid) for sid in rung(rest)]
    assert len(legs) == 2
    answered = [leg.answer() for leg in legs]
    if order == "b_first":
        legs, answered = legs[::-1], answered[::-1]

    def press(index):
        gather = answered[index].find("Gather")
        return lambda client: client.post(path_of(gather.get("action")), legs[index].params(Digits="1"))

    first, second = interleave(qapp, press(0), press(1))
    documents = [xml(first), xml(second)]
    for document in documents:
        answered_properly(document)
    took = [d for d in documents if d.find("Dial/Conference") is not None]
    assert len(took) == 1, "exactly one listener is bridged to the caller"
    assert sorted([listener(qapp, a).status, listener(qapp, b).status]) == ["available", "on_call"]
    assert queued(qapp, caller.sid).status == "offered"
    no_failed_webhooks(caplog)


@pytest.mark.parametrize("bridge_first", [True, False])
def test_the_bridge_and_the_listener_hanging_up_at_once_leave_nobody_stuck(qapp, tw, rest, caplog, bridge_first):
    camille = add_listener(qapp, "Camille", "+32470111111")
    caller = Caller(tw)
    leg = ListenerLeg(tw, rest, rung(rest)[0])
    dial = leg.press("1")
    assert dial.find("Dial/Conference") is not None
    moved_to = rest.inbound[caller.sid]["redirects"][-1]

    def bridging(client):  # the caller's leg, moved out of its queue, fetches its way into the conference
        return client.post(path_of(moved_to), caller.params())

    def hang_up(client):
        return client.post(path_of(leg.call["params"]["StatusCallback"]),
                           leg.params(CallStatus="completed", CallDuration="1"))

    first, second = interleave(qapp, *((bridging, hang_up) if bridge_first else (hang_up, bridging)))
    assert first.status_code == 200 and second.status_code == 200
    xml(first), xml(second)
    # Whatever Twilio's two reports say, the listener is not left ringing or on a call nobody will end. When
    # the hang-up came first the caller waits again (a late bridge report does not reopen an offer that is over)
    # and may already be offered to her anew: ringing then, for that new offer only, which rings out by itself.
    from store.dispatch import LIVE_OFFERS
    from store.models import Offer

    status = listener(qapp, camille).status
    with qapp.app_context(), database.session() as session:
        offers = list(session.scalars(select(Offer).where(Offer.listener_id == camille).order_by(Offer.id)))
    assert offers[0].status == "ended"
    assert status in ("wrap_up", "available") or (
        status == "ringing" and not bridge_first and [o.status in LIVE_OFFERS for o in offers] == [False, True])
    no_failed_webhooks(caplog)


@pytest.mark.parametrize("caller_first", [True, False])
def test_a_caller_hanging_up_as_the_listener_picks_up_frees_the_listener(qapp, tw, rest, caplog, caller_first):
    camille = add_listener(qapp, "Camille", "+32470111111")
    caller = Caller(tw)
    leg = ListenerLeg(tw, rest, rung(rest)[0])

    def caller_hangs_up(client):
        return client.post(path_of(caller.enqueue.get("action")), caller.params(QueueResult="hangup"))

    def listener_picks_up(client):
        return client.post(path_of(leg.call["params"]["Url"]), leg.params(CallStatus="in-progress"))

    first, second = interleave(qapp, *((caller_hangs_up, listener_picks_up) if caller_first
                                       else (listener_picks_up, caller_hangs_up)))
    answered_properly(first), answered_properly(second)
    assert queued(qapp, caller.sid).status == "abandoned"
    # Picked up first: the whisper was playing, then the caller's hang-up cancelled that phone call.
    # Picked up second: the listener hears the caller has gone. Either way the listener is free again.
    if not caller_first:
        leg.status("canceled")
    assert listener(qapp, camille).status == ListenerStatus.AVAILABLE.value
    no_failed_webhooks(caplog)
