"""A leg inside a conference (``<Dial><Conference>``, a Participants-resource call) or a queue bridge, in world mode.

Twilio, as documented: ``<Dial><Conference>`` joins the named room with the noun's attributes; the leg stays until
it hangs up, presses ``*`` under ``<Dial hangupOnStar="true">`` (it leaves, and the Dial's ``action`` runs), is
redirected (``Calls(sid).update(url=…)``: it leaves and runs the new document), is removed, or the conference ends
(the Dial completes: ``action`` or the next verb). A leg the Participants resource placed has no document to go
back to: it is hung up. ``<Dial><Queue>`` takes the first caller of that queue: the caller leaves its ``<Enqueue>``,
hears the ``<Queue url>`` document, then both talk (a two-party room here) until one leaves."""

from __future__ import annotations

import urllib.parse
import xml.etree.ElementTree as ET

from checks.call_record import TALK_SECONDS
from checks.conference import Conference, Participant, heard_by
from checks.hold_music import fetch_music, keep_playing
from checks.sids import CallEnded, new_sid
from checks.world import Interrupted

FOREVER = 4 * 3600.0
TRUE = "true"


class InConference:
    """Mixin of ``checks.twilio_emulator._Call`` (world mode only)."""

    def _participant(self, conference: Conference, attrs: dict[str, str | None], via_api: bool) -> Participant:
        start_on_enter = (attrs.get("startConferenceOnEnter") or TRUE).lower() == TRUE
        participant = Participant(
            self.sid, self.name, leg=self, label=attrs.get("participantLabel") or attrs.get("label") or "",
            muted=(attrs.get("muted") or "").lower() == TRUE, start_on_enter=start_on_enter,
            end_on_exit=(attrs.get("endConferenceOnExit") or "").lower() == TRUE,
            coaching=bool(attrs.get("coach")) or (attrs.get("coaching") or "").lower() == TRUE,
            call_sid_to_coach=attrs.get("coach") or attrs.get("callSidToCoach") or "", via_api=via_api,
            beep=attrs.get("beep") or "true")
        if not conference.started and not start_on_enter:
            wait = fetch_music(self.em.auth_token, attrs.get("waitUrl"), attrs.get("waitMethod") or "POST",
                               dict(self.base, CallStatus="in-progress"))
            self.record.problems.extend(wait.problems)
            self.record.documents.extend(wait.documents)
            wait.problems, wait.documents = self.record.problems, self.record.documents  # and the next ones'
            keep_playing(self.em.world, self.em.auth_token, wait, dict(self.base, CallStatus="in-progress"),
                         self.em.world.now)
            participant.wait_music = wait
        return participant

    def join_conference(self, name: str, attrs: dict[str, str | None], hangup_on_star: bool = False,
                        via_api: bool = False, conference: Conference | None = None) -> str:
        """Join, stay until something ends it; return why: "star" or "conference-ended" (CallEnded and other
        interruptions propagate, after the leg has left)."""
        rooms, world = self.em.conferences, self.em.world
        conference = conference or rooms.by_name(name, create=True)
        if self.name == "caller" and not self.conference_steps and self.outcome.hangup_at is None:
            self.conference_steps = [(TALK_SECONDS, "hangup")]  # a caller talks a minute, then hangs up
        participant = self._participant(conference, attrs, via_api)
        rooms.set_callback(conference, attrs.get("statusCallback"), attrs.get("statusCallbackMethod") or "POST",
                           attrs.get("statusCallbackEvent") or "")
        self._event("conference", conference.friendly_name)
        joined = world.now
        self.in_conference = (conference, participant)
        rooms.join(conference, participant)
        reason = "participant_hung_up"
        try:
            why = self._stay(joined, hangup_on_star)
            reason = "participant_hung_up" if why == "star" else reason
            return why
        except Interrupted as interruption:
            reason = "participant_updated_via_api" if interruption.kind == "redirect" else reason
            raise
        finally:
            self.in_conference = None
            rooms.leave(conference, participant, reason)
            offset = self.t - world.now
            for heard in heard_by(conference, self.sid, joined, world.now):
                heard.start += offset
                self.record.heard.append(heard)
            self._event("conference-left", conference.friendly_name)

    def _stay(self, joined: float, hangup_on_star: bool) -> str:
        world = self.em.world
        while True:
            step = self.conference_steps[0] if self.conference_steps else None
            wait = FOREVER if step is None else max(joined + step[0] - world.now, 0.0)
            try:
                self._tick(wait)
            except Interrupted as interruption:
                if interruption.kind == "conference-left":
                    return "conference-ended"
                raise
            if step is None:
                self.record.problems.append(f"{self.name} stayed {FOREVER / 3600:.0f} hours in a conference")
                raise CallEnded("emulator stopped a conference that never ended")
            self.conference_steps.pop(0)
            if step[1] == "hangup":
                raise CallEnded(f"{self.name} hung up")
            self._event("press", step[1])
            if step[1] == "*" and hangup_on_star:
                return "star"

    def dial_conference(self, dial: ET.Element, noun: ET.Element, url: str):
        """``<Dial><Conference>``: the next document (the Dial's action) or None to go on with this one."""
        joined = self.t
        attrs = dict(noun.attrib)
        for key in ("waitUrl", "statusCallback"):  # relative URLs resolve against the document, as everywhere
            if attrs.get(key):
                attrs[key] = urllib.parse.urljoin(url, attrs[key])
        self.join_conference((noun.text or "").strip(), attrs, hangup_on_star=dial.get("hangupOnStar") == TRUE)
        return self._dial_done(dial, url, joined)

    def _dial_done(self, dial: ET.Element, url: str, since: float, extra: dict[str, str] | None = None):
        self._event("dial-result", (extra or {}).get("DialCallStatus", "completed"))
        if not dial.get("action"):
            return None
        target = urllib.parse.urljoin(url, dial.get("action"))
        params = {"DialCallStatus": "completed", "DialCallDuration": str(int(self.t - since)), **(extra or {})}
        return self.fetch(target, params, dial.get("method", "POST")), target

    def after_talk(self, queue_action=lambda: None) -> None:
        """The caller hung up after talking: its webhooks and the other legs' in the order the outcome chooses
        (Twilio guarantees none): "dial-action" lets the legs freed at this instant run first."""
        for name in self.outcome.after_talk:
            if name == "queue-action":
                queue_action()
            elif name == "caller-status":
                self.send_status_callback()
            else:
                self.em.world.sleep(self, 0.0)

    # --- queues ---------------------------------------------------------------------------------------------------

    def dial_queue(self, dial: ET.Element, noun: ET.Element, url: str):
        """``<Dial><Queue>`` on a listener's leg: the first caller waiting in that queue is bridged."""
        name, world = (noun.text or "").strip(), self.em.world
        if name not in self.em.queues:  # Twilio: "If the queue does not exist, Dial will post an error status"
            self._event("dial-result", "failed: no such queue")
            return self._dial_done(dial, url, self.t, {"DialCallStatus": "failed"}) if dial.get("action") else None
        waited = 0.0
        while not self.em.queues[name] and waited < float(dial.get("timeout", "30") or 30):
            self._hear(1.0, "silence", f"waiting for a caller in {name}")  # "Dial will wait until the next
            waited += 1.0                                                  # person joins the queue"
        if not self.em.queues[name]:
            self._event("dial-result", "no-answer: the queue stayed empty")
            return self._dial_done(dial, url, self.t, {"DialCallStatus": "no-answer"}) if dial.get("action") else None
        caller = self.em.queues[name][0]
        room = Conference(new_sid("CF"), f"bridge {name}", hidden=True, created=world.now)
        self.em.conferences.all.append(room)
        queue_url = urllib.parse.urljoin(url, noun.get("url")) if noun.get("url") else ""
        world.interrupt(caller, Interrupted("dequeued", room=room, url=queue_url, method=noun.get("method", "POST"),
                                            by=self.sid))
        since = self.t
        self.join_conference(room.friendly_name, {"endConferenceOnExit": TRUE},
                             hangup_on_star=dial.get("hangupOnStar") == TRUE, conference=room)
        return self._dial_done(dial, url, since, {"DialCallSid": caller.sid, "QueueSid": caller.queue_sid_seen})

    def dequeued(self, interruption: Interrupted, enqueue: ET.Element, enqueue_url: str):
        """The caller's side of ``<Dial><Queue>``: the ``<Queue url>`` document, then the talk, then the Enqueue's
        action with ``QueueResult=bridged`` (whoever hung up first)."""
        details = interruption.details
        waited, queue_sid = self.t - self.queue["since"], self.queue["sid"]
        self.queue = None
        self._event("bridged", "queue")
        if details.get("url"):
            doc = self.fetch(details["url"], {"QueueSid": queue_sid, "QueueTime": str(int(waited)),
                                              "DequeingCallSid": details["by"]}, details.get("method", "POST"))
            for verb in doc:
                if verb.tag in ("Say", "Play", "Pause"):
                    self.sound(verb)
                elif verb.tag != "Redirect":
                    self.record.problems.append(f"<{verb.tag}> in a <Queue url> document")
        params = {"QueueResult": "bridged", "QueueSid": queue_sid, "QueueTime": str(int(waited))}
        try:
            self.join_conference(details["room"].friendly_name, {"endConferenceOnExit": TRUE},
                                 conference=details["room"])
        except CallEnded:
            self.status = "completed"
            self.after_talk(lambda: enqueue.get("action") and self.fetch(
                urllib.parse.urljoin(enqueue_url, enqueue.get("action")), params, enqueue.get("method", "POST")))
            raise CallEnded("caller hung up after talking with a listener") from None
        if not enqueue.get("action"):
            return None
        target = urllib.parse.urljoin(enqueue_url, enqueue.get("action"))
        return self.fetch(target, params, enqueue.get("method", "POST")), target
