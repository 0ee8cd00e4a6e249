"""``<Dial>`` (numbers, whispers) and ``<Enqueue>`` as Twilio plays them on a leg: the part of the emulator that
connects a leg to another party. A mixin of ``checks.twilio_emulator._Call``; with a world (``checks.world``) a
``<Conference>`` or ``<Queue>`` is joined for real (``checks.conference_leg``), without one it is 60 s of talk."""

from __future__ import annotations

import urllib.parse
import xml.etree.ElementTree as ET

from checks.call_record import BUSY_TONE_SECONDS, FAILED_SECONDS, PLAY_SECONDS, RING_BEFORE_ANSWER, TALK_SECONDS
from checks.sids import CallEnded, LeaveQueue, new_sid
from checks.world import Interrupted


class DialAndQueue:
    def dial(self, verb: ET.Element, url: str):
        timeout = float(verb.get("timeout", "30") or 30)
        nouns = [child for child in verb if child.tag in ("Number", "Client", "Sip", "Conference", "Queue")]
        targets = [(child.tag, (child.text or "").strip(), child) for child in nouns] or \
                  [("Number", (verb.text or "").strip(), verb)]
        status, talk = "failed", 0.0
        for tag, target, element in targets:
            caller_id = f" callerId={verb.get('callerId')}" if verb.get("callerId") else ""
            self._event("dial", f"{tag} {target}{caller_id}")
            if self.em.world is not None and tag in ("Conference", "Queue"):
                return (self.dial_conference if tag == "Conference" else self.dial_queue)(verb, element, url)
            if tag == "Conference":
                status = "completed"
                self._hear(TALK_SECONDS, "talk", f"conference {target}")
                talk = TALK_SECONDS
                break
            status = self.outcome.dial.get(target, self.outcome.default_dial)
            if status == "completed":
                self._hear(RING_BEFORE_ANSWER, "ring", target)
                if element.get("url"):
                    self.whisper(urllib.parse.urljoin(url, element.get("url")), target)
                self._hear(TALK_SECONDS, "talk", target)
                talk = TALK_SECONDS
                break
            self._hear({"busy": BUSY_TONE_SECONDS, "no-answer": timeout}.get(status, FAILED_SECONDS),
                       "ring" if status == "no-answer" else "tone", f"{target}: {status}")
        self._event("dial-result", status)
        if status == "completed":
            # The dialled party hung up first only in a transfer back; a caller who has talked hangs up here.
            action = verb.get("action")
            if action:
                self.status = "completed"
                self.fetch(urllib.parse.urljoin(url, action),
                           {"DialCallStatus": status, "DialCallSid": new_sid("CA"),
                            "DialCallDuration": str(int(talk))}, verb.get("method", "POST"))
            raise CallEnded("caller hung up after the conversation")
        action = verb.get("action")
        if not action:
            return None
        target = urllib.parse.urljoin(url, action)
        return self.fetch(target, {"DialCallStatus": status, "DialCallSid": new_sid("CA"), "DialCallDuration": "0"},
                          verb.get("method", "POST")), target

    def whisper(self, url: str, number: str) -> None:
        """The dialled party's leg: its document plays to them (recorded apart), and they press 1 if asked."""
        params = dict(self.base, CallSid=new_sid("CA"), From=self.base["To"], To=number, Direction="outbound-dial",
                      CallStatus="in-progress")
        params.pop("Caller", None)
        for _ in range(4):
            status, body = self.em.request(url, params)
            if status != 200:
                self.record.problems.append(f"HTTP {status} from the whisper {urllib.parse.urlsplit(url).path}")
                return
            root = ET.fromstring(body)
            next_url = None
            for verb in root:
                if verb.tag == "Say":
                    self.record.whispers.append(" ".join((verb.text or "").split()))
                elif verb.tag == "Gather":
                    self.record.whispers.extend(" ".join((c.text or "").split()) for c in verb if c.tag == "Say")
                    next_url = urllib.parse.urljoin(url, verb.get("action") or url)
                    params = dict(params, Digits="1")
                    break
                elif verb.tag == "Redirect":
                    next_url = urllib.parse.urljoin(url, (verb.text or "").strip())
                    break
            if not next_url:
                return
            url = next_url

    def enqueue(self, verb: ET.Element, url: str):
        name = (verb.text or "").strip()
        queue_sid = new_sid("QU")
        self.queue = {"since": self.t, "sid": queue_sid}
        self.queue_sid_seen = queue_sid
        self.em.queues.setdefault(name, []).append(self)
        self._event("enqueue", name)
        result = "hangup"
        wait_url = verb.get("waitUrl")
        try:
            if not wait_url:  # Twilio's default classical playlist: music until something happens
                while True:
                    self._hear(PLAY_SECONDS, "play", "Twilio default hold music")
            target = urllib.parse.urljoin(url, wait_url)
            method = verb.get("waitUrlMethod", "POST")
            while True:
                doc, doc_url = self.fetch(target, self._queue_params(), method), target
                for placed in (self.em.rest.take_placed() if self.em.answer_placed is not None else []):
                    self.em.answer_placed(self, placed, verb, url)  # the listener's phone rings while we wait
                while doc is not None:
                    nxt = None
                    for wait_verb in doc:
                        nxt = self.verb(wait_verb, doc_url)
                        if nxt is not None:
                            break
                    doc, doc_url = nxt if nxt is not None else (None, doc_url)
        except LeaveQueue:
            result = "leave"
        except Interrupted as interruption:
            if interruption.kind != "dequeued":
                raise  # a redirect: the run loop takes it (no Enqueue action: the new document replaces it)
            self.em.leave_queue(self)
            return self.dequeued(interruption, verb, url)
        except CallEnded as ended:
            self.em.leave_queue(self)
            if self.queue is None:  # bridged to a listener: both legs' webhooks were sent by the bridge
                raise
            result = "hangup"
            self._event("queue-end", ended.reason)
            waited = self.t - self.queue["since"]
            self.queue = None
            action = verb.get("action")
            if action:
                self.status = "completed"
                self.fetch(urllib.parse.urljoin(url, action),
                           {"QueueResult": result, "QueueSid": queue_sid, "QueueTime": str(int(waited))},
                           verb.get("method", "POST"))
            raise
        self.em.leave_queue(self)
        waited = self.t - self.queue["since"]
        self.queue = None
        self._event("queue-end", result)
        action = verb.get("action")
        if not action:
            return None
        target = urllib.parse.urljoin(url, action)
        return self.fetch(target, {"QueueResult": result, "QueueSid": queue_sid, "QueueTime": str(int(waited))},
                          verb.get("method", "POST")), target

    def _queue_params(self) -> dict[str, str]:
        waited = int(self.t - self.queue["since"])
        return {"QueueSid": self.queue["sid"], "QueuePosition": "1", "QueueTime": str(waited),
                "AvgQueueTime": str(waited), "CurrentQueueSize": "1"}
