"""Listeners' legs that no longer lead anywhere are ended as Twilio's Call resource says: "canceled" stops a phone
still ringing but does nothing to a call already answered, which needs "completed"."""

from __future__ import annotations

from directory_data.loader import DirectoryFiles
from store.directory import load_documents
from store.extension import database
from tests.support.calls import Caller, ListenerLeg, add_listener, listener, qapp, rung, tw  # noqa: F401 — fixtures


def _ring_two(qapp, tw, rest, shipped_directory):
    with qapp.app_context(), database.session() as session:
        doc = next(d for d in shipped_directory.lines if d["id"] == "ecoute-violences-conjugales")
        changed = {**doc, "queue": {**doc["queue"], "strategy": "ring_several", "ring_several": 2}}
        load_documents(session, DirectoryFiles([changed if d is doc else d for d in shipped_directory.lines],
                                               shipped_directory.centres))
        session.commit()
    a = add_listener(qapp, "A", "+32470111111")
    add_listener(qapp, "B", "+32470222222")
    Caller(tw)
    leg_a, leg_b = (ListenerLeg(tw, rest, sid) for sid in rung(rest))
    return a, leg_a, leg_b


def _asked(rest, sid: str) -> list[str]:
    return [r.params["Status"] for r in rest.requests
            if r.method == "POST" and r.path.endswith(f"/Calls/{sid}.json") and r.params.get("Status")]


def test_the_test_server_cancels_only_a_ringing_call_as_twilio_does(qapp, tw, rest, shipped_directory):
    _, leg_a, leg_b = _ring_two(qapp, tw, rest, shipped_directory)
    client = qapp.extensions["dispatcher"].client
    leg_a.answer()
    assert client.calls(leg_a.sid).update(status="canceled").status == "in-progress"  # no error, no effect
    assert client.calls(leg_b.sid).update(status="canceled").status == "canceled"
    assert client.calls(leg_a.sid).update(status="completed").status == "completed"


def test_a_listener_hearing_the_whisper_when_another_takes_the_call_is_hung_up(qapp, tw, rest, shipped_directory):
    a, leg_a, leg_b = _ring_two(qapp, tw, rest, shipped_directory)
    leg_a.answer()  # A picked up and hears the whisper...
    leg_b.press("1")  # ... while B takes the call
    assert rest.calls[leg_a.sid]["status"] == "completed"  # A's phone is hung up, not left on a dead whisper
    assert _asked(rest, leg_a.sid) == ["canceled", "completed"]
    assert listener(qapp, a).status == "available"


def test_a_listener_still_ringing_when_another_takes_the_call_is_cancelled_once(qapp, tw, rest, shipped_directory):
    a, leg_a, leg_b = _ring_two(qapp, tw, rest, shipped_directory)
    leg_b.press("1")
    assert rest.calls[leg_a.sid]["status"] == "canceled" and _asked(rest, leg_a.sid) == ["canceled"]
    assert listener(qapp, a).status == "available"
