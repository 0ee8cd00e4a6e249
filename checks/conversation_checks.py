"""What every party of a conversation must (not) hear, checked on the world's legs after a situation is played.

Issue 14: "a caller is never left in silence or dropped", "the caller must never hear" a whisper, "no listener
ever gets two calls, no caller number shown". Each check takes the played situation and returns findings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_SILENCE = 5.0
SOUND = {"say", "play", "talk", "ring", "tone"}


@dataclass
class Played:
    """A situation as the world played it: the caller's leg first, then every leg the engine placed."""
    label: str
    caller_number: str
    legs: list  # checks.twilio_emulator._Call, caller first
    callbacks: list[dict[str, str]] = field(default_factory=list)  # conference status callbacks sent
    problems: list[str] = field(default_factory=list)  # the world's own: failed webhooks, REST not emulated
    unheard_by_caller: frozenset = frozenset({"supervisor"})  # names the caller must never hear
    unheard_until: float = float("inf")  # ... until then (a supervisor who joins is heard from that instant)
    listener_numbers: frozenset = frozenset()
    listener_ends_call: bool = False  # the listener ended it (keypad 9, desk): a goodbye and <Hangup> are right
    pages: list[tuple[str, str]] = field(default_factory=list)  # console pages a coordinator saw meanwhile
    rung: frozenset = frozenset()  # every number the engine had Twilio call, answered or not
    roster: str = ""  # `helpline listeners list` once the call is over

    @property
    def caller(self):
        return self.legs[0]


def _caller_timeline(played: Played) -> list:
    return sorted(played.caller.record.heard, key=lambda h: h.start)


# --- questions a check can ask of any leg's timeline (its own clock: seconds since that leg was answered) ---------

def heard_between(record, start: float, end: float) -> list:
    """What the leg heard between two instants: the stretches that overlap them."""
    return [h for h in sorted(record.heard, key=lambda h: h.start) if h.start < end and h.start + h.seconds > start]


def ever_heard(record, name: str) -> bool:
    """Whether the leg ever heard that party (a conference participant's name: "listener", "supervisor"…)."""
    return any(name in h.parties for h in record.heard)


def longest_silence(record, since: float = 0.0) -> tuple[float, float]:
    """(seconds, from when) of the longest run of silence after ``since``: music, speech and talk break it."""
    best, run, start = (0.0, since), 0.0, since
    for heard in sorted(record.heard, key=lambda h: h.start):
        if heard.start + heard.seconds <= since:
            continue
        if heard.kind in SOUND:
            run = 0.0
            continue
        start = heard.start if run == 0 else start
        run += heard.seconds
        best = max(best, (run, start))
    return best


def check_protocol(played: Played) -> list[str]:
    findings = list(played.problems)
    for leg in played.legs:
        findings += [f"{leg.name}'s leg: {problem}" for problem in leg.record.problems]
    return findings


def check_caller_never_hears_a_coach(played: Played) -> list[str]:
    """A supervisor who listens or whispers is heard by nobody but (whispering) the listener."""
    return [f"at {h.start:.0f} s the caller hears {', '.join(sorted(set(h.parties) & played.unheard_by_caller))}"
            for h in played.caller.record.heard
            if set(h.parties) & played.unheard_by_caller and h.start < played.unheard_until - 0.01][:3]


def check_no_silence_once_connected(played: Played) -> list[str]:
    """From the moment the caller is queued or in a conference until they hang up, never over 5 s of silence:
    music, speech and a conversation count; being alone in a conference, a muted room or a silent file do not."""
    events = played.caller.record.events
    connected = next((e.at for e in events if e.kind in ("enqueue", "conference")), None)
    if connected is None:
        return []
    findings, run, since = [], 0.0, 0.0
    for heard in _caller_timeline(played) + [None]:
        if heard is not None and heard.start + heard.seconds <= connected:
            continue
        if heard is not None and heard.kind not in SOUND:
            since = heard.start if run == 0 else since
            run += heard.seconds
            continue
        if run > MAX_SILENCE:
            findings.append(f"{run:.0f} s of silence from {since:.0f} s into the call"
                            f" ({_what_then(played, since)})")
        run = 0.0
    return findings[:3]


def _what_then(played: Played, at: float) -> str:
    before = [e for e in played.caller.record.events if e.at <= at + 0.01]
    return before[-1].kind + (f" {before[-1].detail}" if before and before[-1].detail else "") if before else "start"


def check_caller_never_dropped(played: Played) -> list[str]:
    """The caller's leg ends only when the caller hangs up."""
    record = played.caller.record
    if record.ended_by == "caller hung up":
        return []
    if played.listener_ends_call and record.ended_by in ("<Hangup>", "end of document") and record.says():
        return []
    return [f"the caller's call ended at {record.seconds:.0f} s without them hanging up: {record.ended_by}"]


def check_listener_on_one_call(played: Played) -> list[str]:
    """No listener's phone carries two calls at once."""
    spans: dict[str, list[tuple[float, float]]] = {}
    for leg in played.legs[1:]:
        number = leg.base.get("To", "")
        if number in played.listener_numbers and getattr(leg, "answered", False):
            spans.setdefault(number, []).append((leg.t0, leg.t0 + leg.record.seconds))
    findings = []
    for number, times in spans.items():
        times.sort()
        findings += [f"listener {number} was on two calls from {b[0]:.0f} s" for a, b in zip(times, times[1:])
                     if b[0] < a[1] - 0.01]
    return findings


def caller_number_forms(number: str) -> list[str]:
    """How a caller's number may be written: +33698765432, 0698765432, 06 98 76 54 32, 698765432."""
    digits = re.sub(r"\D", "", number)
    if len(digits) < 6:
        return []
    national = "0" + digits[2:] if number.startswith("+") else digits
    spaced = " ".join(national[i:i + 2] for i in range(0, len(national), 2))
    return sorted({number, national, spaced, digits[2:]}, key=len, reverse=True)


def check_no_caller_number_to_others(played: Played) -> list[str]:
    """Nothing a listener, supervisor or third party is sent shows the caller's number: their documents, what the
    engine had Twilio show as the calling number, the console pages a coordinator saw, the conference's name."""
    forms = caller_number_forms(played.caller_number)
    findings = []
    for leg in played.legs[1:]:
        shown = getattr(leg, "placed_form", {}).get("From", "")
        texts = [("the number their phone showed", shown)] + [("a document", d) for d in leg.record.documents]
        for what, text in texts:
            if any(form in text for form in forms):
                findings.append(f"{leg.name}'s leg: {what} holds the caller's number")
                break
    for path, page in played.pages:
        if any(form in page for form in forms):
            findings.append(f"the console page {path} shows the caller's number")
            break
    for callback in played.callbacks:
        if any(form in callback.get("FriendlyName", "") for form in forms):
            findings.append("the conference is named with the caller's number")
            break
    return findings


CONVERSATION_CHECKS = {
    "valid TwiML, every webhook answered, every REST request emulated": check_protocol,
    "the caller never hears a supervisor who listens or whispers": check_caller_never_hears_a_coach,
    "never over 5 s of silence for the caller once connected (music counts)": check_no_silence_once_connected,
    "the caller's call ends only when the caller hangs up": check_caller_never_dropped,
    "a listener is never on two calls": check_listener_on_one_call,
    "no caller number in anything a listener, supervisor or third party is sent": check_no_caller_number_to_others,
}
