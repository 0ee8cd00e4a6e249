"""After a bridged call the listener classifies it on their keypad: a short menu, repeatable, with a key to skip."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from ivr.sweep import sweep
from store.extension import database
from store.models import CallCategory, Call
from tests.conftest import SignedTwilio, at_brussels
from tests.support.calls import Caller, ListenerLeg, add_listener, bridge, caller_hangs_up, listener, path_of, rung, xml

POOL_WRAPUP = 60  # the Belgian line's queue: wrapup default


@pytest.fixture
def qapp(live_app, clock):
    clock.now = at_brussels(2026, 11, 24, 10, 0)  # a Tuesday: the Belgian line is open
    return live_app


@pytest.fixture
def tw(qapp):
    return SignedTwilio(qapp.test_client())


def talk_then_caller_hangs_up(tw, rest, clock, minutes=8):
    """A caller queued, the listener presses 1 and is bridged; the caller hangs up: Twilio runs the Dial action."""
    caller = Caller(tw)
    leg = ListenerLeg(tw, rest, rung(rest)[-1])
    dial = leg.press("1")
    bridge(tw, caller, dial, leg)
    clock.now += timedelta(minutes=minutes)
    caller_hangs_up(tw, rest, caller)
    after = xml(tw.post(path_of(dial.find("Dial").get("action")), leg.params(DialCallStatus="completed")))
    return caller, leg, after


def said(document) -> str:
    return " ".join(s.text or "" for s in document.iter("Say"))


def press(tw, leg, document, digits=""):
    gather = document.find("Gather")
    params = leg.params(Digits=digits) if digits else leg.params()
    return xml(tw.post(path_of(gather.get("action")), params))


def category_of(app, caller_sid):
    with app.app_context(), database.session() as session:
        call = session.scalar(select(Call).where(Call.sid == caller_sid))
        return session.scalar(select(CallCategory).where(CallCategory.call_id == call.id))


def test_a_listener_classifies_the_call_on_their_keypad_after_the_caller_hangs_up(qapp, tw, rest, clock):
    camille = add_listener(qapp, "Camille", "+32470111111")
    caller, leg, menu = talk_then_caller_hangs_up(tw, rest, clock)
    ended_at = clock.now
    words = said(menu)
    assert words.startswith("Fin de l'appel. Pour classer cet appel : Victime de violences conjugales, tapez 1.")
    assert "Professionnel, tapez 5." in words and "Appel abusif, tapez 9." in words
    assert "Pour réécouter, tapez étoile. Pour ne pas le classer, tapez 0." in words
    assert menu.find("Gather").get("numDigits") == "1"
    assert listener(qapp, camille).status == "wrap_up"

    clock.now += timedelta(seconds=20)
    done = press(tw, leg, menu, "5")
    assert said(done).startswith("Appel classé : Professionnel.")
    assert "Vous avez encore 40 secondes avant le prochain appel." in said(done)
    assert done.find("Hangup") is not None
    recorded = category_of(qapp, caller.sid)
    assert (recorded.category, recorded.label, recorded.via, recorded.listener_id) == (
        "professionnel", "Professionnel", "keypad", camille)
    # Back to the pool's wrap-up: 60 s from the end of the conversation, then the next caller.
    assert listener(qapp, camille).wrapup_until == ended_at + timedelta(seconds=POOL_WRAPUP)


def test_the_menu_is_read_in_the_listeners_language(qapp, tw, rest, clock):
    add_listener(qapp, "Alex", "+32470222222", languages=("en", "fr"))
    caller, leg, menu = talk_then_caller_hangs_up(tw, rest, clock)
    assert "To classify this call: Victim of domestic violence, press 1." in said(menu)
    assert menu.find("Gather/Say").get("language") == "en-GB"
    done = press(tw, leg, menu, "7")
    assert said(done).startswith("Call classified: Silent call.")
    assert category_of(qapp, caller.sid).category == "appel-silencieux"


def test_star_repeats_the_list_a_wrong_key_says_so_and_zero_leaves_the_call_unclassified(qapp, tw, rest, clock):
    add_listener(qapp, "Camille", "+32470111111")
    caller, leg, menu = talk_then_caller_hangs_up(tw, rest, clock)
    again = press(tw, leg, menu, "*")
    assert said(again).startswith("Pour classer cet appel : Victime de violences conjugales, tapez 1.")
    wrong = press(tw, leg, again, "#")
    assert said(wrong).startswith("Ce choix n'existe pas. Pour classer cet appel")
    skipped = press(tw, leg, wrong, "0")
    assert said(skipped).startswith("Appel non classé. Il pourra être classé dans la console.")
    assert skipped.find("Hangup") is not None
    assert category_of(qapp, caller.sid) is None


def test_without_a_key_the_list_plays_twice_then_the_call_stays_unclassified(qapp, tw, rest, clock):
    add_listener(qapp, "Camille", "+32470111111")
    caller, leg, menu = talk_then_caller_hangs_up(tw, rest, clock)
    second = press(tw, leg, menu)
    assert "Pour classer cet appel" in said(second)
    last = press(tw, leg, second)
    assert said(last).startswith("Appel non classé.")
    assert last.find("Gather") is None and last.find("Hangup") is not None
    assert category_of(qapp, caller.sid) is None


def test_the_listener_is_not_offered_a_call_while_the_menu_plays_then_is_after_the_pool_wrapup(qapp, tw, rest, clock):
    camille = add_listener(qapp, "Camille", "+32470111111")
    _, leg, menu = talk_then_caller_hangs_up(tw, rest, clock)
    clock.now += timedelta(seconds=POOL_WRAPUP + 5)  # the pool's wrap-up is over, but the menu still plays
    waiting = Caller(tw)
    sweep(qapp)
    assert listener(qapp, camille).status == "wrap_up"
    assert len(rest.calls) == 1  # her phone is busy with the menu: not rung
    done = press(tw, leg, menu, "1")
    assert "Vous pourrez recevoir un nouvel appel dans un instant." in said(done)
    clock.now += timedelta(seconds=6)  # the goodbye (about 8 s) still plays on her phone
    sweep(qapp)
    assert len(rest.calls) == 1 and listener(qapp, camille).status != "ringing"
    clock.now += timedelta(seconds=3)
    leg.status("completed", 600)  # Twilio: her leg is over
    assert listener(qapp, camille).status == "ringing"
    assert len(rest.calls) == 2 and waiting.queued


def test_a_listener_is_never_dialled_while_the_goodbye_after_the_menu_still_plays(qapp, tw, rest, clock):
    """Regression (issue 12): dialled again about 5 s after the menu while the 8 s goodbye played on her leg."""
    camille = add_listener(qapp, "Camille", "+32470111111")
    _, leg, menu = talk_then_caller_hangs_up(tw, rest, clock)
    clock.now += timedelta(seconds=POOL_WRAPUP)  # a long classification: the pool's wrap-up is over meanwhile
    done = press(tw, leg, menu, "3")
    assert done.find("Hangup") is not None
    Caller(tw)  # a caller arrives while the goodbye plays
    for _ in range(5):  # second after second, dispatches and sweeps leave her phone alone
        clock.now += timedelta(seconds=2)
        sweep(qapp)
    assert len(rest.calls) == 1
    leg.status("completed", 700)
    assert len(rest.calls) == 2 and rest.calls[rung(rest)[-1]]["to"] == "+32470111111"


def test_with_the_status_callback_lost_the_listener_is_dialled_after_the_longest_goodbye(qapp, tw, rest, clock):
    from store.listeners import LEG_LIVE_SECONDS

    camille = add_listener(qapp, "Camille", "+32470111111")
    _, leg, menu = talk_then_caller_hangs_up(tw, rest, clock)
    clock.now += timedelta(seconds=POOL_WRAPUP)
    press(tw, leg, menu, "3")
    Caller(tw)
    clock.now += timedelta(seconds=LEG_LIVE_SECONDS - 1)
    sweep(qapp)
    assert len(rest.calls) == 1  # no word from Twilio yet: her leg may still be live
    clock.now += timedelta(seconds=2)
    sweep(qapp)  # the safety net: past the longest a leg goes on after our last answer
    assert listener(qapp, camille).status == "ringing" and len(rest.calls) == 2


@pytest.mark.parametrize("key_first", [True, False])
def test_a_key_pressed_as_the_listener_hangs_up_classifies_and_frees_her_in_either_order(qapp, tw, rest, clock,
                                                                                      key_first):
    """The menu's Gather action and the leg's status callback race when she presses a key and hangs up at once."""
    camille = add_listener(qapp, "Camille", "+32470111111")
    caller, leg, menu = talk_then_caller_hangs_up(tw, rest, clock)
    clock.now += timedelta(seconds=POOL_WRAPUP + 10)
    gather = menu.find("Gather")
    key = lambda: xml(tw.post(path_of(gather.get("action")), leg.params(Digits="5", CallStatus="completed")))
    if key_first:
        key()
        leg.status("completed", 600)
    else:
        leg.status("completed", 600)
        key()
    assert category_of(qapp, caller.sid).category == "professionnel"
    Caller(tw)  # her leg is over: she is dialled for the next caller at once, whichever webhook came last
    assert listener(qapp, camille).status == "ringing" and len(rest.calls) == 2


def test_a_classification_by_keypad_is_refused_from_another_phone_leg(qapp, tw, rest, clock):
    add_listener(qapp, "Camille", "+32470111111")
    caller, leg, menu = talk_then_caller_hangs_up(tw, rest, clock)
    gather = menu.find("Gather")
    other = xml(tw.post(path_of(gather.get("action")), {**leg.params(Digits="2"), "CallSid": "CA" + "f" * 32}))
    assert other.find("Hangup") is not None
    assert category_of(qapp, caller.sid) is None


def test_a_listener_who_hangs_up_during_the_menu_gets_only_the_pools_wrapup(qapp, tw, rest, clock):
    camille = add_listener(qapp, "Camille", "+32470111111")
    caller, leg, _ = talk_then_caller_hangs_up(tw, rest, clock)
    ended_at = clock.now
    clock.now += timedelta(seconds=10)
    leg.status("completed", 500)  # hung up without a key: the call stays unclassified
    assert listener(qapp, camille).wrapup_until == ended_at + timedelta(seconds=POOL_WRAPUP)
    clock.now = ended_at + timedelta(seconds=POOL_WRAPUP + 1)
    Caller(tw)
    assert listener(qapp, camille).status == "ringing"
    assert category_of(qapp, caller.sid) is None
