"""The independent emulator's conferences, redirects and hangupOnStar, checked against Twilio's documented behaviour.

A tiny TwiML app of its own (tests/checks/helpline_double.py, not the engine) drives the situations through
signed webhooks and REST requests to the emulator's REST side, as a helpline engine would: a queued caller is
offered to a listener, both are put in a conference, the listener presses * for a menu that holds the caller, a
supervisor coaches the listener, the listener's leg drops and the caller is taken back. What each party hears is
then read off the emulator's audio model."""

from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from checks.call_record import Outcome
from checks.twilio_emulator import TwilioEmulator
from checks.twilio_rest import TwilioRest
from checks.world_mode import Party, WorldMode
from tests.checks.helpline_double import ACCOUNT, CALLER, LISTENER, ROOM, SUPERVISOR, TOKEN, HelplineDouble


@pytest.fixture()
def double():
    helpline = HelplineDouble()
    server = make_server("127.0.0.1", 0, helpline.app, threaded=True)
    helpline.base = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with TwilioRest(ACCOUNT) as rest:
        helpline.rest_url = rest.base_url
        yield helpline, rest
    server.shutdown()


def _play(helpline, rest, caller: Outcome, phonebook: dict[str, Party]):
    emulator = TwilioEmulator(helpline.base, TOKEN, ACCOUNT, voice_path="/incoming", status_path="/after-queue",
                              rest=rest)
    mode = WorldMode(emulator, rest, phonebook)
    record = emulator.call("+33199000116", CALLER, caller)
    assert mode.world.errors == []
    return record, mode


def _leg(mode, name: str):
    return next(leg for leg in mode.world.legs if leg.name == name)


def _between(record, start: float, end: float, kind: str | None = None):
    return [h for h in record.heard if h.start < end and h.start + h.seconds > start and (kind is None or
                                                                                          h.kind == kind)]


def test_a_listener_who_presses_star_holds_the_caller_who_hears_the_hold_music_then_the_listener_again(double):
    helpline, rest = double
    helpline.options["hold_on_star"] = True
    listener = Party("listener", outcome=Outcome(answers={"Un appel": ["1"], "Menu": ["1"]},
                                                 in_conference=[(40.0, "*"), (30.0, "hangup")]))
    record, mode = _play(helpline, rest, Outcome(hangup_at=200.0), {LISTENER: listener})
    _caller_hears_the_hold_music_then_the_listener_again(record, _leg(mode, "listener"))
    _listener_goes_to_the_menu_and_back(_leg(mode, "listener"))
    _conference_reports_the_hold_and_goes_on_without_the_listener(mode.callbacks, helpline.calls["caller"])
    assert record.ended_by == "caller hung up"


def _caller_hears_the_hold_music_then_the_listener_again(record, listener_leg) -> None:
    talks = [h for h in record.heard if h.kind == "talk"]
    assert talks and all(h.parties == ("listener",) for h in talks)
    hold = [h for h in record.heard if h.kind == "say" and "revient" in h.text]
    assert len(hold) == 1, "the hold document's sentence plays once, then its music (loop=0)"
    menu_pressed = next(e.at for e in listener_leg.record.events if e.kind == "press" and e.detail == "*")
    resumed = [h for h in record.heard if h.kind == "talk" and h.start > hold[0].start]
    assert resumed and [h.kind for h in _between(record, hold[0].start, resumed[0].start)] == ["say", "play"]
    assert len(talks) == 2 and talks[0].seconds == pytest.approx(40.0) and menu_pressed == pytest.approx(42.5)


def _listener_goes_to_the_menu_and_back(listener_leg) -> None:
    """The listener's leg: the offer, the menu after *, back in the conference."""
    assert [e.detail for e in listener_leg.record.events if e.kind == "press"] == ["1", "*", "1"]
    assert [h.text for h in listener_leg.record.says()] == ["Un appel. Tapez 1.", "Menu. Tapez 1 pour reprendre."]


def _conference_reports_the_hold_and_goes_on_without_the_listener(callbacks: list[dict], caller_sid: str) -> None:
    events = [c["StatusCallbackEvent"] for c in callbacks]
    assert events[:3] == ["conference-start", "participant-join", "participant-join"]
    assert "participant-hold" in events and "participant-unhold" in events
    hold_event = next(c for c in callbacks if c["StatusCallbackEvent"] == "participant-hold")
    assert hold_event["Hold"] == "true" and hold_event["CallSid"] == caller_sid
    assert hold_event["FriendlyName"] == ROOM and hold_event["ConferenceSid"].startswith("CF")
    # The listener hung up at last; the conference goes on with the caller (only the caller's exit ends it).
    assert events[-3:] == ["participant-leave", "participant-leave", "conference-end"]


def test_the_caller_alone_in_the_conference_hears_silence_until_the_engine_takes_them_back(double):
    helpline, rest = double
    listener = Party("listener", outcome=Outcome(answers={"Un appel": ["1"]}, in_conference=[(30.0, "hangup")]))
    record, _ = _play(helpline, rest, Outcome(hangup_at=120.0), {LISTENER: listener})
    silences = [h for h in record.heard if h.kind == "silence" and h.seconds > 5]
    assert silences, "nobody takes the caller back: the model says they are alone, in silence"


