"""Callers asking to be called back on the 3977 and the referent's phone that calls them: shared by the callback tests."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

from sqlalchemy import select

from routing.queueing import ListenerStatus
from store.extension import database
from store.listeners import create_listener, set_status
from store.models import CallbackRequest, Conversation
from tests.conftest import CALLBACK_KEY, PEPPER, SignedTwilio, at_paris
from tests.support.calls import ListenerLeg, path_of
from tests.support.transfers import Scene
from tests.support.twilio_conference import WAIT_MUSIC

LINE_3977 = "+33199003977"
MOBILE = "+33612345678"
SATURDAY_EVENING = at_paris(2026, 11, 28, 20, 0)  # the 3977 platform is closed (open 9h-19h)
MONDAY_MORNING = at_paris(2026, 11, 30, 10, 0)
CONFIG = {"CALLBACK_KEY": CALLBACK_KEY, "NUMBER_PEPPER": PEPPER}


def requests_held(app) -> list[CallbackRequest]:
    with app.app_context(), database.session() as session:
        return list(session.scalars(select(CallbackRequest).order_by(CallbackRequest.id)))


def request_callback(app, clock, window_keys=("1", "2")):
    from ivr.simulator import CallSimulator

    clock.now = SATURDAY_EVENING
    with app.app_context():
        CallSimulator(app, LINE_3977, MOBILE, presses=["#", "1", "1", *window_keys], clock=clock).run()


def add_referent(app, phone="+33699000001"):
    with app.app_context(), database.session() as session:
        now = app.config["CLOCK"]()
        listener = create_listener(session, "Référent", phone, ["3977"], "1234", now)
        set_status(session, listener, ListenerStatus.AVAILABLE, now, "chosen by test")
        session.commit()
        return listener.id


def dispatch(app):
    from ivr.callbacks import dispatch_due_callbacks

    return dispatch_due_callbacks(app)


class ListenerPhone:
    def __init__(self, app, rest, sid):
        self.tw = SignedTwilio(app.test_client())
        self.sid, self.call = sid, rest.calls[sid]

    def post(self, url, **params):
        base = {"CallSid": self.sid, "From": self.call["from"], "To": self.call["to"], "Direction": "outbound-api"}
        response = self.tw.post(path_of(url), {**base, **params})
        assert response.status_code == 200
        return ET.fromstring(response.data)

    def answer(self):
        return self.post(self.call["params"]["Url"], CallStatus="in-progress")

    def hang_up(self):
        self.post(self.call["params"]["StatusCallback"], CallStatus="completed", CallDuration="60")


def dialled_person(rest, number: str = MOBILE) -> str:
    """The call the engine placed to the person called back (the REST API, once the listener pressed 1)."""
    [sid] = [sid for sid, call in rest.calls.items() if call.get("to") == number]
    return sid


class PersonPhone:
    """The phone of the person called back, as Twilio drives it: answered (by a person, or a machine that Twilio's
    check hears first), hung up, or never answered (its status callback)."""

    def __init__(self, app, rest, sid):
        self.tw, self.rest, self.sid = SignedTwilio(app.test_client()), rest, sid
        self.call = rest.calls[sid]

    def params(self, **extra):
        return {"CallSid": self.sid, "From": self.call["from"], "To": self.call["to"], "Direction": "outbound-api",
                **extra}

    def answer(self, answered_by="human"):
        """Picked up: Twilio asks the call's URL (with what its machine check heard); a <Dial><Conference> joins."""
        from tests.support.calls import deliver, xml

        self.rest.calls[self.sid]["status"] = "in-progress"
        document = xml(self.tw.post(path_of(self.call["params"]["Url"]),
                                    self.params(CallStatus="in-progress", AnsweredBy=answered_by)))
        if document.find("Dial/Conference") is not None:
            self.rest.join(self.sid, document.find("Dial"))
            deliver(self.tw, self.rest)
        return document

    def ends(self, status):
        """The call's status callback: busy, no-answer, failed, or completed."""
        self.rest.calls[self.sid]["status"] = status
        response = self.tw.post(path_of(self.call["params"]["StatusCallback"]), self.params(CallStatus=status))
        assert response.status_code == 200
        return response

    def hang_up(self):
        from tests.support.calls import deliver

        self.rest.hang_up(self.sid)
        deliver(self.tw, self.rest)
        return self.ends("completed")

    def follow_redirect(self):
        from tests.support.calls import xml

        return xml(self.tw.post(path_of(self.call["redirects"][-1]), self.params(CallStatus="in-progress")))

    def dial_ended(self, document):
        """The person's <Dial><Conference> ended without their hanging up: Twilio asks its action."""
        from tests.support.calls import xml

        if self.sid in self.rest.dial_ended:
            self.rest.dial_ended.remove(self.sid)
        action = document.find("Dial").get("action")
        return xml(self.tw.post(path_of(action), self.params(CallStatus="in-progress", DialCallStatus="completed")))


