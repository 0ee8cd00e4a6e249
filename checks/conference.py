"""Twilio Conferences as the docs describe them, and who hears whom in them at every virtual instant.

From the ``<Conference>`` noun and the Conference / Participant resources:
- a conference starts when a participant with ``startConferenceOnEnter`` (default true) is in it; until then every
  participant hears its own ``waitUrl`` (default: Twilio's hold music) and is heard by nobody;
- a participant on hold hears its ``holdUrl`` music and is heard by nobody; a muted one is heard by nobody; a coach
  (``coaching`` with ``callSidToCoach``) is heard only by the participant it coaches, and hears everyone;
- a participant with ``endConferenceOnExit`` who leaves ends it: every other participant drops out (a TwiML leg goes
  on after its ``<Dial>``, one added through the REST API is hung up); the last one leaving ends it too;
- ``statusCallback`` gets ``StatusCallbackEvent`` (conference-start, conference-end, participant-join, -leave,
  -mute / -unmute, -hold / -unhold, -modify, announcement-end) for the events ``statusCallbackEvent`` asks for
  (start end join leave mute hold modify speaker announcement), with ConferenceSid, FriendlyName, CallSid, Muted,
  Hold, Coaching, ... as documented.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from checks.call_record import Heard
from checks.hold_music import Music, default_music, spread
from checks.world import Interrupted

EVENT_NAMES = {"start": ("conference-start",), "end": ("conference-end",), "join": ("participant-join",),
               "leave": ("participant-leave",), "mute": ("participant-mute", "participant-unmute"),
               "hold": ("participant-hold", "participant-unhold"), "modify": ("participant-modify",),
               "announcement": ("announcement-end", "announcement-fail"), "speaker": ()}


@dataclass
class Participant:
    call_sid: str
    name: str  # who this is in the scenario: "caller", "listener", "supervisor", "third party"…
    leg: object = None
    label: str = ""
    muted: bool = False
    hold: bool = False
    coaching: bool = False
    call_sid_to_coach: str = ""
    start_on_enter: bool = True
    end_on_exit: bool = False
    via_api: bool = False  # added through the Participants resource: no TwiML of its own to go back to
    wait_music: Music = field(default_factory=default_music)
    hold_music: Music = field(default_factory=default_music)
    since: float = 0.0  # when its current music began (it loops from there)
    beep: str = "true"  # true, false, onEnter, onExit: the others hear a beep as this participant comes or goes


@dataclass
class Conference:
    sid: str
    friendly_name: str
    status: str = "init"  # init, in-progress, completed
    created: float = 0.0
    participants: dict[str, Participant] = field(default_factory=dict)
    # (at, started, participants copy): the state after each change, for who-hears-whom afterwards
    log: list[tuple[float, bool, dict[str, Participant]]] = field(default_factory=list)
    announcements: list[tuple[float, str, Music]] = field(default_factory=list)  # (at, call SID or "", music)
    beeps: list[tuple[float, str, str]] = field(default_factory=list)  # (at, call SID, name) of who came or went
    callback: tuple[str, str, frozenset] | None = None  # url, method, events
    sequence: int = 0
    ended_by: str = ""
    reason_ended: str = ""
    hidden: bool = False  # the room a <Dial><Queue> bridge is played in: not a Conference resource

    @property
    def started(self) -> bool:
        return self.status == "in-progress"


class Conferences:
    """Every conference of the account, by SID and friendly name; ``notify(conference, event, participant)`` is
    given by the world: it sends the status callback when no leg runs."""

    def __init__(self, world, notify, new_sid) -> None:
        self.world = world
        self.notify = notify
        self.new_sid = new_sid
        self.all: list[Conference] = []

    def by_name(self, name: str, create: bool = False) -> Conference | None:
        live = [c for c in self.all if c.friendly_name == name and c.status != "completed"]
        if live or not create:
            return live[-1] if live else None
        conference = Conference(self.new_sid("CF"), name, created=self.world.now)
        self.all.append(conference)
        return conference

    def by_sid(self, sid: str) -> Conference | None:
        return next((c for c in self.all if c.sid == sid), None)

    def set_callback(self, conference: Conference, url: str | None, method: str, events: str) -> None:
        if url and conference.callback is None:  # the first participant that sets one names it
            conference.callback = (url, method or "POST", frozenset((events or "start end").replace(",", " ").split()))

    # --- changes ---------------------------------------------------------------------------------------------------

    def _snapshot(self, conference: Conference) -> None:
        copy = {sid: replace(p) for sid, p in conference.participants.items()}
        conference.log.append((self.world.now, conference.started, copy))

    def join(self, conference: Conference, participant: Participant) -> None:
        with self.world.lock:
            participant.since = self.world.now
            conference.participants[participant.call_sid] = participant
            if participant.beep.lower() in ("true", "onenter"):
                conference.beeps.append((self.world.now, participant.call_sid, participant.name))
            starting = not conference.started and participant.start_on_enter
            if starting:
                conference.status = "in-progress"
                for other in conference.participants.values():
                    other.since = self.world.now
                    other.wait_music.active = False
            self._snapshot(conference)
            if starting:
                self.notify(conference, "conference-start", None)
            self.notify(conference, "participant-join", participant)

    def update(self, conference: Conference, participant: Participant, **changes) -> None:
        """A REST update (hold, muted, coaching…): the change is heard from this instant."""
        with self.world.lock:
            before = replace(participant)
            if "hold" in changes and not changes["hold"]:
                participant.hold_music.active = False  # its next <Redirect> is not fetched any more
            for key, value in changes.items():
                setattr(participant, key, value)
            if participant.hold != before.hold:
                participant.since = self.world.now
            self._snapshot(conference)
            if participant.muted != before.muted:
                self.notify(conference, "participant-mute" if participant.muted else "participant-unmute", participant)
            if participant.hold != before.hold:
                self.notify(conference, "participant-hold" if participant.hold else "participant-unhold", participant)
            if (participant.coaching, participant.call_sid_to_coach) != (before.coaching, before.call_sid_to_coach):
                self.notify(conference, "participant-modify", participant)

    def leave(self, conference: Conference, participant: Participant, reason: str) -> None:
        """The participant's leg left (hung up, pressed * with hangupOnStar, redirected, removed)."""
        with self.world.lock:
            if conference.participants.pop(participant.call_sid, None) is None:
                return
            participant.hold_music.active = participant.wait_music.active = False
            if participant.beep.lower() in ("true", "onexit"):
                conference.beeps.append((self.world.now, participant.call_sid, participant.name))
            self._snapshot(conference)
            self.notify(conference, "participant-leave", participant, ReasonParticipantLeft=reason)
            if conference.status == "completed":
                return
            if participant.end_on_exit:
                self.end(conference, "participant-with-end-conference-on-exit-left", participant)
            elif not conference.participants:
                self.end(conference, "last-participant-left", participant)

    def end(self, conference: Conference, reason: str, by: Participant | None = None) -> None:
        with self.world.lock:
            conference.status = "completed"
            conference.reason_ended = reason
            conference.ended_by = by.call_sid if by else ""
            self.notify(conference, "conference-end", by)
            for other in list(conference.participants.values()):
                conference.participants.pop(other.call_sid)
                self.notify(conference, "participant-leave", other, ReasonParticipantLeft="conference_ended")
                if other.leg is not None:
                    self.world.interrupt(other.leg, Interrupted("conference-left", reason="conference-ended"))
            self._snapshot(conference)


