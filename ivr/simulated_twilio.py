"""Twilio's REST API answered in process for the terminal simulator: calls, conferences and their participants are
kept in memory and every request is written down, so a simulated conversation can play what each party hears.

Nothing leaves the process (no socket is opened): it is the twilio library's HTTP client, replaced."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.rest import Client


@dataclass
class Request:
    method: str
    path: str  # after /2010-04-01/Accounts/AC…, without .json
    params: dict[str, str]


@dataclass
class SimulatedTwilio(HttpClient):
    """The REST resources the engine uses during a call: Calls, Conferences, Participants."""

    account_sid: str
    requests: list[Request] = field(default_factory=list)
    calls: dict[str, dict] = field(default_factory=dict)
    conferences: dict[str, dict] = field(default_factory=dict)  # sid → {"name", "status", "participants": {sid: {}}}
    seen: int = 0  # requests already looked at by the conversation's driver

    def client(self) -> Client:
        return Client(self.account_sid, "simulated", http_client=self)

    def request(self, method, uri, params=None, data=None, headers=None, auth=None, timeout=None,
                allow_redirects=False) -> Response:
        path = urlsplit(uri).path.split(f"/Accounts/{self.account_sid}", 1)[-1].removesuffix(".json")
        values = {str(k): str(v) for k, v in {**(params or {}), **(data or {})}.items()}
        self.requests.append(Request(method, path, values))
        status, payload = self._route(method, [p for p in path.split("/") if p], values)
        return Response(status, json.dumps(payload) if payload is not None else "")

    def new(self) -> list[Request]:
        """The requests made since the last call of this."""
        fresh = self.requests[self.seen:]
        self.seen = len(self.requests)
        return fresh

    # --- resources ----------------------------------------------------------------------------------------------

    def _route(self, method: str, parts: list[str], values: dict[str, str]) -> tuple[int, dict | None]:
        if parts[:1] == ["Calls"]:
            return self._call(method, parts[1] if len(parts) > 1 else None, values)
        if parts[:1] == ["Conferences"]:
            return self._conference(method, parts[1:], values)
        if parts[:1] == ["Queues"]:
            return 204, None  # the caller's own queue, deleted once empty
        return 404, {"code": 20404, "message": "not simulated", "status": 404}

    def _call(self, method: str, sid: str | None, values: dict[str, str]) -> tuple[int, dict]:
        if sid is None:  # a new call (a listener's leg)
            sid = "CA" + uuid.uuid4().hex
            self.calls[sid] = {"sid": sid, "to": values.get("To"), "from": values.get("From"), "status": "queued",
                               "params": values}
            return 201, self._call_json(self.calls[sid])
        call = self.calls.setdefault(sid, {"sid": sid, "to": None, "from": None, "status": "in-progress", "params": {}})
        if method == "POST" and values.get("Status"):
            call["status"] = values["Status"]
        return 200, self._call_json(call)

    def _call_json(self, call: dict) -> dict:
        return {"sid": call["sid"], "account_sid": self.account_sid, "to": call["to"], "from": call["from"],
                "status": call["status"], "direction": "outbound-api"}

    def conference_named(self, name: str) -> dict:
        for sid, conference in self.conferences.items():
            if name in (sid, conference["name"]) and conference["status"] != "completed":
                return conference
        sid = "CF" + uuid.uuid4().hex
        self.conferences[sid] = {"sid": sid, "name": name, "status": "in-progress", "participants": {}}
        return self.conferences[sid]

    def _conference(self, method: str, parts: list[str], values: dict[str, str]) -> tuple[int, dict | None]:
        if not parts:  # list by friendly name
            found = [self._conference_json(c) for c in self.conferences.values()
                     if c["name"] == values.get("FriendlyName") and c["status"] != "completed"]
            return 200, {"conferences": found, "next_page_uri": None, "page": 0, "page_size": 50}
        conference = self.conference_named(parts[0])
        if len(parts) == 1:
            if values.get("Status") == "completed":
                conference["status"] = "completed"
            return 200, self._conference_json(conference)
        if len(parts) == 2:  # a participant dialled into it
            sid = "CA" + uuid.uuid4().hex
            self.calls[sid] = {"sid": sid, "to": values.get("To"), "from": values.get("From"), "status": "queued",
                               "params": values}
            conference["participants"][sid] = dict(values)
            return 201, self._participant_json(conference, sid)
        sid = parts[2]
        if method == "DELETE":
            conference["participants"].pop(sid, None)
            return 204, None
        conference["participants"].setdefault(sid, {}).update(values)
        return 200, self._participant_json(conference, sid)

    def _conference_json(self, conference: dict) -> dict:
        return {"sid": conference["sid"], "account_sid": self.account_sid, "friendly_name": conference["name"],
                "status": conference["status"]}

    def _participant_json(self, conference: dict, sid: str) -> dict:
        values = conference["participants"].get(sid, {})
        return {"account_sid": self.account_sid, "call_sid": sid, "conference_sid": conference["sid"],
                "label": values.get("Label"), "hold": values.get("Hold") == "true", "muted": values.get("Muted") == "true",
                "status": "connected"}
