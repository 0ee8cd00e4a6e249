"""A call to transfer, driven as Twilio drives it: Camille and a caller of Écoute Violences Conjugales in their
conference, Camille's keypad (* then keys), and the third party the engine dials through the REST API."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta
from urllib.parse import parse_qs

from sqlalchemy import select

from store.extension import database
from store.models import Call, CallEvent, Conversation, Transfer
from tests.support.calls import Caller, ListenerLeg, add_listener, bridge, deliver, path_of, rung, xml

THE_107 = "+3225550107"  # the 107's (fictitious) number: Écoute Violences Conjugales names the 107
INTERPRETER = "+3225550399"  # the line's transfer_numbers (fictitious)


def said(document: ET.Element | None) -> str:
    return " ".join((s.text or "").strip() for s in document.iter("Say")) if document is not None else ""


class Scene:
    """Camille has taken a caller; everything a transfer test does to the three phones."""

    def __init__(self, app, tw, rest, clock, languages=("fr",)):
        self.app, self.tw, self.rest, self.clock = app, tw, rest, clock
        self.camille = add_listener(app, "Camille", "+32470111111", languages=languages)
        self.caller = Caller(tw)
        self.leg = ListenerLeg(tw, rest, rung(rest)[0])
        clock.now += timedelta(seconds=5)
        self.dial = self.leg.press("1")
        self.joined = bridge(tw, self.caller, self.dial, self.leg)  # the caller's <Dial><Conference>
        with app.app_context(), database.session() as session:
            self.call_id = session.scalar(select(Call.id).where(Call.sid == self.caller.sid))

    # --- the engine's side ------------------------------------------------------------------------------------

    def api(self, name, *args, **kwargs):
        """One of ivr.transfers' functions, as the desk calls it (inside the app, at the test's clock)."""
        from ivr import transfers

        with self.app.app_context():
            outcome = getattr(transfers, name)(*args, **kwargs)
        deliver(self.tw, self.rest)
        return outcome

    def conversation(self) -> Conversation:
        with self.app.app_context(), database.session() as session:
            return session.scalar(select(Conversation).order_by(Conversation.id.desc()))

    def transfer(self) -> Transfer:
        with self.app.app_context(), database.session() as session:
            return session.scalar(select(Transfer).order_by(Transfer.id.desc()))

    def events(self, prefix: str = "transfer_") -> list[str]:
        with self.app.app_context(), database.session() as session:
            return [f"{e.kind} {e.detail}".strip() for e in session.scalars(select(CallEvent).order_by(CallEvent.id))
                    if e.kind.startswith(prefix)]

    # --- Camille's keypad -------------------------------------------------------------------------------------

    def star(self, call_status: str = "in-progress") -> ET.Element:
        """Camille presses *: her <Dial hangupOnStar> leaves the conference and Twilio asks its action (the menu)."""
        self.rest.leave_conference(self.leg.sid, "hangup-on-star")
        deliver(self.tw, self.rest)
        action = self.dial.find("Dial").get("action")
        menu = xml(self.tw.post(path_of(action), self.leg.params(DialCallStatus="completed", CallStatus=call_status)))
        deliver(self.tw, self.rest)
        return menu

    def press(self, document: ET.Element, digits: str) -> ET.Element:
        """A key in the <Gather> of ``document`` (her leg); a <Dial><Conference> answered takes her back in."""
        gather = document.find("Gather")
        answer = xml(self.tw.post(path_of(gather.get("action")), self.leg.params(Digits=digits, CallStatus="in-progress")))
        if answer.find("Redirect") is not None and answer.find("Gather") is None:
            answer = xml(self.tw.post(path_of(answer.find("Redirect").text.strip()), self.leg.params(CallStatus="in-progress")))
        if answer.find("Dial/Conference") is not None:
            self.dial = answer
            self.rest.join(self.leg.sid, answer.find("Dial"))
        deliver(self.tw, self.rest)
        return answer

    def keys(self, *digits: str) -> ET.Element:
        """* then each key in turn; returns the last document Camille's leg got."""
        document = self.star()
        for key in digits:
            document = self.press(document, key)
        return document

    # --- the third party --------------------------------------------------------------------------------------

    def third_party(self) -> str:
        """The call sid of the participant the engine dialled for the transfer (its status callback is the transfer's)."""
        [sid] = [sid for sid, call in self.rest.calls.items()
                 if "/voice/transfer/status" in call["params"].get("StatusCallback", "") and call["to"] != self.leg.call["to"]]
        return sid

    def dialled(self) -> dict:
        return self.rest.calls[self.third_party()]["params"]

    def third_party_status(self, status: str, sid: str | None = None):
        sid = sid or self.third_party()
        params = self.rest.calls[sid]["params"]
        answer = self.tw.post(path_of(params["StatusCallback"]),
                              {"CallSid": sid, "CallStatus": status, "From": params["From"], "To": params["To"],
                               "Direction": "outbound-api"})
        assert answer.status_code == 200, answer.data
        deliver(self.tw, self.rest)
        return answer

    def answer_third_party(self):
        sid = self.third_party()
        self.rest.answer_participant(sid)
        deliver(self.tw, self.rest)
        return self.third_party_status("in-progress", sid)

    def third_party_fails(self, status: str):
        """busy, no-answer or failed: their phone never joined the conference."""
        sid = self.third_party()
        conference, _ = self.rest.find_participant(sid)
        del conference.participants[sid]
        self.rest.calls[sid]["status"] = status
        return self.third_party_status(status, sid)

    def announced(self, sid: str) -> str:
        """What was played to one participant alone (participant update announceUrl), as Twilio fetches it."""
        words = []
        for request in self.rest.requests:
            if request.method == "POST" and request.path.endswith(f"/Participants/{sid}.json") \
                    and request.params.get("AnnounceUrl"):
                document = xml(self.tw.post(path_of(request.params["AnnounceUrl"]), {"CallSid": sid}))
                words.append(said(document))
        return " ".join(words)

    def hold_document(self) -> ET.Element:
        """The caller's hold music (and what comes with it) as Twilio fetches their holdUrl."""
        participant = self.rest.find_participant(self.caller.sid)[1]
        return xml(self.tw.post(path_of(participant.hold_url), self.caller.params()))

    def caller_dial_ended(self) -> ET.Element:
        """The conference ended under the caller: Twilio asks their <Dial>'s action."""
        action = self.joined.find("Dial").get("action")
        return xml(self.tw.post(path_of(action), self.caller.params(DialCallStatus="completed")))

    def listener_redirected(self) -> ET.Element:
        """The engine moved Camille's leg (calls(sid).update(url=…)): what Twilio fetches there on her leg."""
        url = self.rest.calls[self.leg.sid]["redirects"][-1]
        return xml(self.tw.post(path_of(url), self.leg.params(CallStatus="in-progress")))

    def stopped(self, sid: str) -> bool:
        """Whether the engine asked Twilio to stop that call's ringing (calls(sid).update(status=canceled))."""
        return any(r.method == "POST" and r.path.endswith(f"/Calls/{sid}.json") and r.params.get("Status") == "canceled"
                   for r in self.rest.requests)

    def hung_up_with(self, sid: str) -> str:
        """The words of the TwiML the engine replaced a call's document with (calls(sid).update(twiml=…))."""
        twiml = self.rest.calls[sid]["params"].get("Twiml", "")
        return said(ET.fromstring(twiml)) if twiml else ""


def query(url: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(url.partition("?")[2]).items()}
