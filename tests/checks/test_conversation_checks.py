"""The conversation checks hear what they claim to: each against a timeline known to be wrong and one known right,
then every situation of checks/conversations.py played against the engine through the independent emulator."""

from __future__ import annotations

from types import SimpleNamespace

from checks.call_record import CallRecord, Event, Heard
from checks.conversation_checks import (Played, caller_number_forms, check_caller_never_dropped,
                                        check_caller_never_hears_a_coach, check_listener_on_one_call,
                                        check_no_caller_number_to_others, check_no_silence_once_connected,
                                        ever_heard, heard_between, longest_silence)
from checks.conversations import SITUATIONS
from checks.hear_conversations import play_situations, report

CALLER = "+33698765432"


def _leg(name: str, heard=(), events=(), ended_by="caller hung up", to="+33199000116", t0=0.0, seconds=100.0,
         documents=(), shown=""):
    record = CallRecord(heard=list(heard), events=list(events), ended_by=ended_by, seconds=seconds,
                        documents=list(documents))
    return SimpleNamespace(name=name, record=record, base={"To": to}, t0=t0, answered=True,
                           placed_form={"From": shown} if shown else {})


def _played(*legs, listener_ends_call=False) -> Played:
    return Played("a situation", CALLER, list(legs), listener_numbers=frozenset({"+33612000001"}),
                  listener_ends_call=listener_ends_call)


def test_a_whisper_the_caller_hears_is_found_and_one_only_the_listener_hears_is_not():
    whispered_to_all = _leg("caller", [Heard(50, 30, "talk", "", parties=("listener", "supervisor"))])
    whispered_right = _leg("caller", [Heard(50, 30, "talk", "", parties=("listener",))])
    assert check_caller_never_hears_a_coach(_played(whispered_to_all)) == ["at 50 s the caller hears supervisor"]
    assert check_caller_never_hears_a_coach(_played(whispered_right)) == []


def test_silence_counts_from_the_queue_on_and_music_or_talk_breaks_it():
    events = [Event(20, "enqueue", "q")]
    before_queue = [Heard(0, 3, "say", "Bonjour."), Heard(3, 10, "silence", "<Gather> waiting")]
    alone = before_queue + [Heard(20, 10, "play", "music"), Heard(30, 4, "silence", "alone"),
                            Heard(34, 3, "silence", "alone"), Heard(37, 30, "talk", "", parties=("listener",))]
    held = before_queue + [Heard(20, 10, "play", "music"), Heard(30, 4, "silence", "alone"),
                           Heard(34, 3, "say", "Un instant."), Heard(37, 4, "silence", "alone")]
    assert check_no_silence_once_connected(_played(_leg("caller", alone, events))) == [
        "7 s of silence from 30 s into the call (enqueue q)"]
    assert check_no_silence_once_connected(_played(_leg("caller", held, events))) == []


def test_a_timeline_answers_what_was_heard_when_who_was_ever_heard_and_the_longest_silence():
    record = _leg("caller", [Heard(0, 10, "play", "music"), Heard(10, 3, "silence", "alone"),
                             Heard(13, 4, "silence", "alone"), Heard(17, 20, "talk", "", parties=("listener",)),
                             Heard(37, 2, "silence", "alone")]).record
    assert [h.start for h in heard_between(record, 12, 20)] == [10, 13, 17]
    assert ever_heard(record, "listener") and not ever_heard(record, "supervisor")
    assert longest_silence(record) == (7.0, 10.0)
    assert longest_silence(record, since=20) == (2.0, 37.0)


def test_a_caller_hung_up_on_is_dropped_unless_the_listener_ended_the_call_with_a_goodbye():
    goodbye = [Heard(90, 2, "say", "Merci de votre appel. Au revoir.")]
    dropped = _leg("caller", goodbye, ended_by="<Hangup>")
    assert check_caller_never_dropped(_played(dropped))
    assert check_caller_never_dropped(_played(dropped, listener_ends_call=True)) == []
    assert check_caller_never_dropped(_played(_leg("caller"))) == []


def test_a_listener_whose_phone_carries_two_calls_at_once_is_found():
    caller = _leg("caller")
    first, second = _leg("listener", to="+33612000001", t0=40), _leg("listener", to="+33612000001", t0=90)
    later = _leg("listener", to="+33612000001", t0=150)
    assert check_listener_on_one_call(_played(caller, first, second)) == [
        "listener +33612000001 was on two calls from 90 s"]
    assert check_listener_on_one_call(_played(caller, first, later)) == []


def test_the_caller_s_number_in_any_form_sent_to_a_third_party_is_found():
    assert "06 98 76 54 32" in caller_number_forms(CALLER) and "0698765432" in caller_number_forms(CALLER)
    caller = _leg("caller")
    told = _leg("third party", documents=["<Response><Say>Appel du 06 98 76 54 32.</Say></Response>"])
    shown = _leg("listener", shown=CALLER)
    clean = _leg("listener", documents=["<Response><Say>Appel transféré par le 116 006.</Say></Response>"],
                 shown="+33199000116")
    assert check_no_caller_number_to_others(_played(caller, told, shown)) == [
        "third party's leg: a document holds the caller's number",
        "listener's leg: the number their phone showed holds the caller's number"]
    assert check_no_caller_number_to_others(_played(caller, clean)) == []


def test_every_conversation_situation_sounds_right_to_an_independent_twilio(database_url):
    """Every situation, but those marked with an engine fault they show (``Situation.finding``): these must still
    sound wrong, so that a fix is noticed and the mark removed."""
    results = play_situations(SITUATIONS, database_url=database_url)
    text, ok = report([result for result in results if not result[0].finding])
    assert ok, "\n" + text
    fixed = [situation.label for situation, _, findings in results if situation.finding and not any(findings.values())]
    assert not fixed, f"these sound right now: remove their `finding` mark: {fixed}"
