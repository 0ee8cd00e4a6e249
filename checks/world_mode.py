"""World mode: the emulator, its REST side and its conferences on one virtual clock, with the people who answer.

``WorldMode(emulator, rest, phonebook)`` switches an emulator to world mode: calls the engine places through the
REST side ring the number's ``Party`` (who answers, after how long, what they press, when they hang up) and are
played as legs of their own; conference events reach the engine's ``statusCallback`` as Twilio sends them, on
their own, after the request that caused them."""

from __future__ import annotations

import email.utils
from dataclasses import dataclass, field

from checks.call_record import BUSY_TONE_SECONDS, FAILED_SECONDS, RING_BEFORE_ANSWER, Outcome
from checks.conference import EVENT_NAMES, Conference, Conferences, Participant
from checks.hold_music import Music
from checks.sids import new_sid
from checks.world import Interrupted, World
from checks.world_rest import WorldRest


@dataclass
class Party:
    """Whoever answers a number: "listener", "supervisor", "third party"…; ``answer`` is completed, busy,
    no-answer or failed; ``outcome`` what they press (``answers`` by prompt) and do in a conference."""
    name: str
    answer: str = "completed"
    ring: float = RING_BEFORE_ANSWER
    outcome: Outcome = field(default_factory=Outcome)
    answered_by: str = "human"  # what Twilio's answering machine detection finds, when the call asked for it


