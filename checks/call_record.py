"""What a call sounded like and what the emulated world does on it: plain data for the emulator and the checks.

A call record is a timeline of what the caller heard plus events (keys, dials, queue); an outcome is what the
caller presses, what each dialled number does and how long the caller waits."""

from __future__ import annotations

from dataclasses import dataclass, field

SPEECH_CHARS_PER_SECOND = 15.0
PLAY_SECONDS = 20.0  # an audio file's length is unknown without fetching it: a hold-music track of 20 s
RING_BEFORE_ANSWER = 5.0
TALK_SECONDS = 60.0
BUSY_TONE_SECONDS = 3.0
FAILED_SECONDS = 1.0


@dataclass
class Heard:
    """One stretch of what the caller's ear gets: speech, music, silence, ringing, a conversation."""
    start: float
    seconds: float
    kind: str  # say, play, silence, ring, talk, tone
    text: str = ""
    queued: bool = False  # inside the <Enqueue> waitUrl loop
    in_gather: bool = False  # a prompt nested in a <Gather> (a question) or the Gather's own wait
    language: str = ""
    voice: str = ""
    parties: tuple[str, ...] = ()  # in a conference: who this ear hears (each party's name), at this stretch


@dataclass
class Event:
    """Something that happened on the call that is not sound: a key press, a dial, a question asked, a hang-up."""
    at: float
    kind: str
    detail: str = ""


@dataclass
class Outcome:
    """What the emulated world does: keys pressed at each question, dial results per number, caller patience."""
    # The caller answers by what is asked, as a person does, so that a line which reorders its questions is still
    # answered sensibly: pattern of the prompt -> the keys for each time it is asked ("" lets it time out).
    answers: dict[str, list[str]] = field(default_factory=dict)
    presses: list[str] = field(default_factory=list)  # for questions no pattern matches, in order
    queue_presses: list[str] = field(default_factory=list)  # one per <Gather> inside the queue's wait loop
    dial: dict[str, str] = field(default_factory=dict)  # number dialled -> completed/busy/no-answer/failed
    default_dial: str = "completed"
    queue_patience: float = 420.0  # seconds the caller stays queued before hanging up
    # After a bridged talk (the caller hangs up), the order in which Twilio's webhooks reach the server: it
    # guarantees none. "queue-action" (the caller's Enqueue action, bridged), "caller-status" (the caller's
    # status callback), "dial-action" (the listener's Dial action, then the rest of the listener's leg).
    after_talk: tuple[str, ...] = ("queue-action", "caller-status", "dial-action")
    # In a conference (world mode): (seconds after joining, what) — "*" and other keys pressed, "hangup".
    in_conference: list[tuple[float, str]] = field(default_factory=list)
    hangup_at: float | None = None  # world mode: the caller hangs up this many seconds into the call, wherever
    max_requests: int = 150
    max_wall_seconds: float = 30.0  # a server that stalls ends the call (and the check) instead of hanging it


@dataclass
class CallRecord:
    heard: list[Heard] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # protocol faults: HTTP errors, invalid TwiML, loops
    whispers: list[str] = field(default_factory=list)  # what the dialled party heard before the bridge
    listener: list[str] = field(default_factory=list)  # what a listener called through the REST API heard
    requests: list[str] = field(default_factory=list)  # paths requested, in order
    documents: list[str] = field(default_factory=list)  # world mode: every TwiML body this leg was served
    ended_by: str = ""
    seconds: float = 0.0

    def says(self) -> list[Heard]:
        return [h for h in self.heard if h.kind == "say"]
