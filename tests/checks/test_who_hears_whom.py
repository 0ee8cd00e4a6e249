"""The emulator's audio model against the rules Twilio documents for a conference, one rule at a time."""

from __future__ import annotations

from checks.conference import Conferences, Participant, heard_by
from checks.hold_music import Music, spread
from checks.world import World


def _room():
    world = World()
    sent: list[tuple[str, str]] = []
    rooms = Conferences(world, lambda conference, event, who, **extra: sent.append((event, who and who.name)),
                        lambda prefix: prefix + "1" * 32)
    return world, rooms, rooms.by_name("room", create=True), sent


def _kinds(heard):
    return [(h.kind, h.parties, round(h.start), round(h.seconds)) for h in heard]


def test_before_it_starts_everyone_hears_the_wait_music_then_the_moderator_starts_it():
    world, rooms, room, sent = _room()
    caller = Participant("CA1", "caller", beep="false", start_on_enter=False, wait_music=Music([("play", 10.0, "wait.wav")]))
    rooms.join(room, caller)
    world.now = 25.0
    rooms.join(room, Participant("CA2", "listener", beep="false"))
    assert _kinds(heard_by(room, "CA1", 0, 40)) == [("play", (), 0, 10), ("play", (), 10, 10), ("play", (), 20, 5),
                                                    ("talk", ("listener",), 25, 15)]
    assert sent == [("participant-join", "caller"), ("conference-start", None), ("participant-join", "listener")]


def test_hold_muted_and_coach_decide_who_hears_whom():
    world, rooms, room, _ = _room()
    caller, listener = Participant("CA1", "caller", beep="false"), Participant("CA2", "listener", beep="false")
    supervisor = Participant("CA3", "supervisor", beep="false", coaching=True, call_sid_to_coach="CA2")
    binome = Participant("CA4", "binôme", beep="false", muted=True)
    for person in (caller, listener, supervisor, binome):
        rooms.join(room, person)
    world.now = 10.0
    rooms.update(room, caller, hold=True, hold_music=Music([("say", 4.0, "Un instant."), ("play", 8.0, "m.wav")],
                                                           loop_from=1))
    world.now = 30.0
    rooms.update(room, caller, hold=False)
    assert _kinds(heard_by(room, "CA1", 0, 40)) == [("talk", ("listener",), 0, 10), ("say", (), 10, 4),
                                                    ("play", (), 14, 8), ("play", (), 22, 8),
                                                    ("talk", ("listener",), 30, 10)]
    assert _kinds(heard_by(room, "CA2", 0, 40)) == [("talk", ("caller", "supervisor"), 0, 10),
                                                    ("talk", ("supervisor",), 10, 20),
                                                    ("talk", ("caller", "supervisor"), 30, 10)]
    assert {p for h in heard_by(room, "CA3", 0, 40) for p in h.parties} == {"caller", "listener"}
    assert {p for h in heard_by(room, "CA4", 0, 40) for p in h.parties} == {"caller", "listener"}


def test_the_moderator_leaving_ends_it_for_everyone_and_a_lone_participant_hears_silence():
    world, rooms, room, sent = _room()
    caller = Participant("CA1", "caller", beep="false", end_on_exit=True)
    listener = Participant("CA2", "listener", beep="false")
    rooms.join(room, listener)
    world.now = 5.0
    rooms.join(room, caller)
    assert _kinds(heard_by(room, "CA2", 0, 5)) == [("silence", (), 0, 5)]
    world.now = 65.0
    rooms.leave(room, caller, "participant_hung_up")
    assert room.status == "completed" and room.reason_ended == "participant-with-end-conference-on-exit-left"
    assert sent[-3:] == [("participant-leave", "caller"), ("conference-end", "caller"),
                         ("participant-leave", "listener")]


def test_an_announcement_is_heard_over_the_conversation_by_its_participant_only():
    world, rooms, room, _ = _room()
    rooms.join(room, Participant("CA1", "caller", beep="false"))
    rooms.join(room, Participant("CA2", "listener", beep="false"))
    room.announcements.append((10.0, "CA2", Music([("say", 3.0, "Le 3977 n'a pas répondu.")])))
    assert [h.kind for h in heard_by(room, "CA2", 0, 20)] == ["talk", "say", "talk"]
    assert [h.kind for h in heard_by(room, "CA1", 0, 20)] == ["talk"]


def test_music_that_loops_from_a_verb_played_forever_is_laid_over_any_span():
    music = Music([("say", 2.0, "Bonjour."), ("play", 5.0, "m.wav")], loop_from=1)
    assert spread(music, 100.0, 110.0, offset=1.0) == [(100.0, 1.0, "say", "Bonjour."), (101.0, 5.0, "play", "m.wav"),
                                                       (106.0, 4.0, "play", "m.wav")]


def test_twilio_s_default_beep_is_heard_by_the_others_when_someone_comes_or_goes():
    world, rooms, room, _ = _room()
    rooms.join(room, Participant("CA1", "caller", beep="false"))
    world.now = 10.0
    supervisor = Participant("CA3", "supervisor", muted=True)  # beep not given: Twilio's default, true
    rooms.join(room, supervisor)
    world.now = 40.0
    rooms.leave(room, supervisor, "participant_hung_up")
    tones = [(h.start, h.parties) for h in heard_by(room, "CA1", 0, 60) if h.kind == "tone"]
    assert tones == [(10.0, ("supervisor",)), (40.0, ("supervisor",))]
    assert not [h for h in heard_by(room, "CA3", 10, 40) if h.kind == "tone"], "never one's own beep"