def first_attempt_unanswered(cbapp, rest) -> tuple[str, str]:
    """The first try: the listener is dialled first and waits with music; the person does not answer. Returns the
    listener's and the person's call sids."""
    [sid] = rest.calls
    assert rest.calls[sid]["to"] == "+33699000001"  # the listener is dialled first
    phone = ListenerPhone(cbapp, rest, sid)
    whisper = phone.answer()
    context = whisper.find("Gather/Say").text
    assert "Rappel pour 3977" in context and "Dès que possible".lower() in context
    assert "Message sur répondeur : non autorisé" in context and "Tentative 1 sur 3" in context
    waiting = phone.post(whisper.find("Gather").get("action"), Digits="1")
    assert "Nous appelons la personne" in waiting.find("Say").text
    assert waiting.find("Dial/Conference") is not None and MOBILE not in ET.tostring(waiting, encoding="unicode")
    rest.join(sid, waiting.find("Dial"))
    assert rest.hears(sid) == {"wait-music"}  # the listener waits with music while the person's phone rings
    person = PersonPhone(cbapp, rest, dialled_person(rest))  # the number is decrypted only here, to dial
    assert person.call["from"] == LINE_3977  # the line's number, never the listener's
    assert person.call["params"]["MachineDetection"] == "Enable"
    person.ends("no-answer")
    told = phone.post(rest.calls[sid]["redirects"][-1], CallStatus="in-progress")  # out of the conference
    assert "réessaierons" in told.find("Say").text
    phone.hang_up()
    return sid, person.sid


def called_back(app, rest, clock):
    """Saturday's request, Monday morning: the referent's phone rings, they press 1, the person answers."""
    request_callback(app, clock)
    referent = add_referent(app)
    clock.now = MONDAY_MORNING
    dispatch(app)
    leg = ListenerLeg(SignedTwilio(app.test_client()), rest, list(rest.calls)[0])
    dial = leg.press("1")
    rest.join(leg.sid, dial.find("Dial"))
    assert rest.hears(leg.sid) == {WAIT_MUSIC}  # the person's phone rings: the listener hears music, not silence
    person = PersonPhone(app, rest, dialled_person(rest))
    clock.now += timedelta(seconds=10)
    joined = person.answer("human")
    return referent, leg, dial, person, joined


class CallbackScene(Scene):
    """A transfer's three phones on a safe callback: the referent (``camille``, the listener, on her keypad), the
    person called back (``caller``, the conference's anchor) and the third party; every step of ``Scene``."""

    def __init__(self, app, rest, clock):  # noqa: D107 — no super(): the call is a callback, not a queued caller
        self.app, self.rest, self.clock = app, rest, clock
        self.camille, self.leg, self.dial, self.caller, self.joined = called_back(app, rest, clock)
        self.tw = self.leg.tw
        with app.app_context(), database.session() as session:
            self.call_id = session.scalar(select(Conversation.call_id).order_by(Conversation.id.desc()))
