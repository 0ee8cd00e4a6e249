"""The listener's side of a queued call, as Twilio plays it, up to the bridge and the webhooks after it.

The call the engine placed through the REST API is answered, its document played (the whisper; the listener
presses 1), and its ``<Dial><Queue>`` bridges the queued caller: the ``<Queue url>`` document first plays on the
caller's leg (Twilio: "executed on the queued caller's end before the two parties are connected"), then they
talk, then both legs end and their webhooks come in the order the scenario chooses (Twilio guarantees none)."""

from __future__ import annotations

import urllib.parse
import xml.etree.ElementTree as ET

from checks.call_record import RING_BEFORE_ANSWER, SPEECH_CHARS_PER_SECOND, TALK_SECONDS
from checks.twilio_emulator import CallEnded

LISTENER_KEYS = "1"  # accepts the offer, then the first category: a listener who takes the call and classifies it
MAX_LISTENER_DOCUMENTS = 12


class _Leg:
    def __init__(self, call, placed: dict[str, str]):
        self.call = call
        self.placed = placed
        self.params = {"AccountSid": call.em.account_sid, "ApiVersion": "2010-04-01", "CallSid": placed["Sid"],
                       "From": placed.get("From", ""), "To": placed.get("To", ""), "Direction": "outbound-api",
                       "CallStatus": "in-progress"}
        self.documents = 0

    def fetch(self, url: str, extra: dict[str, str] | None = None, method: str = "POST") -> ET.Element | None:
        if self.documents >= MAX_LISTENER_DOCUMENTS:
            self.call.record.problems.append("the listener's leg never ended")
            return None
        self.documents += 1
        self.call.record.requests.append("listener " + urllib.parse.urlsplit(url).path)
        status, body = self.call.em.request(url, dict(self.params, **(extra or {})), method)
        if status != 200:
            self.call.record.problems.append(f"HTTP {status} from the listener's {urllib.parse.urlsplit(url).path}")
            return None
        try:
            return ET.fromstring(body)
        except ET.ParseError as error:
            self.call.record.problems.append(f"invalid XML on the listener's leg: {error}")
            return None

    def play(self, doc: ET.Element | None, url: str):
        """Play a document on the listener's leg; return the <Dial> that bridges a queue, with its URL, or None."""
        while doc is not None:
            next_doc = None
            for verb in doc:
                if verb.tag == "Say":
                    self._say(verb)
                elif verb.tag == "Gather":
                    for child in verb:
                        if child.tag == "Say":
                            self._say(child)
                    target = urllib.parse.urljoin(url, verb.get("action") or url)
                    next_doc, url = self.fetch(target, {"Digits": LISTENER_KEYS}, verb.get("method", "POST")), target
                    break
                elif verb.tag == "Redirect":
                    target = urllib.parse.urljoin(url, (verb.text or "").strip())
                    next_doc, url = self.fetch(target, method=verb.get("method", "POST")), target
                    break
                elif verb.tag == "Dial" and verb.find("Queue") is not None:
                    return verb, url
                elif verb.tag == "Hangup":
                    return None
            doc = next_doc
        return None

    def _say(self, verb: ET.Element) -> None:
        text = (verb.text or "").strip()
        self.call.record.listener.append(text)
        self.call._tick(len(text) / SPEECH_CHARS_PER_SECOND)

    def status_callback(self, seconds: float) -> None:
        callback = self.placed.get("StatusCallback")
        self.call.em.rest.set_status(self.placed["Sid"], "completed")
        if callback:
            status, _ = self.call.em.request(callback, dict(self.params, CallStatus="completed",
                                                            CallDuration=str(int(seconds))),
                                             self.placed.get("StatusCallbackMethod", "POST"))
            if status >= 400:
                self.call.record.problems.append(f"HTTP {status} from the listener's status callback")


def answer(call, placed: dict[str, str], enqueue: ET.Element, enqueue_url: str) -> None:
    """The listener's phone rings and is answered while the caller waits; if the listener's document bridges the
    queue, the caller is put through and the call ends (CallEnded); otherwise the caller keeps waiting."""
    leg = _Leg(call, placed)
    call.em.rest.set_status(placed["Sid"], "in-progress")
    call._event("listener-answers", placed.get("To", ""))
    call._tick(RING_BEFORE_ANSWER)
    url = placed["Url"]
    bridge = leg.play(leg.fetch(url, method=placed.get("Method", "POST")), url)
    if bridge is None:
        leg.status_callback(0)
        return
    dial, dial_url = bridge
    queue_noun = dial.find("Queue")
    waited, queue_sid = call.t - call.queue["since"], call.queue["sid"]
    call.queue = None  # dequeued: what follows is heard on the way to the listener, not while waiting
    call._event("bridged", (queue_noun.text or "").strip())
    if queue_noun.get("url"):  # played on the caller's leg before the two are connected
        target = urllib.parse.urljoin(dial_url, queue_noun.get("url"))
        doc = call.fetch(target, {"QueueSid": queue_sid, "QueueTime": str(int(waited)),
                                  "DequeingCallSid": placed["Sid"]}, queue_noun.get("method", "POST"))
        for verb in doc:
            if verb.tag in ("Say", "Play", "Pause"):
                call.sound(verb)
            elif verb.tag != "Redirect":
                call.record.problems.append(f"<{verb.tag}> in a <Queue url> document (only Play, Say, Pause, "
                                            "Redirect are allowed)")
    call._hear(TALK_SECONDS, "talk", "a listener")
    call.status = "completed"

    def queue_action() -> None:
        if enqueue.get("action"):
            call.fetch(urllib.parse.urljoin(enqueue_url, enqueue.get("action")),
                       {"QueueResult": "bridged", "QueueSid": queue_sid, "QueueTime": str(int(waited))},
                       enqueue.get("method", "POST"))

    def listener_side() -> None:
        action = dial.get("action")
        if action:
            target = urllib.parse.urljoin(dial_url, action)
            leg.play(leg.fetch(target, {"DialCallStatus": "completed", "DialCallSid": call.sid,
                                        "DialCallDuration": str(int(TALK_SECONDS)), "QueueSid": queue_sid},
                               dial.get("method", "POST")), target)
        leg.status_callback(TALK_SECONDS + RING_BEFORE_ANSWER)

    # The caller hangs up first; Twilio may report the three in any order.
    webhooks = {"queue-action": queue_action, "caller-status": call.send_status_callback,
                "dial-action": listener_side}
    for name in call.outcome.after_talk:
        webhooks[name]()
    raise CallEnded("caller hung up after talking with a listener")
