"""Conferences and Participants for the test Twilio server, to Twilio's documented behaviour, with who hears whom.

Twilio's rules, as its Conference and Participant documentation states them:
- a participant joining with startConferenceOnEnter (default true) starts the conference; before that everyone
  present hears the waitUrl music and nobody hears anyone;
- a muted participant is heard by nobody; a participant on hold hears the holdUrl music and is heard by nobody
  (and hears nobody); a coaching participant is heard only by the participant whose call it coaches;
- a participant leaving with endConferenceOnExit ends the conference: everyone else's <Dial> ends;
- a call redirected by the REST API (``calls(sid).update(url=…)``) or hung up leaves its conference;
- the conference's status callback (the first participant's ``statusCallback``) gets ``conference-start``,
  ``conference-end``, ``participant-join``/``-leave``/``-mute``/``-unmute``/``-hold``/``-unhold``/``-modify`` as
  its ``statusCallbackEvent`` asked. Events are kept in ``events`` for the test to deliver, signed, in any order.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

WAIT_MUSIC = "wait-music"
HOLD_MUSIC = "hold-music"
EVENT_WORDS = {"conference-start": "start", "conference-end": "end", "participant-join": "join",
               "participant-leave": "leave", "participant-mute": "mute", "participant-unmute": "mute",
               "participant-hold": "hold", "participant-unhold": "hold", "participant-modify": "modify"}


def _flag(value, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return str(value).lower() == "true"


@dataclass
class Participant:
    call_sid: str
    label: str | None = None
    muted: bool = False
    hold: bool = False
    hold_url: str | None = None
    coaching: bool = False
    call_sid_to_coach: str | None = None
    start_on_enter: bool = True
    end_on_exit: bool = False
    status: str = "connected"  # queued / ringing while a REST-created participant's phone rings

    def json(self, account_sid: str, conference_sid: str) -> dict:
        return {"account_sid": account_sid, "call_sid": self.call_sid, "label": self.label,
                "conference_sid": conference_sid, "muted": self.muted, "hold": self.hold,
                "coaching": self.coaching, "call_sid_to_coach": self.call_sid_to_coach, "status": self.status,
                "start_conference_on_enter": self.start_on_enter, "end_conference_on_exit": self.end_on_exit,
                "date_created": None, "date_updated": None,
                "uri": f"/2010-04-01/Accounts/{account_sid}/Conferences/{conference_sid}/Participants/"
                       f"{self.call_sid}.json"}


@dataclass
class Conference:
    sid: str
    friendly_name: str
    status: str = "init"  # init → in-progress → completed
    status_callback: str | None = None
    events: str = ""
    participants: dict[str, Participant] = field(default_factory=dict)
    ended_by: str | None = None

    def json(self, account_sid: str) -> dict:
        return {"sid": self.sid, "account_sid": account_sid, "friendly_name": self.friendly_name,
                "status": self.status, "call_sid_ending_conference": self.ended_by, "region": "ie1",
                "date_created": None, "date_updated": None,
                "uri": f"/2010-04-01/Accounts/{account_sid}/Conferences/{self.sid}.json", "subresource_uris": {}}


class Conferences:
    """The conference side of the test server (mixed into TwilioTestServer)."""

    account_sid: str
    calls: dict
    inbound: dict

    def _conference_state(self) -> None:
        if not hasattr(self, "conferences"):
            self.conferences: dict[str, Conference] = {}
            self.events: list[tuple[str, dict]] = []  # (statusCallback URL, params), for the test to deliver
            self.dial_ended: list[str] = []  # call sids whose <Dial><Conference> ended (their action is due)

    # --- what a leg's TwiML does --------------------------------------------------------------------------

    def join(self, call_sid: str, dial) -> Participant:
        """A leg plays ``<Dial><Conference>`` (an ElementTree element of the <Dial>): it joins that conference."""
        self._conference_state()
        noun = dial.find("Conference")
        self.leave_conference(call_sid, "redirected")
        conference = self.conference_named((noun.text or "").strip(), create=True)
        if conference.status_callback is None and noun.get("statusCallback"):
            conference.status_callback = noun.get("statusCallback")
            conference.events = noun.get("statusCallbackEvent", "")
        participant = Participant(call_sid, label=noun.get("participantLabel"), muted=_flag(noun.get("muted")),
                                  start_on_enter=_flag(noun.get("startConferenceOnEnter"), True),
                                  end_on_exit=_flag(noun.get("endConferenceOnExit")))
        self._enter(conference, participant)
        return participant

    def answer_participant(self, call_sid: str) -> Participant:
        """The phone of a participant added through the REST API is answered: it joins its conference."""
        conference, participant = self.find_participant(call_sid)
        participant.status = "connected"
        self.calls[call_sid]["status"] = "in-progress"
        self._enter(conference, participant, added=False)
        return participant

    def hang_up(self, call_sid: str) -> None:
        """The leg hangs up (a caller, a listener): Twilio knows it completed, and it leaves its conference."""
        self._conference_state()
        call = self.calls.get(call_sid) or self.inbound.get(call_sid)
        if call is None:
            call = self.inbound[call_sid] = {"sid": call_sid, "account_sid": self.account_sid, "direction": "inbound",
                                             "params": {}}
        call["status"] = "completed"
        self.leave_conference(call_sid, "hangup")

    def _enter(self, conference: Conference, participant: Participant, added: bool = True) -> None:
        conference.participants[participant.call_sid] = participant
        if participant.status != "connected":
            return
        self._event(conference, "participant-join", participant)
        if conference.status == "init" and participant.start_on_enter:
            conference.status = "in-progress"
            self._event(conference, "conference-start")

    def leave_conference(self, call_sid: str, reason: str) -> None:
        self._conference_state()
        for conference in self.conferences.values():
            participant = conference.participants.pop(call_sid, None)
            if participant is None or conference.status == "completed":
                continue
            self._event(conference, "participant-leave", participant, ReasonParticipantLeft=reason)
            if participant.end_on_exit and conference.status == "in-progress":
                self.end_conference(conference, call_sid)
            elif not conference.participants:
                conference.status = "completed"
                self._event(conference, "conference-end", ReasonConferenceEnded="last-participant-left")

    def end_conference(self, conference: Conference, ended_by: str | None = None) -> None:
        conference.status, conference.ended_by = "completed", ended_by
        for sid, participant in list(conference.participants.items()):
            del conference.participants[sid]
            self._event(conference, "participant-leave", participant, ReasonParticipantLeft="conference-ended")
            self.dial_ended.append(sid)
        self._event(conference, "conference-end", CallSidEndingConference=ended_by or "",
                    ReasonConferenceEnded="participant-with-end-conference-on-exit-left" if ended_by
                    else "conference-ended-via-api")

    def _event(self, conference: Conference, name: str, participant: Participant | None = None, **extra) -> None:
        if not conference.status_callback or EVENT_WORDS[name] not in conference.events.split():
            return
        params = {"AccountSid": self.account_sid, "ConferenceSid": conference.sid,
                  "FriendlyName": conference.friendly_name, "StatusCallbackEvent": name,
                  "SequenceNumber": str(len(self.events) + 1), **extra}
        if participant is not None:
            params.update(CallSid=participant.call_sid, Muted=str(participant.muted).lower(),
                          Hold=str(participant.hold).lower(), Coaching=str(participant.coaching).lower(),
                          EndConferenceOnExit=str(participant.end_on_exit).lower(),
                          StartConferenceOnEnter=str(participant.start_on_enter).lower())
            if participant.label:
                params["ParticipantLabel"] = participant.label
            if participant.call_sid_to_coach:
                params["CallSidToCoach"] = participant.call_sid_to_coach
        self.events.append((conference.status_callback, params))

    # --- who hears whom -----------------------------------------------------------------------------------

    def conference_of(self, call_sid: str) -> Conference | None:
        self._conference_state()
        for conference in self.conferences.values():
            if call_sid in conference.participants and conference.status != "completed":
                return conference
        return None

    def hears(self, call_sid: str) -> set[str]:
        """What the leg ``call_sid`` hears: the call sids of the participants it hears, or a music marker."""
        conference = self.conference_of(call_sid)
        if conference is None:
            return set()
        me = conference.participants[call_sid]
        if me.status != "connected":
            return set()
        if me.hold:
            return {HOLD_MUSIC}
        if conference.status == "init":
            return {WAIT_MUSIC}
        return {other.call_sid for other in conference.participants.values()
                if other.call_sid != call_sid and other.status == "connected" and not other.hold and not other.muted
                and (not other.coaching or other.call_sid_to_coach == call_sid)}

    def heard_by(self, call_sid: str) -> set[str]:
        conference = self.conference_of(call_sid)
        if conference is None:
            return set()
        return {sid for sid in conference.participants if sid != call_sid and call_sid in self.hears(sid)}

    # --- the REST resources -------------------------------------------------------------------------------

    def conference_named(self, name_or_sid: str, create: bool = False) -> Conference | None:
        self._conference_state()
        if name_or_sid in self.conferences:
            return self.conferences[name_or_sid]
        for conference in self.conferences.values():
            if conference.friendly_name == name_or_sid and conference.status != "completed":
                return conference
        if not create:
            return None
        conference = Conference("CF" + uuid.uuid4().hex, name_or_sid)
        self.conferences[conference.sid] = conference
        return conference

    def find_participant(self, call_sid: str) -> tuple[Conference, Participant]:
        self._conference_state()
        for conference in self.conferences.values():
            if call_sid in conference.participants:
                return conference, conference.participants[call_sid]
        raise KeyError(call_sid)

    def route_conferences(self, method: str, rest: str, params: dict[str, str]) -> tuple[int, dict | None]:
        """``rest`` is the path after /Accounts/AC…/Conferences (no .json)."""
        self._conference_state()
        parts = [p for p in rest.split("/") if p]
        if not parts:
            found = [c.json(self.account_sid) for c in self.conferences.values()
                     if c.friendly_name == params.get("FriendlyName", c.friendly_name)
                     and c.status == params.get("Status", c.status)]
            return 200, _page("conferences", found)
        conference = self.conference_named(parts[0], create=len(parts) == 2 and method == "POST")
        if conference is None:
            return 404, {"code": 20404, "message": "conference not found", "status": 404}
        if len(parts) == 1:
            if method == "POST" and params.get("Status") == "completed" and conference.status != "completed":
                self.end_conference(conference)
            return 200, conference.json(self.account_sid)
        if len(parts) == 2:
            if method == "POST":
                return self._add_participant(conference, params)
            return 200, _page("participants", [p.json(self.account_sid, conference.sid)
                                               for p in conference.participants.values()])
        return self._one_participant(conference, parts[2], method, params)

    def _add_participant(self, conference: Conference, params: dict[str, str]) -> tuple[int, dict]:
        if not params.get("From") or not params.get("To"):
            return 400, {"code": 21201, "message": "From and To are required", "status": 400}
        if _flag(params.get("Coaching")) and params.get("CallSidToCoach") not in conference.participants:
            return 400, {"code": 16027, "message": "participant to be coached is not in the conference", "status": 400}
        sid = "CA" + uuid.uuid4().hex
        self.calls[sid] = {"sid": sid, "account_sid": self.account_sid, "to": params["To"], "from": params["From"],
                           "status": "queued", "direction": "outbound-api", "params": params}
        if conference.status_callback is None and params.get("ConferenceStatusCallback"):
            conference.status_callback = params["ConferenceStatusCallback"]
            conference.events = params.get("ConferenceStatusCallbackEvent", "").replace(",", " ")
        participant = Participant(sid, label=params.get("Label"), muted=_flag(params.get("Muted")),
                                  coaching=_flag(params.get("Coaching")), call_sid_to_coach=params.get("CallSidToCoach"),
                                  start_on_enter=_flag(params.get("StartConferenceOnEnter"), True),
                                  end_on_exit=_flag(params.get("EndConferenceOnExit")), status="queued")
        conference.participants[sid] = participant
        return 201, participant.json(self.account_sid, conference.sid)

    def _one_participant(self, conference: Conference, key: str, method: str, params: dict[str, str]):
        participant = conference.participants.get(key) or next(
            (p for p in conference.participants.values() if p.label == key), None)
        if participant is None:
            return 404, {"code": 20404, "message": "participant not found", "status": 404}
        if method == "DELETE":
            self.leave_conference(participant.call_sid, "participant-removed")
            self.dial_ended.append(participant.call_sid)
            return 204, None
        if method == "POST":
            self._update_participant(conference, participant, params)
        return 200, participant.json(self.account_sid, conference.sid)

    def _update_participant(self, conference: Conference, participant: Participant, params: dict[str, str]) -> None:
        if "Muted" in params and _flag(params["Muted"]) != participant.muted:
            participant.muted = _flag(params["Muted"])
            self._event(conference, "participant-mute" if participant.muted else "participant-unmute", participant)
        if "HoldUrl" in params:
            participant.hold_url = params["HoldUrl"]
        if "Hold" in params and _flag(params["Hold"]) != participant.hold:
            participant.hold = _flag(params["Hold"])
            self._event(conference, "participant-hold" if participant.hold else "participant-unhold", participant)
        if "Coaching" in params or "CallSidToCoach" in params:
            participant.coaching = _flag(params.get("Coaching"), participant.coaching)
            participant.call_sid_to_coach = params.get("CallSidToCoach", participant.call_sid_to_coach)
            if not participant.coaching:
                participant.call_sid_to_coach = None
            self._event(conference, "participant-modify", participant)


def _page(key: str, items: list[dict]) -> dict:
    return {key: items, "first_page_uri": "", "next_page_uri": None, "previous_page_uri": None, "page": 0,
            "page_size": 50, "start": 0, "end": len(items), "uri": ""}
