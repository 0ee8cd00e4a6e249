"""The REST resources that change live calls, served in world mode: Calls (create, fetch, update url / twiml /
status), Conferences (list by FriendlyName and Status, fetch, end, announce), their Participants (list, fetch by
call SID or label, create with from / to / label / muted / coaching / callSidToCoach / earlyMedia / timeout /
statusCallback, update hold / holdUrl / muted / coaching / announceUrl, delete) and Queue Members (fetch, dequeue
with url). Written from Twilio's API reference (2010-04-01), answering the JSON fields those resources document."""

from __future__ import annotations

import re

from checks.conference import Conference, Participant
from checks.hold_music import Music, default_music, fetch_music, keep_playing
from checks.world import Interrupted

NOT_FOUND = (404, {"code": 20404, "message": "The requested resource was not found", "status": 404})
CONFERENCE = re.compile(r"Conferences/(?P<conference>[^/]+?)(?:/Participants(?:/(?P<participant>[^/]+?))?)?\.json")
MEMBER = re.compile(r"Queues/(?P<queue>QU\w+)/Members(?:/(?P<member>\w+))?\.json")
PARTICIPANT_ATTRIBUTES = {"Muted": "muted", "Coaching": "coaching", "CallSidToCoach": "callSidToCoach",
                          "StartConferenceOnEnter": "startConferenceOnEnter", "Label": "label",
                          "EndConferenceOnExit": "endConferenceOnExit", "WaitUrl": "waitUrl", "WaitMethod": "waitMethod",
                          "ConferenceStatusCallback": "statusCallback",
                          "ConferenceStatusCallbackMethod": "statusCallbackMethod", "Beep": "beep"}


def _true(value: str | None) -> bool | None:
    return None if value is None else value.lower() == "true"


