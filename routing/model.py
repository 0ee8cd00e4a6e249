"""Plain descriptions of lines, centres, overflow rules and the facts a routing decision is made from."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from routing.callbacks import CallbackSettings, EmailSettings
from routing.nuisance import Throttle
from routing.queueing import PoolSettings
from schedules import Reason, Schedule


class Condition(str, enum.Enum):
    ALWAYS = "always"
    OPEN = "open"
    CLOSED = "closed"
    NO_LISTENER_LOGGED_IN = "no_listener_logged_in"
    NO_LISTENER_AVAILABLE = "no_listener_available"
    QUEUE_LENGTH_AT_LEAST = "queue_length"
    ESTIMATED_WAIT_AT_LEAST = "estimated_wait"
    FORWARD_FAILED = "forward_failed"


class ActionKind(str, enum.Enum):
    QUEUE = "queue"
    FORWARD = "forward"
    HANDOFF = "handoff"
    MESSAGE = "message"
    CALLBACK = "callback"
    NOTIFY_EMAIL = "notify_email"
    END = "end"
    ASSOCIATION = "association"  # target "read" (name it to the caller) or "handoff" (dial it)


# How an ASSOCIATION rule orients the caller.
ASSOCIATION_MODES = ("read", "handoff")


# Actions after which the chain goes on at once; the others hold the caller until they succeed or fail.
PASS_THROUGH_ACTIONS = frozenset({ActionKind.MESSAGE, ActionKind.NOTIFY_EMAIL})
# Actions that can fail and hand the caller to the next rule with "forward_failed" set.
DIALLING_ACTIONS = frozenset({ActionKind.FORWARD, ActionKind.HANDOFF})


@dataclass(frozen=True, slots=True)
class Localized:
    """A text in French (always present) and optionally English."""

    fr: str
    en: str | None = None

    def get(self, language: str | None = None) -> str:
        """The text in ``language`` ("en", "en-GB"...), French for anything else or when missing."""
        if isinstance(language, str) and language[:2].lower() == "en" and self.en:
            return self.en
        return self.fr


@dataclass(frozen=True, slots=True)
class When:
    """One condition of a rule; a rule holds when all of its conditions hold."""

    condition: Condition
    reason: Reason | None = None  # for CLOSED: only this reason
    threshold: int | None = None  # N callers, or S seconds

    def __str__(self) -> str:
        if self.condition is Condition.CLOSED and self.reason:
            return f"closed:{self.reason.value}"
        if self.threshold is not None:
            return f"{self.condition.value}>={self.threshold}"
        return self.condition.value


@dataclass(frozen=True, slots=True)
class Action:
    kind: ActionKind
    number: str | None = None  # FORWARD: E.164 to dial
    target: str | None = None  # FORWARD: service id or number as written; QUEUE: pool name
    label: Localized | None = None  # how a number is named to callers, with its article ("l'équipe d'écoute")
    name: str | None = None  # FORWARD: short name in records and the console ("107", or the number)
    timeout: int = 20  # FORWARD / HANDOFF: seconds to ring
    text: Localized | None = None  # MESSAGE: the words, a Jinja2 template
    prompt: str | None = None  # MESSAGE: key of a shared prompt instead of text

    def describe(self) -> str:
        if self.kind is ActionKind.FORWARD:
            return f"forward to {self.label.fr if self.label else self.name or self.target}"
        if self.kind is ActionKind.QUEUE:
            return f"queue in pool {self.target}"
        if self.kind is ActionKind.HANDOFF:
            return "hand off to the department centre"
        if self.kind is ActionKind.MESSAGE:
            return f"play message {self.prompt or 'text'}"
        if self.kind is ActionKind.CALLBACK:
            return "offer a callback"
        if self.kind is ActionKind.NOTIFY_EMAIL:
            return "notify the after-hours email address"
        if self.kind is ActionKind.ASSOCIATION:
            return ("hand off to the nearest open local association" if self.target == "handoff"
                    else "read the nearest local association's details")
        return "end the call politely"


@dataclass(frozen=True, slots=True)
class OverflowRule:
    when: tuple[When, ...]
    action: Action

    def describe(self) -> str:
        conditions = " and ".join(str(w) for w in self.when) or "always"
        return f"if {conditions}: {self.action.describe()}"


@dataclass(frozen=True, slots=True)
class MenuOption:
    digit: str
    then: str = "route"  # route | end | menu
    caller_type: str | None = None
    language: str | None = None  # switch the call's language and replay the menu
    say: Localized | None = None
    prompt: str | None = None


@dataclass(frozen=True, slots=True)
class Menu:
    prompt: Localized
    options: tuple[MenuOption, ...]
    timeout: int = 6
    retries: int = 2

    def option(self, digit: str) -> MenuOption | None:
        for option in self.options:
            if option.digit == digit:
                return option
        return None


@dataclass(frozen=True, slots=True)
class Category:
    """A disposition given to a call after it (violences intrafamiliales, appel silencieux...), for reports."""

    slug: str
    label: Localized


@dataclass(frozen=True, slots=True)
class TransferNumber:
    """A number outside the directory a coordinator allowed listeners of one line to transfer calls to (an
    interpreter), with the words callers hear, article included ("le service d'interprétariat")."""

    number: str  # E.164
    label: Localized


@dataclass(frozen=True, slots=True)
class Centre:
    """A department-level team a national line hands calls off to."""

    slug: str
    name: str
    network: str
    departments: tuple[str, ...]
    number: str
    schedule: Schedule
    display_number: str = ""


@dataclass(frozen=True, slots=True)
class Line:
    slug: str
    name: str
    country: str
    numbers: tuple[str, ...]
    display_number: str
    language: str
    languages: tuple[str, ...]
    voices: Mapping[str, str]
    schedule: Schedule
    rules: tuple[OverflowRule, ...]
    greeting: Localized
    danger_notice: bool = True
    menu: Menu | None = None
    quick_exit_key: str | None = "*"
    alternatives: tuple[str, ...] = ()  # service ids named to callers when closed
    closed_message: Localized | None = None
    emergency_fallback: str | None = None  # E.164
    emergency_fallback_label: str | None = None
    after_hours_email: str | None = None
    caller_id_policy: str = "line"  # line | caller
    handoff_network: str | None = None  # which centres HANDOFF reaches
    department_retries: int = 2
    pool: str = ""  # default pool for listener conditions
    queue: PoolSettings = field(default_factory=PoolSettings)
    callback: CallbackSettings = field(default_factory=CallbackSettings)
    email: EmailSettings = field(default_factory=EmailSettings)
    retention_days: int = 365
    categories: tuple[Category, ...] = ()  # keys 1 to 9 of the listener's wrap-up menu, in this order
    throttle: Throttle | None = None  # repeated calls from one caller within minutes hear a message
    hold_music: str | None = None  # what queued callers hear between announcements (None: the engine's own)
    transfer_numbers: tuple[TransferNumber, ...] = ()  # numbers outside the directory a listener may transfer to

    @property
    def caller_id(self) -> str:
        return self.numbers[0]

    def voice(self, language: str) -> str | None:
        return self.voices.get(language)


@dataclass(frozen=True, slots=True)
class PoolState:
    """What the listener side reports for one pool (zero means nobody logged in)."""

    logged_in: int = 0  # not offline: paused listeners keep the queue open
    available: int = 0
    staffed: int = 0  # logged in and not paused: who will actually answer
    queue_length: int = 0
    estimated_wait: int = 0  # seconds


EMPTY_POOL = PoolState()


@dataclass(frozen=True, slots=True)
class LiveState:
    pools: Mapping[str, PoolState] = field(default_factory=lambda: MappingProxyType({}))

    def pool(self, name: str) -> PoolState:
        return self.pools.get(name, EMPTY_POOL)


@dataclass(frozen=True, slots=True)
class CallFacts:
    """What the engine knows about the call at this point of the conversation."""

    language: str = "fr"
    caller_withheld: bool = False
    caller_type: str | None = None
    department: str | None = None
    department_asked: bool = False  # the caller was asked and the route gave up or got an answer
    forward_failed: bool = False