def test_a_dropped_listener_leg_sends_the_caller_back_to_the_queue_through_a_redirect(double):
    helpline, rest = double
    helpline.options["requeue_on_drop"] = True
    listener = Party("listener", outcome=Outcome(answers={"Un appel": ["1"]}, in_conference=[(30.0, "hangup")]))
    record, _ = _play(helpline, rest, Outcome(hangup_at=150.0), {LISTENER: listener})
    said = [h.text for h in record.says()]
    assert said[-1].startswith("Votre écoutant a été coupé")
    left = next(e for e in record.events if e.kind == "conference-left")
    gap = [h for h in _between(record, left.at, left.at + 10) if h.kind == "silence"]
    assert sum(h.seconds for h in gap) < 1, "redirected at once: no silence in between"
    assert [e.detail for e in record.events if e.kind == "enqueue"] == ["q", "q"]
    assert record.ended_by == "caller hung up"


def test_a_coaching_supervisor_is_heard_by_the_listener_only(double):
    helpline, rest = double
    helpline.options["supervisor"] = True
    listener = Party("listener", outcome=Outcome(answers={"Un appel": ["1"]}, in_conference=[(60.0, "hangup")]))
    supervisor = Party("supervisor", ring=3.0, outcome=Outcome(in_conference=[(20.0, "hangup")]))
    record, mode = _play(helpline, rest, Outcome(hangup_at=100.0), {LISTENER: listener, SUPERVISOR: supervisor})
    assert all("supervisor" not in h.parties for h in record.heard)
    assert any("supervisor" in h.parties for h in _leg(mode, "listener").record.heard)
    supervisor_leg = _leg(mode, "supervisor")
    heard = {p for h in supervisor_leg.record.heard for p in h.parties}
    assert heard == {"caller", "listener"}, "a coach hears everyone"
    assert supervisor_leg.record.ended_by == "supervisor hung up"


def test_a_listener_s_dial_queue_bridges_the_first_caller_after_the_queue_url_document(double):
    helpline, rest = double
    helpline.options["queue_bridge"] = True
    listener = Party("listener", outcome=Outcome(answers={"Un appel": ["1"]}))
    record, mode = _play(helpline, rest, Outcome(), {LISTENER: listener})
    assert [h.text for h in record.says()] == ["Bonjour.", "Un écoutant prend votre appel."]
    assert [h.parties for h in record.heard if h.kind == "talk"] == [("listener",)]
    assert helpline.calls["dequeued_by"] == helpline.calls["listener"]
    assert helpline.calls["listener_dial_status"] == "completed"
    bridged = next(form for path, form in helpline.seen if path == "after-queue" and "QueueResult" in form)
    assert bridged["QueueResult"] == "bridged"
    assert record.ended_by == "caller hung up after talking with a listener"


def test_a_listener_who_dials_a_queue_the_caller_has_not_reached_yet_gets_an_error_status(double):
    helpline, rest = double
    helpline.options.update(queue_bridge=True, offer_at_once=True, long_greeting=12)  # 12 × "Bonjour." ≈ 6 s
    listener = Party("listener", ring=1.0, outcome=Outcome(answers={"Un appel": ["1"]}))
    record, _ = _play(helpline, rest, Outcome(hangup_at=60.0), {LISTENER: listener})
    assert helpline.calls["listener_dial_status"] == "failed"
    assert not any(h.kind == "talk" for h in record.heard)


def test_a_supervisor_added_with_twilio_s_default_beep_is_betrayed_to_the_caller_by_the_beep(double):
    helpline, rest = double
    helpline.options.update(supervisor=True, supervisor_beeps=True)
    listener = Party("listener", outcome=Outcome(answers={"Un appel": ["1"]}, in_conference=[(60.0, "hangup")]))
    supervisor = Party("supervisor", ring=3.0, outcome=Outcome(in_conference=[(20.0, "hangup")]))
    record, _ = _play(helpline, rest, Outcome(hangup_at=100.0), {LISTENER: listener, SUPERVISOR: supervisor})
    beeps = [h for h in record.heard if h.kind == "tone"]
    assert [h.parties for h in beeps] == [("supervisor",), ("supervisor",)]  # came, went (the listener: beep="false")


def test_a_redirect_in_the_hold_music_is_followed_when_the_music_reaches_it_and_no_more_once_resumed(double):
    helpline, rest = double
    helpline.options.update(hold_on_star=True, hold_redirects=True)
    listener = Party("listener", outcome=Outcome(answers={"Un appel": ["1"], "Menu": ["1"]},
                                                 in_conference=[(40.0, "*"), (30.0, "hangup")]))
    record, _ = _play(helpline, rest, Outcome(hangup_at=200.0), {LISTENER: listener})
    paths = [path for path, _ in helpline.seen]
    held = [h for h in record.heard if h.kind in ("say", "play") and h.start >= 48.0 and h.start < 52.0]
    assert [h.kind for h in held][:2] == ["say", "play"]
    again = [i for i, path in enumerate(paths) if path == "hold-again"]
    # Held from 48 s to about 51 s (the menu's key): the sentence (2.3 s), then one document of 8 s of music —
    # fetched once, when the sentence ended; its own <Redirect>, reached after the resume, is never fetched.
    assert len(again) == 1 and again[0] < paths.index("listener-menu-key")
