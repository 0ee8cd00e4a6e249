"""Calls driven as Twilio drives them: a caller's leg through the queue, a listener's leg rung by the REST API."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from routing.queueing import ListenerStatus
from store.extension import database
from store.listeners import create_listener, set_status
from store.models import Listener, QueuedCaller, QueueEvent
from tests.conftest import SignedTwilio, at_brussels

EVC = "+3225550300"
ROOM = "+3225550301"


@pytest.fixture
def qapp(live_app, clock):
    clock.now = at_brussels(2026, 11, 24, 10, 0)  # a Tuesday: the Belgian line is open
    return live_app


@pytest.fixture
def tw(qapp):
    return SignedTwilio(qapp.test_client())


def add_listener(app, name, phone, status=ListenerStatus.AVAILABLE, pools=("ecoute-violences-conjugales",),
                 languages=("fr",), skills=()):
    with app.app_context(), database.session() as session:
        now = app.config["CLOCK"]()
        listener = create_listener(session, name, phone, pools, "1234", now, languages, skills)
        set_status(session, listener, status, now, "chosen by test")
        session.commit()
        return listener.id


def listener(app, listener_id) -> Listener:
    with app.app_context(), database.session() as session:
        return session.get(Listener, listener_id)


def queued(app, sid) -> QueuedCaller:
    with app.app_context(), database.session() as session:
        return session.scalar(select(QueuedCaller).where(QueuedCaller.call_sid == sid))


def events(app) -> list[str]:
    with app.app_context(), database.session() as session:
        return [e.kind for e in session.scalars(select(QueueEvent).order_by(QueueEvent.id))]


def xml(response):
    assert response.status_code == 200, response.data
    return ET.fromstring(response.data)


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class Caller:
    """A caller's leg, driven as Twilio would drive it."""

    def __init__(self, tw, to=EVC, language_key=None):
        self.tw, self.to = tw, to
        self.sid = "CA" + uuid.uuid4().hex
        # Each caller their own number: one number calling again and again is what the line's throttle stops.
        self.number = f"+3247{uuid.uuid4().int % 10**7:07d}"
        self.document = xml(tw.post("/voice/incoming", self.params()))
        enqueue = self.document.find("Enqueue")
        self.enqueue = enqueue

    def params(self, **extra):
        return {"CallSid": self.sid, "From": self.number, "To": self.to, "CallStatus": "in-progress", **extra}

    @property
    def queued(self) -> bool:
        return self.enqueue is not None

    def wait(self, position=None, queue_time=0):
        extra = {"QueueTime": str(queue_time)}
        if position is not None:
            extra["QueuePosition"] = str(position)
        return xml(self.tw.post(path_of(self.enqueue.get("waitUrl")), self.params(**extra)))

    def said_while_waiting(self, **kwargs) -> str:
        document = self.wait(**kwargs)
        return " ".join(s.text or "" for s in document.iter("Say"))

    def press_in_queue(self, digits):
        gather = self.wait().find("Gather")
        return xml(self.tw.post(path_of(gather.get("action")), self.params(Digits=digits)))

    def queue_result(self, result):
        return xml(self.tw.post(path_of(self.enqueue.get("action")), self.params(QueueResult=result)))

    def follow_redirect(self, rest) -> ET.Element:
        return follow_redirect(self.tw, rest, self)


class ListenerLeg:
    """The listener's phone, rung through the REST API: answer, hear the whisper, press a key."""

    def __init__(self, tw, rest, call_sid):
        self.tw, self.rest, self.sid = tw, rest, call_sid
        self.call = rest.calls[call_sid]

    def params(self, **extra):
        return {"CallSid": self.sid, "From": self.call["from"], "To": self.call["to"], "Direction": "outbound-api",
                **extra}

    def answer(self):
        if self.rest.calls[self.sid]["status"] in ("queued", "ringing"):
            self.rest.calls[self.sid]["status"] = "in-progress"  # picked up: Twilio's call is in progress now
        return xml(self.tw.post(path_of(self.call["params"]["Url"]), self.params(CallStatus="in-progress")))

    def press(self, digits, answered=None):
        answered = answered if answered is not None else self.answer()
        gather = answered.find("Gather")
        return xml(self.tw.post(path_of(gather.get("action")), self.params(Digits=digits)))

    def status(self, status, duration=None):
        extra = {"CallStatus": status}
        if duration is not None:
            extra["CallDuration"] = str(duration)
        return self.tw.post(path_of(self.call["params"]["StatusCallback"]), self.params(**extra))


def follow_redirect(tw, rest, caller) -> ET.Element:
    """The engine moved this call with ``calls(sid).update(url=…)``: Twilio fetches that URL on the caller's leg."""
    url = (rest.inbound.get(caller.sid) or rest.calls[caller.sid])["redirects"][-1]
    return xml(tw.post(path_of(url), caller.params()))


def bridge(tw, caller: Caller, dial_document, leg: "ListenerLeg") -> ET.Element:
    """Twilio plays the listener's ``<Dial><Conference>`` (they join and wait), and the caller's leg, moved out of
    its queue by the REST API, fetches the URL it was redirected to and joins the same conference; the conference's
    status callbacks are delivered. Returns the caller's document."""
    rest = leg.rest
    rest.join(leg.sid, dial_document.find("Dial"))
    joined = follow_redirect(tw, rest, caller)
    if joined.find("Dial/Conference") is not None:
        rest.join(caller.sid, joined.find("Dial"))
    deliver(tw, rest)
    return joined


def caller_hangs_up(tw, rest, caller: Caller):
    """The caller hangs up during the conversation: they leave the conference (which ends with them: the caller is
    its anchor), its status callbacks are delivered, then the caller's own status callback."""
    rest.hang_up(caller.sid)
    deliver(tw, rest)
    return tw.post("/voice/status", caller.params(CallStatus="completed"))


def deliver(tw, rest) -> list:
    """Post the conference status callbacks Twilio has due, signed, in the order they happened."""
    answers = []
    while rest.events:
        url, params = rest.events.pop(0)
        answer = tw.post(path_of(url), params)
        assert answer.status_code == 200, answer.data
        answers.append(answer)
    return answers


def dial_ended(tw, rest, leg, dial_document, call_status="in-progress") -> ET.Element:
    """The leg's <Dial><Conference> is over (the conference ended, the leg was removed, * pressed, the leg hung up):
    Twilio requests the Dial's action on that leg."""
    if leg.sid in rest.dial_ended:
        rest.dial_ended.remove(leg.sid)
    action = dial_document.find("Dial").get("action")
    return xml(tw.post(path_of(action), leg.params(DialCallStatus="completed", CallStatus=call_status)))


def rung(rest):
    return [sid for sid, call in rest.calls.items()]
