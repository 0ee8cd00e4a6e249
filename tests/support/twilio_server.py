"""A small Twilio-compatible REST server on 127.0.0.1 for tests: records what the engine asks of Twilio."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from tests.support.twilio_conference import Conferences


@dataclass
class RestRequest:
    method: str
    path: str
    params: dict[str, str]
    account_sid: str | None


@dataclass
class TwilioTestServer(Conferences):
    account_sid: str
    auth_token: str
    requests: list[RestRequest] = field(default_factory=list)
    calls: dict[str, dict] = field(default_factory=dict)  # the calls the engine placed (and add_inbound_call's)
    inbound: dict[str, dict] = field(default_factory=dict)  # callers' legs the engine redirected, as Twilio knows them
    queues: dict[str, dict] = field(default_factory=dict)  # made by <Enqueue> at Twilio: see add_queue
    call_fetch_error: int | None = None  # set to 500 for Twilio failing to say how a call stands
    # Placing a call fails: (HTTP status, Twilio error code), for every number ("*") or for one "To" number.
    call_create_errors: dict[str, tuple[int, int]] = field(default_factory=dict)
    down: bool = False  # set to answer every request 503, as Twilio's API failing (requests are still recorded)

    def start(self) -> "TwilioTestServer":
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_GET(self):
                self._handle("GET")

            def do_POST(self):
                self._handle("POST")

            def do_DELETE(self):
                self._handle("DELETE")

            def _handle(self, method: str):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                params = {k: v[-1] for k, v in parse_qs(body).items()}
                account = _basic_auth_user(self.headers.get("Authorization"), server.auth_token)
                server.requests.append(RestRequest(method, self.path, params, account))
                if account != server.account_sid:
                    return self._reply(401, {"code": 20003, "message": "Authenticate", "status": 401})
                if server.down:
                    return self._reply(503, {"code": 20503, "message": "Service unavailable", "status": 503})
                query = {k: v[-1] for k, v in parse_qs(self.path.partition("?")[2]).items()}
                status, payload = server.route(method, self.path.split("?")[0], {**query, **params})
                self._reply(status, payload)

            def _reply(self, status: int, payload: dict | None):
                data = json.dumps(payload).encode() if payload is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def add_queue(self, friendly_name: str, current_size: int = 0) -> str:
        """A queue as Twilio creates one when <Enqueue> names it; returns its QueueSid."""
        sid = "QU" + uuid.uuid4().hex
        self.queues[sid] = {"sid": sid, "friendly_name": friendly_name, "current_size": current_size}
        return sid

    def add_inbound_call(self, sid: str, status: str = "in-progress", from_number: str | None = None) -> None:
        """A call someone placed to the line (a caller's leg), as Twilio knows it: GET answers its status (and its
        ``from``, the caller's number, when given)."""
        self.calls[sid] = {"sid": sid, "account_sid": self.account_sid, "status": status, "direction": "inbound",
                           "params": {}}
        if from_number is not None:
            self.calls[sid]["from"] = from_number

    # The REST resources under the account, each with the method that answers it (route_conferences is in
    # tests/support/twilio_conference.py); each takes the rest of the path, without .json, and answers None for
    # a path it does not serve.
    RESOURCES = {"Calls": "route_calls", "Queues": "route_queues", "Conferences": "route_conferences"}

    def route(self, method: str, path: str, params: dict[str, str]) -> tuple[int, dict | None]:
        account = f"/2010-04-01/Accounts/{self.account_sid}/"
        if path.startswith(account) and path.endswith(".json"):
            inside = path[len(account) : -5]
            resource = inside.split("/", 1)[0]
            handler = self.RESOURCES.get(resource)
            answer = getattr(self, handler)(method, inside[len(resource) :], params) if handler else None
            if answer is not None:
                return answer
        return 404, {"code": 20404, "message": f"no route {method} {path}", "status": 404}

    def route_queues(self, method: str, rest: str, params: dict[str, str]) -> tuple[int, dict | None] | None:
        """``rest``: /QU… (a queue <Enqueue> made: see add_queue). GET fetches it, DELETE removes it when empty."""
        if not rest.startswith("/"):
            return None
        queue = self.queues.get(rest[1:])
        if queue is None:
            return 404, {"code": 20404, "message": "not found", "status": 404}
        if method == "DELETE":
            if queue["current_size"]:
                return 400, {"code": 20001, "message": "Queue is not empty", "status": 400}
            del self.queues[queue["sid"]]
            return 204, None
        return 200, queue

    def route_calls(self, method: str, rest: str, params: dict[str, str]) -> tuple[int, dict | None] | None:
        """``rest``: empty to place a call (POST), /CA… to fetch (GET) or change (POST: redirect, end) one."""
        if method == "POST" and rest == "":
            return self._place_call(params)
        if not rest.startswith("/"):
            return None
        sid = rest[1:]
        if method == "GET" and self.call_fetch_error:
            error = self.call_fetch_error
            return error, {"code": 20500, "message": "internal error", "status": error}
        call = self._known_call(sid, method, params)
        if call is None:
            return 404, {"code": 20404, "message": "not found", "status": 404}
        if call["status"] in ("completed", "canceled") and method == "POST" and params.get("Url"):
            return 400, {"code": 21220, "message": "Call is not in-progress. Cannot redirect.", "status": 400}
        if method == "POST" and params.get("Status") == "canceled" and call["status"] not in ("queued", "ringing"):
            # Twilio: "canceled" hangs up a queued or ringing call and does not affect one in progress (no error).
            return 200, {k: v for k, v in call.items() if k != "params"}
        if method == "POST":
            self._change_call(sid, call, params)
        return 200, {k: v for k, v in call.items() if k != "params"}

    def _place_call(self, params: dict[str, str]) -> tuple[int, dict]:
        if not params.get("To") or not params.get("From") or not (params.get("Url") or params.get("Twiml")):
            return 400, {"code": 21201, "message": "To, From and Url or Twiml are required", "status": 400}
        refused = self.call_create_errors.get(params["To"]) or self.call_create_errors.get("*")
        if refused is not None:
            return refused[0], {"code": refused[1], "message": "refused by the test", "status": refused[0]}
        sid = "CA" + uuid.uuid4().hex
        call = {"sid": sid, "account_sid": self.account_sid, "to": params["To"], "from": params["From"],
                "status": "queued", "direction": "outbound-api",
                "uri": f"/2010-04-01/Accounts/{self.account_sid}/Calls/{sid}.json"}
        self.calls[sid] = {**call, "params": params}
        return 201, call

    def _known_call(self, sid: str, method: str, params: dict[str, str]) -> dict | None:
        call = self.calls.get(sid) or self.inbound.get(sid)
        if call is None and method == "POST" and params.get("Url") and sid.startswith("CA"):
            # The tests post a caller's webhooks themselves, so the server has not seen the call come in: one
            # the engine redirects is a live inbound call, as Twilio knows it (add_inbound_call says otherwise).
            call = self.inbound[sid] = {"sid": sid, "account_sid": self.account_sid, "status": "in-progress",
                                        "direction": "inbound", "params": {}}
        return call

    def _change_call(self, sid: str, call: dict, params: dict[str, str]) -> None:
        """A redirect (new TwiML: the call leaves its conference) or a new status (ended: it leaves it too)."""
        call["params"] = {**call["params"], **params}
        if params.get("Url"):
            call.setdefault("redirects", []).append(params["Url"])
        if params.get("Url") or params.get("Twiml"):
            self.leave_conference(sid, "redirected")
        if params.get("Status"):
            call["status"] = params["Status"]
            if params["Status"] in ("completed", "canceled"):
                self.leave_conference(sid, "hangup")


def _basic_auth_user(header: str | None, token: str) -> str | None:
    if not header or not header.startswith("Basic "):
        return None
    user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    return user if password == token else None
