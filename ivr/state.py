"""Where a call is in its conversation, carried in the webhook URLs so any worker can take the next turn."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Mapping
from urllib.parse import urlencode

from routing.model import CallFacts

CALLER_TYPE_MAX = 32


def _small_int(value: str | None, default: int = 0, high: int = 99) -> int:
    if value is None or not (value.isascii() and value.isdigit()) or len(value) > 3:
        return default
    return min(int(value), high)


def _token(value: str | None, high: int = CALLER_TYPE_MAX) -> str | None:
    if not value or len(value) > high or not all(c.isalnum() or c in "-_" for c in value):
        return None
    return value


@dataclass(frozen=True, slots=True)
class CallState:
    language: str = "fr"
    rule: int = 0  # next overflow rule to try
    forward_failed: bool = False
    department: str | None = None
    department_asked: bool = False
    attempts: int = 0  # tries at the current question
    caller_type: str | None = None
    closed_announced: bool = False

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> "CallState":
        """Read tolerantly: anything malformed falls back to the start of the conversation."""
        if not args:
            return cls()  # the first webhook's URL carries no state
        language = args.get("l")
        return cls(
            language=language if language in ("fr", "en") else "fr",
            rule=_small_int(args.get("r")),
            forward_failed=args.get("ff") == "1",
            department=_token(args.get("d"), 4),
            department_asked=args.get("da") == "1",
            attempts=_small_int(args.get("n")),
            caller_type=_token(args.get("t")),
            closed_announced=args.get("ca") == "1",
        )

    def query(self) -> str:
        """The state as a URL's query: a few states make most of a line's URLs, each written once."""
        return _query(self)

    def but(self, **changes) -> "CallState":
        return replace(self, **changes)

    def facts(self, caller_withheld: bool) -> CallFacts:
        return CallFacts(
            language=self.language,
            caller_withheld=caller_withheld,
            caller_type=self.caller_type,
            department=self.department,
            department_asked=self.department_asked,
            forward_failed=self.forward_failed,
        )


@lru_cache(maxsize=1024)  # states are few: a line's URLs are mostly the same handful
def _query(state: CallState) -> str:
    params = {"l": state.language, "r": state.rule}
    if state.forward_failed:
        params["ff"] = 1
    if state.department:
        params["d"] = state.department
    if state.department_asked:
        params["da"] = 1
    if state.attempts:
        params["n"] = state.attempts
    if state.caller_type:
        params["t"] = state.caller_type
    if state.closed_announced:
        params["ca"] = 1
    return urlencode(params)