class WorldRest:
    """Given to ``checks.twilio_rest.TwilioRest``: answers the requests above, or None for the others."""

    def __init__(self, mode) -> None:
        self.mode = mode  # checks.world_mode.WorldMode: the world, the conferences, the legs by SID

    def handle(self, method: str, rest: str, form: dict[str, str | list[str]]) -> tuple[int, dict | None] | None:
        if method == "POST" and rest == "Calls.json":
            leg = self.mode.place(form)
            return 201, self.mode.call_json(leg.sid)
        call = re.fullmatch(r"Calls/(CA\w+)\.json", rest)
        if call:
            return self._call(method, call[1], form)
        match = CONFERENCE.fullmatch(rest)
        if match:
            return self._conference(method, match["conference"], match["participant"], rest, form)
        if rest == "Conferences.json":
            return 200, self._conference_list(form)
        match = MEMBER.fullmatch(rest)
        if match:
            return self._member(method, match["queue"], match["member"], form)
        return None

    # --- calls ------------------------------------------------------------------------------------------------------

    def _call(self, method: str, sid: str, form: dict) -> tuple[int, dict | None]:
        leg = self.mode.legs.get(sid)
        if leg is None:
            return NOT_FOUND
        if method == "POST" and (form.get("Url") or form.get("Twiml")):
            self.mode.world.interrupt(leg, Interrupted("redirect", url=form.get("Url"), method=form.get("Method"),
                                                       twiml=form.get("Twiml")))
        elif method == "POST" and form.get("Status") in ("completed", "canceled"):
            self.mode.hang_up(leg, form["Status"])
        return 200, self.mode.call_json(sid)

    # --- conferences -------------------------------------------------------------------------------------------------

    def _find(self, key: str) -> Conference | None:
        rooms = self.mode.conferences
        found = rooms.by_sid(key) if key.startswith("CF") else rooms.by_name(key)
        return None if found is None or found.hidden else found

    def _conference(self, method: str, key: str, participant: str | None, rest: str, form: dict):
        conference = self._find(key)
        if conference is None and rest.endswith("/Participants.json") and method == "POST" \
                and not key.startswith("CF"):
            conference = self.mode.conferences.by_name(key, create=True)  # by its friendly name, as Twilio allows
        if conference is None:
            return NOT_FOUND
        if rest.endswith("/Participants.json"):
            return self._participants(method, conference, rest, form)
        if participant is None:
            return self._conference_itself(method, conference, form)
        person = conference.participants.get(participant) or next(
            (p for p in conference.participants.values() if p.label and p.label == participant), None)
        if person is None:
            return NOT_FOUND
        if method == "DELETE":
            self.mode.world.interrupt(person.leg, Interrupted("conference-left", reason="participant_kicked"))
            return 204, None
        if method == "POST":
            self._update_participant(conference, person, form)
        return 200, self._participant_json(conference, person)

    def _participants(self, method: str, conference: Conference, rest: str, form: dict):
        if method == "POST":
            attrs = {name: form.get(key) for key, name in PARTICIPANT_ATTRIBUTES.items() if form.get(key)}
            events = form.get("ConferenceStatusCallbackEvent")
            attrs["statusCallbackEvent"] = " ".join(events) if isinstance(events, list) else (events or "")
            leg = self.mode.place(form, direct=(conference, attrs))
            return 201, self._participant_json(conference, None, leg.sid, form.get("Label") or "")
        found = [p for p in conference.participants.values()
                 if all(str(getattr(p, field)).lower() == form[key].lower()
                        for key, field in (("Hold", "hold"), ("Muted", "muted"), ("Coaching", "coaching"))
                        if key in form)]
        return 200, {"participants": [self._participant_json(conference, p) for p in found],
                     "page": 0, "page_size": 50, "next_page_uri": None, "previous_page_uri": None,
                     "first_page_uri": None, "uri": f"/{rest}", "start": 0, "end": len(found)}

    def _conference_itself(self, method: str, conference: Conference, form: dict):
        if method == "POST" and form.get("Status") == "completed" and conference.status != "completed":
            self.mode.conferences.end(conference, "conference-ended-via-api")
        if method == "POST" and form.get("AnnounceUrl"):
            self._announce(conference, "", form["AnnounceUrl"], form.get("AnnounceMethod") or "POST")
        return 200, self._conference_json(conference)

    def _update_participant(self, conference: Conference, person: Participant, form: dict) -> None:
        changes = {}
        for key, field in (("Hold", "hold"), ("Muted", "muted"), ("Coaching", "coaching"),
                           ("EndConferenceOnExit", "end_on_exit")):
            if _true(form.get(key)) is not None:
                changes[field] = _true(form.get(key))
        if form.get("CallSidToCoach"):
            changes["call_sid_to_coach"] = form["CallSidToCoach"]
        if changes.get("hold") and not person.hold:
            music = Music() if form.get("HoldUrl") else default_music()
            changes["hold_music"] = music
            if form.get("HoldUrl"):  # fetched as Twilio does, on its own, right after answering this request
                self.mode.world.at(self.mode.world.now, lambda: self._fill(music, person, form["HoldUrl"],
                                                                           form.get("HoldMethod") or "GET"))
        self.mode.conferences.update(conference, person, **changes)
        if form.get("AnnounceUrl"):
            self._announce(conference, person.call_sid, form["AnnounceUrl"], form.get("AnnounceMethod") or "POST")

    def _fill(self, music: Music, person: Participant, url: str, method: str) -> None:
        params = self.mode.leg_params(person.leg)
        fetched = fetch_music(self.mode.em.auth_token, url, method, params)
        music.pieces.extend(fetched.pieces)
        music.loop_from, music.pending = fetched.loop_from, fetched.pending
        self.mode.note(person.leg, fetched)
        if person.leg is not None:  # what the next <Redirect>s serve lands on the leg's record too
            music.documents, music.problems = person.leg.record.documents, person.leg.record.problems
        keep_playing(self.mode.world, self.mode.em.auth_token, music, params, self.mode.world.now)

    def _announce(self, conference: Conference, call_sid: str, url: str, method: str) -> None:
        music, at = Music(), self.mode.world.now
        conference.announcements.append((at, call_sid, music))
        leg = conference.participants[call_sid].leg if call_sid in conference.participants else None
        def fetch() -> None:
            fetched = fetch_music(self.mode.em.auth_token, url, method, self.mode.leg_params(leg))
            music.pieces.extend(fetched.pieces)  # an announcement plays once: a <Redirect> in it is not followed
            self.mode.notify(conference, "announcement-end", None)

        self.mode.world.at(at, fetch)

    def _conference_list(self, form: dict) -> dict:
        rooms = [c for c in self.mode.conferences.all if not c.hidden
                 and (not form.get("FriendlyName") or c.friendly_name == form["FriendlyName"])
                 and (not form.get("Status") or c.status == form["Status"])]
        return {"conferences": [self._conference_json(c) for c in rooms], "page": 0, "page_size": 50,
                "next_page_uri": None, "previous_page_uri": None, "first_page_uri": None, "uri": "/Conferences.json",
                "start": 0, "end": len(rooms)}

    def _conference_json(self, conference: Conference) -> dict:
        account = self.mode.em.account_sid
        return {"sid": conference.sid, "account_sid": account, "friendly_name": conference.friendly_name,
                "status": conference.status, "region": "ie1", "api_version": "2010-04-01",
                "reason_conference_ended": conference.reason_ended or None,
                "call_sid_ending_conference": conference.ended_by or None,
                "uri": f"/2010-04-01/Accounts/{account}/Conferences/{conference.sid}.json",
                "subresource_uris": {"participants": f"/2010-04-01/Accounts/{account}/Conferences/"
                                                     f"{conference.sid}/Participants.json"}}

    def _participant_json(self, conference: Conference, person: Participant | None, call_sid: str = "",
                          label: str = "") -> dict:
        account = self.mode.em.account_sid
        sid = person.call_sid if person else call_sid
        return {"account_sid": account, "call_sid": sid, "conference_sid": conference.sid,
                "label": person.label if person else label or None,
                "muted": bool(person and person.muted), "hold": bool(person and person.hold),
                "coaching": bool(person and person.coaching),
                "call_sid_to_coach": (person.call_sid_to_coach or None) if person else None,
                "end_conference_on_exit": bool(person and person.end_on_exit),
                "start_conference_on_enter": bool(person is None or person.start_on_enter),
                "status": "connected" if person else "queued",
                "uri": f"/2010-04-01/Accounts/{account}/Conferences/{conference.sid}/Participants/{sid}.json"}

    # --- queue members -----------------------------------------------------------------------------------------------

    def _member(self, method: str, queue_sid: str, member: str | None, form: dict):
        waiting = [leg for legs in self.mode.em.queues.values() for leg in legs
                   if leg.queue is not None and leg.queue["sid"] == queue_sid]
        if member is None:
            return 200, {"queue_members": [self._member_json(queue_sid, leg, i + 1) for i, leg in enumerate(waiting)],
                         "page": 0, "page_size": 50, "next_page_uri": None, "uri": f"/Queues/{queue_sid}/Members.json"}
        leg = waiting[0] if member == "Front" and waiting else next((w for w in waiting if w.sid == member), None)
        if leg is None:
            return NOT_FOUND
        if method == "POST" and form.get("Url"):
            self.mode.world.interrupt(leg, Interrupted("redirect", url=form["Url"], method=form.get("Method")))
        return 200, self._member_json(queue_sid, leg, waiting.index(leg) + 1)

    def _member_json(self, queue_sid: str, leg, position: int) -> dict:
        return {"call_sid": leg.sid, "queue_sid": queue_sid, "position": position,
                "wait_time": int(leg.t - leg.queue["since"]), "date_enqueued": None,
                "uri": f"/2010-04-01/Accounts/{self.mode.em.account_sid}/Queues/{queue_sid}/Members/{leg.sid}.json"}

