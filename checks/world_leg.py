"""What a leg does differently in world mode: its time passes on the world's clock, it may begin with inline TwiML
or straight in a conference (a Participants-resource call), and a REST redirect replaces what it was doing.
A mixin of ``checks.twilio_emulator._Call``."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from checks.sids import CallEnded
from checks.world import Interrupted


class InWorld:
    def _world_tick(self, seconds: float) -> None:
        world = self.em.world
        try:
            world.sleep(self, seconds)
        except Interrupted as interruption:
            if interruption.kind == "hangup":
                raise CallEnded(interruption.details.get("reason", "hung up")) from None
            raise
        finally:
            self.t = world.now - self.t0
        if self.queue is not None and self.t - self.queue["since"] >= self.outcome.queue_patience:
            raise CallEnded("caller gave up waiting in the queue")

    def live(self) -> None:
        """World mode: the leg's thread, from the instant it is answered."""
        self.t0, self.answered = self.em.world.now, True
        if getattr(self, "on_answer", None) is not None:
            self.on_answer()
        self.run()

    def first_document(self):
        url, method, twiml = self.entry
        if self.direct is not None:  # placed by the Participants resource: straight into the conference
            conference, attrs = self.direct
            self.status = "in-progress"
            try:
                self.join_conference(conference.friendly_name, attrs, via_api=True, conference=conference)
            except Interrupted as interruption:  # Calls(sid).update(url|twiml): out of the room, the new document
                return self.redirected(interruption)
            raise CallEnded("removed from the conference (a participant added through the API is hung up)")
        if twiml is not None:
            return self.parse_inline(twiml), url
        return self.fetch(url, method=method), url

    def parse_inline(self, twiml: str) -> ET.Element:
        self.record.documents.append(twiml)
        try:
            return ET.fromstring(twiml)
        except ET.ParseError as error:
            self.record.problems.append(f"invalid inline TwiML: {error}")
            raise CallEnded("application error (invalid TwiML)") from None

    def redirected(self, interruption: Interrupted):
        """``Calls(sid).update(url=…)`` or ``twiml=…``: whatever the leg was doing (a queue, a conference, a dial)
        stops, and the new document runs."""
        if interruption.kind != "redirect":
            self.record.problems.append(f"unexpected interruption of a leg: {interruption.kind}")
            raise CallEnded("emulator error")
        if self.queue is not None:
            self.em.leave_queue(self)
            self.queue = None
            self._event("queue-end", "redirected")
        self._event("redirected", interruption.details.get("url") or "inline TwiML")
        if interruption.details.get("twiml"):
            return self.parse_inline(interruption.details["twiml"]), self.em.base_url + "/"
        url = interruption.details["url"]
        return self.fetch(url, method=interruption.details.get("method") or "POST"), url