def heard_by(conference: Conference, call_sid: str, start: float, end: float) -> list[Heard]:
    """What the participant ``call_sid`` heard in the conference between two world instants (absolute)."""
    runs: list[tuple[float, float, tuple]] = []
    log = conference.log
    for index, (at, started, state) in enumerate(log):
        until = log[index + 1][0] if index + 1 < len(log) else end
        low, high = max(at, start), min(until, end)
        me = state.get(call_sid)
        if me is None or high <= low:
            continue
        what = _what_heard(me, started, state)
        if runs and runs[-1][2] == what and abs(runs[-1][1] - low) < 1e-9:
            runs[-1] = (runs[-1][0], high, what)
        else:
            runs.append((low, high, what))
    heard = []
    for low, high, what in runs:
        if what[0] == "music":
            music, since, label = what[1], what[2], what[3]
            heard += [Heard(at, seconds, kind, text, queued=label == "wait")
                      for at, seconds, kind, text in spread(music, low, high, low - since)]
        elif what[0] == "talk":
            heard.append(Heard(low, high - low, "talk", "conference with " + ", ".join(what[1]), parties=what[1]))
        else:
            heard.append(Heard(low, high - low, "silence", "alone or nobody audible in the conference"))
    return _with_beeps(conference, call_sid, _with_announcements(conference, call_sid, heard))


