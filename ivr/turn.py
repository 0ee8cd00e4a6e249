"""One turn of a call: everything a webhook needs to answer the caller (the line, where the call stands, the time),
and the chain's steps that live in the modules built on the conversation (HoldingSteps)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import Gather, VoiceResponse

from ivr import prompts
from ivr.state import CallState
from ivr.twiml import say_language
from routing.model import Line, LiveState
from store import calls
from store.snapshot import Snapshot
from store.models import Call

HOLDING_STEPS = "ivr.holding_steps"  # the app.extensions key of the steps below


@dataclass(frozen=True)
class HoldingSteps:
    """The chain's steps that live in the modules built on the conversation (orientation, the queue, the callback
    offer, the conference a listener took the caller into).

    ivr.blueprints hands them in when the app is made, so that the conversation (ivr/conversation.py,
    ivr/chain_steps.py) imports none of the modules that import it."""

    association: Callable[..., bool]  # (turn, step, after): orientation to local associations
    enqueue: Callable[..., None]  # (turn, step, after): into a pool's queue
    offer_callback: Callable[..., VoiceResponse]  # (turn): the callback offer
    conference_join: Callable[..., VoiceResponse | None]  # (turn): a listener took the caller: their conference


def holding_steps() -> HoldingSteps:
    return current_app.extensions[HOLDING_STEPS]


@dataclass
class Turn:
    """Everything one webhook needs to answer: the line, where the call stands, and the time."""

    line: Line
    state: CallState
    now: datetime
    snapshot: Snapshot
    live: LiveState
    session: Session
    call: Call
    url_for: Callable[..., str]
    caller_withheld: bool = False
    # Whether screening may find a flag or an earlier call (told by the call's INSERT); None: not known, ask.
    to_screen: bool | None = None
    response: VoiceResponse = field(default_factory=VoiceResponse)
    after_commit: list[Callable[[], None]] = field(default_factory=list)  # e.g. dial a listener
    # The answer carries the caller's number (read back, or its encrypted token in a URL): nothing of it is kept
    # in the worker's caches of rendered prompts, URL queries and TwiML texts (set by carries_callers_number).
    private: bool = False

    @property
    def language(self) -> str:
        return self.state.language

    def local_now(self) -> datetime:
        return self.now.astimezone(ZoneInfo(self.line.schedule.timezone))

    def context(self, **extra: Any) -> dict[str, Any]:
        return {
            "line_name": self.line.name,
            "display_number": self.line.display_number,
            "now": self.local_now(),
            "country": self.line.country,
            **extra,
        }

    def say(self, text: str, target: Any = None) -> None:
        if not text:
            return
        language = say_language(self.language, self.line.country)
        kwargs = {"language": language}
        voice = self.line.voice(self.language)
        if voice:
            kwargs["voice"] = voice
        (target or self.response).say(text, **kwargs)

    def say_prompt(self, key: str, target: Any = None, **context: Any) -> None:
        self.say(self._rendered(prompts.template(key, self.language, self.line.country), context), target)

    def say_text(self, text, target: Any = None) -> None:
        if text is not None:
            self.say(self._rendered(text.get(self.language), {}), target)

    def _rendered(self, text: str, context: dict[str, Any]) -> str:
        """The prompt or the line's words rendered with the turn's context — built only when they have variables:
        most of what a caller hears has none."""
        if prompts.is_plain(text):
            return prompts.plain(text)
        render = prompts.render_unkept if self.private else prompts.render_text
        return render(text, **self.context(**context))

    def url(self, endpoint: str, state: CallState | None = None, **params: Any) -> str:
        return self.url_for(endpoint, state or self.state, keep=not self.private, **params)

    def carries_callers_number(self) -> "Turn":
        """From here on the answer says the caller's number or carries its token: nothing of it is kept."""
        self.private = True
        return self

    def ask(self, prompt: str, endpoint: str, params: dict[str, Any] | None = None, **context: Any) -> VoiceResponse:
        """One key to press after ``prompt``; silence comes back to ``endpoint`` too, without Digits."""
        params = params or {}
        gather = Gather(num_digits=1, timeout=8, action=self.url(endpoint, **params))
        self.say_prompt(prompt, gather, **context)
        self.response.append(gather)
        self.response.redirect(self.url(endpoint, **params), method="POST")
        return self.response

    def record(self, kind: str, detail: str = "", rule_index: int | None = None) -> None:
        calls.record(self.session, self.call, self.now, kind, detail, rule_index)

    def finish(self, outcome: str) -> None:
        self.call.outcome = outcome

    def but(self, **changes: Any) -> "Turn":
        """This turn with its call state moved on."""
        self.state = self.state.but(**changes)
        return self

