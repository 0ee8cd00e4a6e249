"""The part of Twilio's REST API the engine calls, served on 127.0.0.1 for the emulator.

Calls placed to listeners are kept for the emulator to play, queues deleted, calls looked up or updated.
Written from Twilio's API reference (Call and Queue resources, 2010-04-01), answering the JSON fields those
resources document."""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from checks.sids import new_sid

ACCOUNT_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>AC\w+)/(?P<rest>.*)$")


class TwilioRest:
    """``with TwilioRest(account_sid) as rest:`` gives ``rest.base_url``; ``rest.take_placed()`` returns the calls
    the engine asked Twilio to place since the last look, each a dict of its form fields plus ``Sid``."""

    def __init__(self, account_sid: str) -> None:
        self.account_sid = account_sid
        self.lock = threading.Lock()
        self.placed: list[dict[str, str]] = []
        self.statuses: dict[str, str] = {}  # call SID -> status, for lookups ("is that caller still there?")
        self.requests: list[str] = []  # "METHOD path", for the report
        self.unknown: list[str] = []
        self.refused: list[str] = []  # requests answered 503 while down
        self.world_side = None  # checks.world_rest.WorldRest in world mode: live calls, conferences, members
        self.is_down = lambda: False  # a fault to play: while true, every request is answered 503

    def __enter__(self) -> "TwilioRest":
        rest = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # the report says what matters
                pass

            def _answer(self, status: int, body: dict | None = None) -> None:
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                split = urllib.parse.urlsplit(self.path)
                # A list (StatusCallbackEvent) comes as the same name repeated; a GET's filters in the query.
                pairs = urllib.parse.parse_qsl(body, keep_blank_values=True) + urllib.parse.parse_qsl(split.query)
                form: dict = {}
                for key, value in pairs:
                    form[key] = [*form[key], value] if isinstance(form.get(key), list) else (
                        [form[key], value] if key in form else value)
                path = split.path
                status, body = rest.handle(method, path, form)
                self._answer(status, body)

            def do_GET(self) -> None:  # noqa: N802
                self._handle("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._handle("POST")

            def do_DELETE(self) -> None:  # noqa: N802
                self._handle("DELETE")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="twilio-rest", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def handle(self, method: str, path: str, form: dict[str, str]) -> tuple[int, dict | None]:
        with self.lock:
            self.requests.append(f"{method} {path}")
            match = ACCOUNT_PATH.match(path)
            if not match or match["account"] != self.account_sid:
                self.unknown.append(f"{method} {path}")
                return 404, {"code": 20404, "message": "The requested resource was not found", "status": 404}
            rest = match["rest"]
            if self.is_down():
                self.refused.append(f"{method} {path}")
                return 503, {"code": 20503, "message": "Service unavailable", "status": 503}
            if self.world_side is not None:
                self.lock.release()  # the world side takes the world's lock; statuses are set under this one
                try:
                    answered = self.world_side.handle(method, rest, form)
                finally:
                    self.lock.acquire()
                if answered is not None:
                    return answered
            if method == "POST" and rest == "Calls.json":
                sid = new_sid("CA")
                self.placed.append(dict(form, Sid=sid))
                self.statuses[sid] = "queued"
                return 201, self._call(sid, form)
            call = re.fullmatch(r"Calls/(CA\w+)\.json", rest)
            if call:
                sid = call[1]
                if method == "POST" and form.get("Status"):
                    self.statuses[sid] = {"canceled": "canceled", "completed": "completed"}.get(form["Status"],
                                                                                                form["Status"])
                return 200, self._call(sid, form)
            queue = re.fullmatch(r"Queues/(QU\w+)\.json", rest)
            if queue and method == "DELETE":
                return 204, None
            if queue:
                return 200, {"sid": queue[1], "account_sid": self.account_sid, "current_size": 0,
                             "average_wait_time": 0, "max_size": 1000}
            self.unknown.append(f"{method} {path}")
            return 404, {"code": 20404, "message": "The requested resource was not found", "status": 404}

    def _call(self, sid: str, form: dict[str, str]) -> dict:
        return {"sid": sid, "account_sid": self.account_sid, "status": self.statuses.get(sid, "in-progress"),
                "to": form.get("To"), "from": form.get("From"), "direction": "outbound-api",
                "api_version": "2010-04-01", "uri": f"/2010-04-01/Accounts/{self.account_sid}/Calls/{sid}.json"}

    def set_status(self, sid: str, status: str) -> None:
        with self.lock:
            self.statuses[sid] = status

    def take_unknown(self) -> list[str]:
        """Requests to resources this emulator does not serve (answered 404, as Twilio answers an unknown one)."""
        with self.lock:
            unknown, self.unknown = self.unknown, []
            return unknown

    def take_placed(self) -> list[dict[str, str]]:
        with self.lock:
            placed, self.placed = self.placed, []
            return placed