def _what_heard(me: Participant, started: bool, state: dict[str, Participant]) -> tuple:
    if not started:
        return ("music", me.wait_music, me.since, "wait")
    if me.hold:
        return ("music", me.hold_music, me.since, "hold")
    audible = tuple(sorted(p.name for sid, p in state.items()
                           if sid != me.call_sid and not p.hold and not p.muted
                           and (not p.coaching or p.call_sid_to_coach == me.call_sid)))
    return ("talk", audible) if audible else ("silence",)


BEEP_SECONDS = 0.5


def _with_beeps(conference: Conference, call_sid: str, heard: list[Heard]) -> list[Heard]:
    """``beep``: the others hear a tone when a participant joins or leaves (not the one who does): who it was is in
    ``parties``, so a beep betraying a supervisor who only listens is heard as that supervisor."""
    for at, sid, name in conference.beeps:
        hearing = [h for h in heard if h.start <= at < h.start + h.seconds and h.kind in ("talk", "silence")]
        if sid != call_sid and hearing:
            heard = _overlay(heard, Heard(at, BEEP_SECONDS, "tone", f"beep: {name} came or went", parties=(name,)))
    return heard


def _with_announcements(conference: Conference, call_sid: str, heard: list[Heard]) -> list[Heard]:
    """An announcement (announceUrl) is heard over whatever the participant hears then (it is what they notice):
    kept only while the participant is in the conference."""
    for at, target, music in conference.announcements:
        if target not in ("", call_sid):
            continue
        for piece_at, seconds, kind, text in spread(music, at, at + music.seconds):
            heard = _overlay(heard, Heard(piece_at, seconds, kind, text))
    merged: list[Heard] = []
    for h in heard:  # one sentence cut by a change under it is still one sentence heard
        last = merged[-1] if merged else None
        if last and h.kind == "say" and (last.kind, last.text) == ("say", h.text) \
                and abs(last.start + last.seconds - h.start) < 1e-6:
            merged[-1] = replace(last, seconds=last.seconds + h.seconds,
                                 parties=tuple(sorted(set(last.parties) | set(h.parties))))
        else:
            merged.append(h)
    return merged


def _overlay(heard: list[Heard], piece: Heard) -> list[Heard]:
    out = []
    for h in heard:
        end, piece_end = h.start + h.seconds, piece.start + piece.seconds
        if piece_end <= h.start or piece.start >= end:
            out.append(h)
            continue
        if piece.start > h.start:
            out.append(replace(h, seconds=piece.start - h.start))
        out.append(replace(piece, start=max(piece.start, h.start), parties=piece.parties or h.parties,
                           seconds=min(piece_end, end) - max(piece.start, h.start)))
        if piece_end < end:
            out.append(replace(h, start=piece_end, seconds=end - piece_end))
    return out
