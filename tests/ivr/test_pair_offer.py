"""A line set to offer every call to a pair of listeners (queue.offer_to_pair, the 3977 centres' binôme): the first
who takes the call is bridged at once, the second joins muted as the binôme when they answer, after a whisper the
caller never hears; a second who never answers is freed; one free listener takes the call alone as before."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

from sqlalchemy import select

from ivr import call_control
from routing.queueing import ListenerStatus
from store.extension import database
from store.listeners import set_status
from store.models import Listener
from store.report_conversation import conversation_figures
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
from tests.support.pairs import EVC, leg_to, offer_to_pairs

CAMILLE, DOMINIQUE = "+32470111111", "+32470222222"
WHISPER = ("Binôme pour un appel de la ligne Écoute Violences Conjugales. Vous rejoignez l'écoute en silence ; "
           "l'écoutant peut vous donner la parole.")


def pair_rung(qapp, tw, rest):
    offer_to_pairs(qapp)
    camille, dominique = add_listener(qapp, "Camille", CAMILLE), add_listener(qapp, "Dominique", DOMINIQUE)
    caller = Caller(tw)
    assert sorted(rest.calls[sid]["to"] for sid in rung(rest)) == [CAMILLE, DOMINIQUE]  # both phones ring at once
    return camille, dominique, caller, leg_to(tw, rest, CAMILLE), leg_to(tw, rest, DOMINIQUE)


def test_the_first_to_take_the_call_is_bridged_at_once_and_the_second_joins_muted_after_a_whisper(
        qapp, tw, rest, clock):
    camille, dominique, caller, first, second = pair_rung(qapp, tw, rest)
    clock.now += timedelta(seconds=5)
    dial = first.press("1")
    joined = bridge(tw, caller, dial, first)  # the caller does not wait for the second phone
    assert rest.hears(caller.sid) == {first.sid} and rest.hears(first.sid) == {caller.sid}
    assert queued(qapp, caller.sid).status == "bridged"
    assert listener(qapp, dominique).status == "ringing"  # still ringing for this call: offered nothing else
    other = Caller(tw)
    assert len(rung(rest)) == 2 and queued(qapp, other.sid).status == "waiting"
    clock.now += timedelta(seconds=8)
    document = second.answer()
    assert said(document) == WHISPER and document.find("Gather") is None  # no key to press: into the call
    noun = document.find("Dial/Conference")
    assert noun.text == conversation(qapp).name and noun.get("muted") == "true"
    assert noun.get("endConferenceOnExit") == "false"
    rest.join(second.sid, document.find("Dial"))
    deliver(tw, rest)
    assert rest.hears(second.sid) == {caller.sid, first.sid}  # listening to both
    assert rest.hears(caller.sid) == {first.sid}  # the binôme is heard by nobody until given the floor
    assert "Binôme" not in said(joined)
    assert listener(qapp, dominique).status == "on_call"
    binome = registry(qapp)["binome"]
    assert binome.listener_id == dominique and binome.joined_at is not None and binome.muted
    with qapp.app_context():
        assert call_control.give_floor(conversation(qapp).id, binome.id).ok
    deliver(tw, rest)
    assert rest.hears(caller.sid) == {first.sid, second.sid}
    # The caller hangs up: both listeners are freed to their wrap-up, as after any call.
    clock.now += timedelta(minutes=10)
    rest.hang_up(caller.sid)
    deliver(tw, rest)
    assert second.sid in rest.dial_ended and first.sid in rest.dial_ended
    dial_ended(tw, rest, first, dial)
    assert second.status("completed", 600).status_code == 200
    assert listener(qapp, camille).status == "wrap_up" and listener(qapp, dominique).status == "wrap_up"
    kinds = call_events(qapp)
    assert "conv_binome_paired" in kinds and "conv_binome_joined" in kinds
    with qapp.app_context(), database.session() as session:
        figures = conversation_figures(session, [])
    assert figures.calls["binome"] == 1 and figures.calls["binome_paired"] == 1  # the report counts the pair


def test_a_second_hearing_the_whisper_when_the_first_takes_the_call_joins_as_binome_on_pressing_1(
        qapp, tw, rest, clock):
    _, dominique, caller, first, second = pair_rung(qapp, tw, rest)
    whispered = second.answer()
    assert "Tapez 1 pour prendre l'appel" in said(whispered)
    dial = first.press("1")
    bridge(tw, caller, dial, first)
    document = second.press("1", answered=whispered)
    assert said(document) == WHISPER and document.find("Dial/Conference").get("muted") == "true"
    rest.join(second.sid, document.find("Dial"))
    deliver(tw, rest)
    assert rest.hears(caller.sid) == {first.sid} and rest.hears(second.sid) == {caller.sid, first.sid}
    assert listener(qapp, dominique).status == "on_call"


def test_a_second_who_never_answers_is_freed_and_nothing_changes_for_the_caller(qapp, tw, rest, clock):
    _, dominique, caller, first, second = pair_rung(qapp, tw, rest)
    dial = first.press("1")
    bridge(tw, caller, dial, first)
    clock.now += timedelta(seconds=20)
    rest.calls[second.sid]["status"] = "no-answer"
    assert second.status("no-answer").status_code == 200
    assert listener(qapp, dominique).status == "available"
    assert listener(qapp, dominique).missed_in_row == 0  # not a missed offer: the caller was answered
    assert rest.hears(caller.sid) == {first.sid} and conversation(qapp).status == "live"
    assert registry(qapp)["binome"].left_at is not None
    # Free again, Dominique is offered the next caller.
    other = Caller(tw)
    assert [rest.calls[sid]["to"] for sid in rung(rest)][-1] == DOMINIQUE
    assert queued(qapp, other.sid).status == "offered"


def test_a_second_who_declines_the_call_they_were_whispered_is_freed(qapp, tw, rest, clock):
    _, dominique, caller, first, second = pair_rung(qapp, tw, rest)
    whispered = second.answer()
    dial = first.press("1")
    bridge(tw, caller, dial, first)
    document = second.press("", answered=whispered)  # no key: "Appel non pris"
    assert "Appel non pris" in said(document)
    assert second.status("completed", 12).status_code == 200
    assert listener(qapp, dominique).status == "available" and listener(qapp, dominique).missed_in_row == 0
    assert rest.hears(caller.sid) == {first.sid}


def test_with_one_listener_free_the_call_goes_to_them_alone(qapp, tw, rest, clock):
    offer_to_pairs(qapp)
    camille = add_listener(qapp, "Camille", CAMILLE)
    caller = Caller(tw)
    assert len(rung(rest)) == 1
    leg = ListenerLeg(tw, rest, rung(rest)[0])
    dial = leg.press("1")
    bridge(tw, caller, dial, leg)
    assert rest.hears(caller.sid) == {leg.sid} and listener(qapp, camille).status == "on_call"
    assert "binome" not in registry(qapp)


def test_two_callers_and_two_free_listeners_get_one_listener_each(qapp, tw, rest, clock):
    offer_to_pairs(qapp)
    add_listener(qapp, "Camille", CAMILLE, status=ListenerStatus.PAUSED)
    add_listener(qapp, "Dominique", DOMINIQUE, status=ListenerStatus.PAUSED)
    first, second = Caller(tw), Caller(tw)  # both wait: nobody is available yet
    with qapp.app_context():
        with database.session() as session:
            for row in session.scalars(select(Listener)):
                set_status(session, row, ListenerStatus.AVAILABLE, clock.now, "test")
            session.commit()
        qapp.extensions["dispatcher"].dispatch(EVC)
    assert len(rung(rest)) == 2
    assert queued(qapp, first.sid).status == "offered" and queued(qapp, second.sid).status == "offered"


def test_when_the_first_listener_s_line_drops_the_caller_is_requeued_and_the_binome_freed(qapp, tw, rest, clock):
    camille, dominique, caller, first, second = pair_rung(qapp, tw, rest)
    dial = first.press("1")
    bridge(tw, caller, dial, first)
    document = second.answer()
    rest.join(second.sid, document.find("Dial"))
    deliver(tw, rest)
    clock.now += timedelta(minutes=3)
    rest.hang_up(first.sid)  # Camille's phone drops mid-call
    deliver(tw, rest)
    assert first.status("completed", 180).status_code == 200
    back = caller.follow_redirect(rest)
    assert "un autre écoutant va vous répondre en priorité" in said(back)
    assert back.find("Enqueue") is not None and back.find("Hangup") is None  # never hung up on
    assert queued(qapp, caller.sid).status in ("waiting", "offered")
    assert listener(qapp, camille).status == "wrap_up" and listener(qapp, dominique).status == "wrap_up"
    assert "conv_listener_dropped" in call_events(qapp) and "conv_requeued" in call_events(qapp)
    # Dominique, the binôme, is told why the call ends for them rather than cut off without a word.
    released = rest.calls[second.sid]["redirects"][-1]
    assert "/voice/conference/binome-released?cv=" in released
    goodbye = xml(tw.post(path_of(released), second.params(CallStatus="in-progress")))
    assert "l'écoutant principal a été coupée" in said(goodbye) and goodbye.find("Hangup") is not None
    assert caller.number not in ET.tostring(goodbye, encoding="unicode")


def announced(tw, rest, sid: str) -> str:
    """What was played to one participant alone (participant update announceUrl), as Twilio fetches it."""
    return " ".join(said(xml(tw.post(path_of(r.params["AnnounceUrl"]), {"CallSid": sid}))) for r in rest.requests
                    if r.method == "POST" and r.path.endswith(f"/Participants/{sid}.json") and r.params.get("AnnounceUrl"))


def test_an_invited_binome_hears_the_whisper_alone_as_they_come_in_muted(qapp, tw, rest, clock):
    _, caller, leg, _, joined = connected(qapp, tw, rest, clock)
    dominique = add_listener(qapp, "Dominique", DOMINIQUE)
    with qapp.app_context():
        assert call_control.invite_binome(conversation(qapp).id).ok
    binome = next(sid for sid in rung(rest) if rest.calls[sid]["to"] == DOMINIQUE)
    rest.answer_participant(binome)
    status_url = rest.calls[binome]["params"]["StatusCallback"]
    assert tw.post(path_of(status_url), {"CallSid": binome, "CallStatus": "in-progress"}).status_code == 200
    deliver(tw, rest)
    assert announced(tw, rest, binome) == WHISPER
    assert announced(tw, rest, caller.sid) == "" and announced(tw, rest, leg.sid) == ""  # to the binôme alone
    assert "Binôme" not in said(joined)
    assert rest.hears(caller.sid) == {leg.sid} and listener(qapp, dominique).status == "on_call"


def test_a_second_still_ringing_when_the_caller_hangs_up_is_stopped_and_freed(qapp, tw, rest, clock):
    _, dominique, caller, first, second = pair_rung(qapp, tw, rest)
    dial = first.press("1")
    bridge(tw, caller, dial, first)
    clock.now += timedelta(seconds=10)
    rest.hang_up(caller.sid)
    deliver(tw, rest)
    assert rest.calls[second.sid]["status"] == "canceled"  # their phone stops ringing
    assert listener(qapp, dominique).status == "available" and listener(qapp, dominique).missed_in_row == 0
    assert "L'appelant n'est plus en ligne" in said(second.answer())  # picked up just too late: told, not bridged
