"""The console's desk as a browser drives it: a coordinator supervising a call, a listener acting on their own.

Only the console's public surface: the sign-in form (with its CSRF token), ``/console/desk.json`` (a coordinator:
the calls going on in their lines, each with its reference; a listener: their own call) and the desk's forms
(supervise with mode listen / whisper / join and the phone to call; hold, resume, transfer to a target with mode
warm or cold). Cookies are kept by hand: the console marks them Secure and the emulator serves over plain
HTTP on 127.0.0.1, where a browser would keep them too. Every page body is kept for the checks (no caller number)."""

from __future__ import annotations

import html
import http.client
import json
import re
import urllib.parse

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


class DeskActor:
    def __init__(self, base_url: str) -> None:
        split = urllib.parse.urlsplit(base_url)
        self.host, self.port = split.hostname, split.port
        self.cookies: dict[str, str] = {}
        self.pages: list[tuple[str, str]] = []  # (path, body) of every page the coordinator saw
        self.problems: list[str] = []

    def _request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str, dict]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=15)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), "User-Agent": "desk-actor"}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://{self.host}:{self.port}{path}"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
        connection.close()
        self.pages.append((path, text))
        return response.status, text, dict(response.getheaders())

    def _token(self, path: str) -> str:
        status, text, _ = self._request("GET", path)
        found = CSRF.search(text)
        if status != 200 or not found:
            self.problems.append(f"GET {path}: {status}, no CSRF token on the page")
            return ""
        return found.group(1) or found.group(2)

    def sign_in(self, email: str, password: str) -> bool:
        token = self._token("/console/login")
        status, _, headers = self._request("POST", "/console/login",
                                           {"csrf_token": token, "email": email, "password": password})
        if status not in (302, 303):
            self.problems.append(f"sign-in as {email} answered {status}")
            return False
        return True

    def live_calls(self) -> list[dict]:
        status, text, _ = self._request("GET", "/console/desk.json")
        if status != 200:
            self.problems.append(f"GET /console/desk.json: {status}")
            return []
        return json.loads(text).get("calls", [])

    def act(self, action: str, argument: str = "") -> None:
        """What the situation has this desk do: listen / whisper / join (a coordinator; ``argument`` the phone), or
        hold / resume / floor / transfer-warm / transfer-cold (a listener, on their own call; a transfer to the first
        target the page offers whose label has the words ``argument``, the floor to the first muted binôme it lists)."""
        if action in ("listen", "whisper", "join"):
            self.supervise(action, argument)
        else:
            self.listener_action(action, argument)

    @staticmethod
    def _target(page: str, words: str) -> str:
        """The value of the first target whose label has those words (any target if none are given)."""
        found = re.findall(r'name="target" value="([^"]+)".*?<label[^>]*>(.*?)</label>', page, re.S)
        chosen = [value for value, label in found if not words or re.search(words, html.unescape(label), re.I)]
        return chosen[0] if chosen else ""

    def listener_action(self, action: str, argument: str = "") -> None:
        status, text, _ = self._request("GET", "/console/desk.json")
        call = (json.loads(text).get("call") or {}) if status == 200 else {}
        if not call.get("id"):
            self.problems.append(f"no call on the listener's desk when asked to {action}")
            return
        token = self._token("/console/desk")
        page = self.pages[-1][1]
        fields = {"csrf_token": token, "call": str(call["id"])}
        if action == "floor":  # "Donner la parole": the first muted binôme or third party the page lists
            leg = re.search(r'action="[^"]*/desk/floor".*?name="leg" value="(\d+)"', page, re.S)
            if not leg:
                self.problems.append("the listener's desk offers nobody to give the floor to")
                return
            fields["leg"] = leg.group(1)
        if action.startswith("transfer-"):
            target = self._target(page, argument)
            if not target:
                self.problems.append(f"the listener's desk offers no transfer target {argument}")
                return
            fields.update(target=target, mode=action.split("-", 1)[1])
        path = "/console/desk/transfer" if action.startswith("transfer-") else f"/console/desk/{action}"
        status, _, _ = self._request("POST", path, fields)
        if status not in (200, 302, 303):
            self.problems.append(f"{action} from the listener's desk answered {status}")

    def supervise(self, mode: str, phone: str) -> None:
        """The first supervisable call in the coordinator's lines: ask to be called on ``phone`` in ``mode``."""
        calls = [c for c in self.live_calls() if c.get("supervisable")]
        if not calls:
            self.problems.append(f"no call to supervise on the desk when asked to {mode}")
            return
        token = self._token("/console/desk")
        status, _, _ = self._request("POST", f"/console/desk/calls/{calls[0]['id']}/supervise",
                                     {"csrf_token": token, "mode": mode, "phone": phone})
        if status not in (200, 302, 303):
            self.problems.append(f"supervise ({mode}) answered {status}")
