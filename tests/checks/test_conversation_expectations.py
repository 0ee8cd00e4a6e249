"""What a situation promises each party is checked as it claims: each expectation against timelines known to be wrong
and known right (a pair's second listener, a third party's whisper, a phone that had to ring, a listener freed)."""

from __future__ import annotations

from types import SimpleNamespace

from checks.call_record import CallRecord, Event, Heard
from checks.conversation_checks import Played
from checks.conversation_expectations import expectations
from checks.conversations import BINOME_WHISPER, LISTENER_B, Situation

WHISPER = "Binôme pour un appel de la ligne France Victimes 116 006. Vous rejoignez l'écoute en silence."


def _leg(name, heard=(), events=(), t0=0.0, seconds=200.0):
    record = CallRecord(heard=list(heard), events=list(events), ended_by="caller hung up", seconds=seconds)
    return SimpleNamespace(name=name, record=record, base={"To": ""}, t0=t0, answered=True, placed_form={})


def _situation(**promises) -> Situation:
    return Situation("a pair", {}, hangup_at=200.0, expect_parties=(), **promises)


def _caller(bridged_at=40.0):
    return _leg("caller", [Heard(bridged_at, 150, "talk", "", parties=("listener",))],
                [Event(bridged_at, "conference", "hl-1")])


def _second(t0, whisper_first=True):
    said = Heard(0, 9, "say", WHISPER)
    talk = Heard(9 if whisper_first else 0, 100, "talk", "", parties=("caller", "listener"))
    return _leg("second listener", [said, talk] if whisper_first else [talk, Heard(100, 9, "say", WHISPER)],
                [Event(9, "conference", "hl-1")], t0=t0)


def test_the_caller_waiting_for_the_second_listener_of_a_pair_is_found():
    situation = _situation(bridged_before="second listener")
    assert expectations(situation, Played("", "", [_caller(40.0), _second(t0=45.0)])) == []
    assert expectations(situation, Played("", "", [_caller(60.0), _second(t0=45.0)])) == [
        "the caller hears the listener only at 60 s, once the second listener came in (54 s): the caller waited "
        "for them"]


def test_a_binome_must_be_whispered_before_hearing_the_call_and_hear_both_parties():
    situation = _situation(party_expect_said={"second listener": (BINOME_WHISPER,)},
                           party_expect_parties={"second listener": ("caller", "listener")})
    assert expectations(situation, Played("", "", [_caller(), _second(t0=45.0)])) == []
    late = expectations(situation, Played("", "", [_caller(), _second(t0=45.0, whisper_first=False)]))
    assert late == [f"the second listener is not told « {BINOME_WHISPER} » before hearing the call"]
    assert expectations(situation, Played("", "", [_caller()])) == ["the second listener never answers"]


def test_a_phone_that_had_to_ring_and_a_listener_who_must_be_free_again():
    situation = _situation(must_ring=(LISTENER_B,), free_after=("Emulated listener B",))
    roster = "#2    Emulated listener B      +33 6 •• •• •• 11    france-victimes          {}    since 14:03"
    freed = Played("", "", [_caller()], rung=frozenset({LISTENER_B}), roster=roster.format("available"))
    assert expectations(situation, freed) == []
    stuck = Played("", "", [_caller()], rung=frozenset(), roster=roster.format("paused"))
    assert expectations(situation, stuck) == [
        f"{LISTENER_B} never rang", "Emulated listener B is not free again after the call: #2 Emulated listener B "
                                    "+33 6 •• •• •• 11 france-victimes paused since 14:03"]


def test_a_key_given_by_the_words_of_the_menu_s_option():
    from checks.prompts import option_key

    menu = ("Transfert. Pour la ligne 3977, tapez 1. Pour la ligne Un premier pas, Val-de-Marne, tapez 2. "
            "Pour le service d'interprétariat, tapez 5. Pour revenir à l'appelant, tapez 0.")
    assert option_key(menu, "option:interprétariat|interpreting") == "5"
    assert option_key(menu, "option:Un premier pas") == "2"
    assert option_key(menu, "option:le 107") == ""  # not offered: no key, the menu times out
    assert option_key(menu, "1") == "1"