class WorldMode:
    def __init__(self, emulator, rest, phonebook: dict[str, Party] | None = None,
                 default_party: Party | None = None) -> None:
        self.em = emulator
        self.rest = rest
        self.phonebook = phonebook or {}
        self.default_party = default_party  # whoever answers a number not in the phonebook
        self.world = World(emulator.advance)
        self.conferences = Conferences(self.world, self.notify, new_sid)
        self.legs: dict = {}  # call SID -> leg, every leg placed or received
        self.problems: list[str] = []  # webhooks Twilio sends on its own that failed
        self.callbacks: list[dict[str, str]] = []  # conference status callbacks sent, in order
        emulator.world, emulator.conferences, emulator.answer_placed = self.world, self.conferences, None
        emulator.on_leg = self.legs.__setitem__
        rest.world_side = WorldRest(self)

    # --- legs ----------------------------------------------------------------------------------------------------

    def place(self, form: dict, direct: tuple[Conference, dict] | None = None):
        """A call the engine asked for (Calls or Participants resource): it rings, then its party answers or not."""
        from checks.twilio_emulator import _Call

        to, caller = str(form.get("To", "")), str(form.get("From", ""))
        party = self.phonebook.get(to) or self.default_party or Party(to)
        leg = _Call(self.em, to, caller, party.outcome, "FR", direction="outbound-api", name=party.name)
        leg.sid = leg.base["CallSid"] = new_sid("CA")
        leg.base.pop("Caller", None)
        if form.get("MachineDetection"):  # Twilio: AnsweredBy (human, machine_start, fax, unknown…) in the Url request
            leg.base["AnsweredBy"] = party.answered_by
        leg.entry = (form.get("Url"), form.get("Method") or "POST", form.get("Twiml"))
        leg.status_url = (form.get("StatusCallback") or "", form.get("StatusCallbackMethod") or "POST")
        leg.direct = direct
        leg.placed_form = dict(form)
        leg.answered = False
        leg.on_answer = lambda: self._progress(leg, "answered", "in-progress")
        self.legs[leg.sid] = leg
        self._progress(leg, "initiated", "initiated")
        self._progress(leg, "ringing", "ringing")
        self.rest.set_status(leg.sid, "ringing")
        timeout = float(form.get("Timeout") or 60)
        if party.answer == "completed" and party.ring < timeout:
            self.world.spawn(leg, self.world.now + party.ring)
        else:
            after = {"busy": BUSY_TONE_SECONDS, "failed": FAILED_SECONDS}.get(party.answer, timeout)
            status = party.answer if party.answer in ("busy", "failed") else "no-answer"
            self.world.at(self.world.now + after, lambda: self._not_answered(leg, status))
        return leg

    def _progress(self, leg, event: str, status: str) -> None:
        """Call progress events (``StatusCallbackEvent``: initiated ringing answered completed; by default only
        completed), sent on their own to the call's ``StatusCallback``."""
        wanted = leg.placed_form.get("StatusCallbackEvent") or []
        wanted = wanted.replace(",", " ").split() if isinstance(wanted, str) else wanted
        if event not in wanted or not leg.status_url[0]:
            return
        params = dict(leg.base, CallStatus=status, CallbackSource="call-progress-events",
                      Timestamp=email.utils.formatdate(self.world.now, usegmt=True))
        self.world.at(self.world.now, lambda: self._send(leg.status_url[0], params, leg.status_url[1]))

    def _not_answered(self, leg, status: str) -> None:
        if self.rest.statuses.get(leg.sid) == "canceled":
            return
        self.rest.set_status(leg.sid, status)
        leg.record.ended_by = status
        if leg.status_url[0]:
            self._send(leg.status_url[0], dict(leg.base, CallStatus=status, CallDuration="0"), leg.status_url[1])

    def hang_up(self, leg, status: str) -> None:
        """``Calls(sid).update(status=…)``: a ringing call is canceled (either status), one in progress is hung up
        by "completed" only."""
        if getattr(leg, "answered", True) and status == "canceled":
            return  # Twilio: "canceled" hangs up a queued or ringing call, and does not affect one in progress
        if not getattr(leg, "answered", True):
            leg.finished = True  # it never rings on
            self.rest.set_status(leg.sid, "canceled")
            if leg.status_url[0]:
                params = dict(leg.base, CallStatus="canceled", CallDuration="0")
                self.world.at(self.world.now, lambda: self._send(leg.status_url[0], params, leg.status_url[1]))
            return
        self.world.interrupt(leg, Interrupted("hangup", reason="hung up through the REST API"))

    def call_json(self, sid: str) -> dict:
        leg = self.legs.get(sid)
        account = self.em.account_sid
        return {"sid": sid, "account_sid": account, "status": self.rest.statuses.get(sid, "in-progress"),
                "to": leg.base.get("To") if leg else None, "from": leg.base.get("From") if leg else None,
                "direction": leg.base.get("Direction") if leg else "outbound-api", "api_version": "2010-04-01",
                "uri": f"/2010-04-01/Accounts/{account}/Calls/{sid}.json"}

    @staticmethod
    def leg_params(leg) -> dict[str, str]:
        return dict(leg.base, CallStatus="in-progress") if leg is not None else {}

    def note(self, leg, music: Music) -> None:
        if leg is not None:
            leg.record.problems.extend(music.problems)
            leg.record.documents.extend(music.documents)

    # --- conference status callbacks -----------------------------------------------------------------------------

    def notify(self, conference: Conference, event: str, participant: Participant | None, **extra: str) -> None:
        if conference.callback is None:
            return
        url, method, wanted = conference.callback
        if not any(event in EVENT_NAMES.get(name, ()) for name in wanted):
            return
        conference.sequence += 1
        params = {"AccountSid": self.em.account_sid, "ConferenceSid": conference.sid,
                  "FriendlyName": conference.friendly_name, "StatusCallbackEvent": event,
                  "SequenceNumber": str(conference.sequence),
                  "Timestamp": email.utils.formatdate(self.world.now, usegmt=True)}
        if participant is not None and event != "conference-end":
            params.update(CallSid=participant.call_sid, Muted=str(participant.muted).lower(),
                          Hold=str(participant.hold).lower(), Coaching=str(participant.coaching).lower(),
                          EndConferenceOnExit=str(participant.end_on_exit).lower(),
                          StartConferenceOnEnter=str(participant.start_on_enter).lower())
            if participant.label:
                params["ParticipantLabel"] = participant.label
            if participant.call_sid_to_coach:
                params["CallSidToCoach"] = participant.call_sid_to_coach
        if event == "conference-end":
            params["ReasonConferenceEnded"] = conference.reason_ended
            if participant is not None:
                params["CallSidEndingConference"] = participant.call_sid
        params.update(extra)
        self.callbacks.append(params)
        self.world.at(self.world.now, lambda: self._send(url, params, method))

    def _send(self, url: str, params: dict[str, str], method: str) -> None:
        try:
            status, _ = self.em.request(url, params, method)
        except OSError as error:
            self.problems.append(f"{params.get('StatusCallbackEvent', 'status callback')} failed: {error}")
            return
        if status >= 400:
            self.problems.append(f"HTTP {status} from {url} ({params.get('StatusCallbackEvent', 'call status')})")
