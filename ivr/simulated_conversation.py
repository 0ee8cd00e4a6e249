"""`helpline call --listener`: the caller taken by a fictitious listener in a throwaway engine, and a transfer made
from the listener's keypad — what the caller, the listener and the third party each hear, through the real, signed
webhooks. Twilio's REST API is answered in process (ivr/simulated_twilio.py): nobody is dialled, nothing is kept."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from ivr.simulated_twilio import SimulatedTwilio
from ivr.simulator import CallSimulator

THEN_KEYS = {"leave": "1", "together": "2", "cancel": "3"}
LISTENER_PHONE = "+33199000001"  # fictitious (ARCEP's fiction range): the simulated listener's phone
OTHER_LINE_LISTENER_PHONE = "+33199000002"  # the listener of another line a transfer to that line reaches


@dataclass
class Plan:
    """What the listener does: take the call, talk, then (optionally) transfer it by the keypad, warm or cold."""

    transfer: str | None = None  # a target key (service:be-107), as `targets` lists them
    then: str = "leave"  # leave | together | cancel, once the third party answered (warm)
    outcomes: dict[str, str] = field(default_factory=dict)  # a third party's number → busy, no-answer, failed…
    talk_seconds: int = 120
    cold: bool = False  # the caller put straight through on the answer, the listener freed


def said(document: ET.Element | None) -> list[str]:
    return [(s.text or "").strip() for s in document.iter("Say")] if document is not None else []


class ConversationSimulator(CallSimulator):
    """The caller's leg as CallSimulator plays it; at the queue, the listener's and the third party's legs too."""

    def __init__(self, app, to: str, plan: Plan, twilio: SimulatedTwilio, **kwargs):
        super().__init__(app, to, queue_result="bridged", **kwargs)
        self.plan, self.twilio = plan, twilio
        self.listener_sid: str | None = None
        self.listener_dial: ET.Element | None = None
        self.caller_dial: ET.Element | None = None

    # --- the legs -----------------------------------------------------------------------------------------------

    def leg_params(self, sid: str, **extra: str) -> dict[str, str]:
        call = self.twilio.calls.get(sid, {})
        return {"CallSid": sid, "AccountSid": self.app.config["TWILIO_ACCOUNT_SID"], "From": call.get("from") or "",
                "To": call.get("to") or "", "Direction": "outbound-api", "CallStatus": "in-progress", **extra}

    def listener_hears(self, document: ET.Element | None) -> ET.Element | None:
        """What the listener hears of a document before they press a key (a <Gather>'s fallback is not heard)."""
        for verb in document if document is not None else ():
            for text in said(verb) if verb.tag in ("Say", "Gather") else ():
                self.transcript.add("listener", text)
            if verb.tag == "Gather":
                break
        return document

    def listener_press(self, document: ET.Element, digits: str) -> ET.Element | None:
        self.transcript.add("lpress", digits)
        gather = document.find("Gather")
        answer = self.post(gather.get("action"), self.leg_params(self.listener_sid, Digits=digits))
        if answer is not None and answer.find("Redirect") is not None and answer.find("Gather") is None:
            answer = self.post(answer.find("Redirect").text.strip(), self.leg_params(self.listener_sid))
        self.listener_hears(answer)
        if answer is not None and answer.find("Dial/Conference") is not None:
            self.listener_dial = answer
        self.twilio_did()
        return answer

    def star(self) -> ET.Element | None:
        """* on the listener's phone: their <Dial hangupOnStar> ends and Twilio asks its action (the menu)."""
        self.transcript.add("lpress", "*")
        action = self.listener_dial.find("Dial").get("action")
        menu = self.listener_hears(self.post(action, self.leg_params(self.listener_sid, DialCallStatus="completed")))
        self.twilio_did()
        return menu

    def twilio_did(self) -> None:
        """What the engine asked of Twilio meanwhile, as the parties notice it: the caller moved into the
        conference, put on hold or taken off it, a word played to one participant, a third party dialled."""
        for request in self.twilio.new():
            values = request.params
            if request.path.startswith("/Calls/") and values.get("Url") and request.path.endswith(self.sid):
                self.caller_dial = self.post(values["Url"], self.call_params())
                self.heard(self.caller_dial)
                self.conference_joined()
            elif request.path.startswith("/Calls/") and values.get("Url") and self.listener_sid \
                    and request.path.endswith(self.listener_sid):  # out of the call (a cold transfer answered)
                self.listener_hears(self.post(values["Url"], self.leg_params(self.listener_sid)))
            elif values.get("Hold") == "true":
                self.transcript.add("note", "on hold, hears:")
                self.heard(self.post(values["HoldUrl"], self.call_params()))
            elif values.get("Hold") == "false":
                self.transcript.add("note", "off hold: back in the conversation")
            elif values.get("AnnounceUrl"):
                who = request.path.rsplit("/", 1)[-1]
                words = said(self.post(values["AnnounceUrl"], self.leg_params(who)))
                party = "third" if who == self.third_party_sid() else "say" if who.endswith(self.sid) else "listener"
                for text in words:
                    self.transcript.add(party, text)
            elif request.method == "POST" and request.path.endswith("/Participants") and values.get("To"):
                self.transcript.dialled.append(values["To"])

    def conference_joined(self) -> None:
        """Twilio's conference status callback: each leg has joined (the engine learns the conference's SID)."""
        conference = self.caller_dial.find("Dial/Conference") if self.caller_dial is not None else None
        if conference is None or not conference.get("statusCallback"):
            return
        room = self.twilio.conference_named(conference.text.strip())
        for sid, label in ((self.listener_sid, "listener"), (self.sid, "caller")):
            self.post(conference.get("statusCallback"), {
                "AccountSid": self.app.config["TWILIO_ACCOUNT_SID"], "ConferenceSid": room["sid"],
                "FriendlyName": room["name"], "StatusCallbackEvent": "participant-join", "CallSid": sid,
                "ParticipantLabel": label, "Muted": "false", "Hold": "false", "Coaching": "false"})

    def third_party_sid(self) -> str | None:
        for conference in self.twilio.conferences.values():
            for sid, values in conference["participants"].items():
                if values.get("StatusCallback", "").find("/voice/transfer/status") >= 0:
                    return sid
        return None

    # --- the conversation ---------------------------------------------------------------------------------------

    def enqueue(self, verb: ET.Element):
        """The caller waits; the engine has dialled the listener: they answer, hear the whisper, press 1."""
        self.transcript.add("queue", "waits in the queue", "waits")
        dialled = [r for r in self.twilio.new() if r.path == "/Calls" and r.params.get("Url")]
        if not dialled:
            return super().enqueue(verb)
        self.listener_sid = next(sid for sid, call in self.twilio.calls.items() if call["params"] is dialled[0].params)
        self.transcript.add("listener", "(their phone rings; they answer)")
        whisper = self.listener_hears(self.post(dialled[0].params["Url"], self.leg_params(self.listener_sid)))
        self.listener_dial = self.listener_press(whisper, "1")
        self.clock.advance(self.plan.talk_seconds)
        self.transcript.add("note", f"talks with the listener for {self.plan.talk_seconds // 60} min")
        if self.plan.transfer:
            self.transfer()
        self.transcript.add("hangup", "the caller hangs up")
        return None

    def transfer(self) -> None:
        from ivr import transfers

        with self.app.app_context():
            call_id = self.call_id()
            keys = [t.key for t in transfers.targets(call_id)]
        if self.plan.transfer not in keys:
            self.transcript.add("error", f"{self.plan.transfer} is not a target of this call ({', '.join(keys)})")
            return
        menu = self.star()
        targets = self.listener_press(menu, "4")
        how = self.listener_press(targets, str(keys.index(self.plan.transfer) + 1))
        self.listener_press(how, "2" if self.plan.cold else "1")
        third = self.third_party_sid()
        if third is None:  # nobody dialled (another line's listeners all busy): the listener was told, keeps the caller
            return
        number = self.twilio.calls[third]["to"]
        status = self.plan.outcomes.get(number, "completed")
        params = self.twilio.calls[third]["params"]
        self.transcript.add("dial", f"{number} (caller ID {params.get('From')}, ring {params.get('Timeout')} s): {status}")
        self.clock.advance(8)
        answer = self.post(params["StatusCallback"], self.leg_params(third, CallStatus="in-progress" if status ==
                                                                     "completed" else status))
        if answer is None:
            return
        self.twilio_did()
        if status != "completed":
            return
        if self.plan.cold:
            self.transcript.add("note", "talks with the third party; the listener has left")
            return
        self.transcript.add("listener", "(talks with the third party, the caller on hold)")
        self.clock.advance(60)
        progress = self.listener_press(self.star(), "4")
        self.listener_press(progress, THEN_KEYS.get(self.plan.then, "1"))
        if self.plan.then == "leave":
            self.transcript.add("note", "talks with the third party; the listener has left")

    def call_id(self) -> int | None:
        from store.calls import find_call
        from store.extension import database

        with database.session() as session:
            call = find_call(session, self.sid)
            return call.id if call is not None else None
