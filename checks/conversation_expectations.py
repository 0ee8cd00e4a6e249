"""What a situation of checks/conversations.py promises each party, checked on the legs once it is played: what the
caller is (not) told once bridged, whom each party hears, what a listener, a binôme or a third party is told."""

from __future__ import annotations

import re

from checks.conversation_checks import Played


def expectations(situation, played: Played) -> list[str]:
    first = next((leg for leg in played.legs[1:] if leg.name == "listener"), None)
    return _said(situation, played, first) + _parties(situation, played, first) + _supervisors(played) + \
        _back_with_listener(situation, played) + _other_parties(situation, played) + \
        _bridged_first(situation, played) + _rung_and_freed(situation, played) + _never_told(situation, played)


def _bridged_at(played: Played) -> float:
    return next((e.at for e in played.caller.record.events if e.kind == "conference"), float("inf"))


def _said(situation, played: Played, first) -> list[str]:
    """Said to the caller once a listener took the call (the greeting does not count)."""
    bridged = _bridged_at(played)
    said = [h.text for h in played.caller.record.says() if h.start >= bridged - 0.01]
    findings = [f"the caller never hears « {pattern} »" for pattern in situation.expect_said
                if not any(re.search(pattern, text) for text in said)]
    findings += [f"the caller is told « {text} »" for pattern in situation.never_said for text in said
                 if re.search(pattern, text)]
    listener_said = [h.text for h in first.record.says()] if first else []
    return findings + [f"the listener never hears « {pattern} »" for pattern in situation.listener_expect_said
                       if not any(re.search(pattern, text) for text in listener_said)]


def _parties(situation, played: Played, first) -> list[str]:
    heard = {p for h in played.caller.record.heard for p in h.parties}
    findings = [f"the caller never hears the {name}" for name in situation.expect_parties if name not in heard]
    by_listener = {p for h in first.record.heard for p in h.parties} if first else set()
    return findings + [f"the listener never hears the {name}" for name in situation.listener_expect_parties
                       if name not in by_listener]


def _other_parties(situation, played: Played) -> list[str]:
    """A binôme, a third party…: what they must be told before they hear anyone of the call, and whom they hear."""
    findings = []
    for name in sorted(set(situation.party_expect_said) | set(situation.party_expect_parties)):
        legs = [leg for leg in played.legs[1:] if leg.name == name and getattr(leg, "answered", False)]
        if not legs:
            findings.append(f"the {name} never answers")
            continue
        said = [h.text for leg in legs for h in leg.record.says() if h.start <= _first_heard(leg) + 0.01]
        findings += [f"the {name} is not told « {pattern} » before hearing the call"
                     for pattern in situation.party_expect_said.get(name, ())
                     if not any(re.search(pattern, text) for text in said)]
        heard = {p for leg in legs for h in leg.record.heard for p in h.parties}
        findings += [f"the {name} never hears the {other}" for other in situation.party_expect_parties.get(name, ())
                     if other not in heard]
    return findings


def _never_told(situation, played: Played) -> list[str]:
    """What a party must never be told, and what they must be told at some point (on any leg of theirs)."""
    said = {name: [h.text for leg in played.legs[1:] if leg.name == name for h in leg.record.says()]
            for name in {*situation.party_never_said, *situation.party_told}}
    findings = [f"the {name} is told « {text} »" for name, patterns in situation.party_never_said.items()
                for text in said[name] if any(re.search(pattern, text) for pattern in patterns)]
    return findings + [f"the {name} is never told « {pattern} »" for name, patterns in situation.party_told.items()
                       for pattern in patterns if not any(re.search(pattern, text) for text in said[name])]


def _first_heard(leg) -> float:
    """When the leg first hears someone of the call (in its own time); never: the end of the leg."""
    return min((h.start for h in leg.record.heard if h.parties), default=leg.record.seconds)


def _bridged_first(situation, played: Played) -> list[str]:
    """The caller hears the listener before that party comes into the call: nobody waits for them."""
    if not situation.bridged_before:
        return []
    talking = next((h.start for h in sorted(played.caller.record.heard, key=lambda h: h.start)
                    if "listener" in h.parties), None)
    joined = [leg.t0 - played.caller.t0 + e.at for leg in played.legs[1:] if leg.name == situation.bridged_before
              for e in leg.record.events if e.kind == "conference"]
    if talking is None:
        return ["the caller never hears the listener"]
    if joined and min(joined) <= talking:
        return [f"the caller hears the listener only at {talking:.0f} s, once the {situation.bridged_before} "
                f"came in ({min(joined):.0f} s): the caller waited for them"]
    return []


def _rung_and_freed(situation, played: Played) -> list[str]:
    """A phone that had to ring did; a listener who must be free again is listed available (or in wrap-up)."""
    findings = [f"{number} never rang" for number in situation.must_ring if number not in played.rung]
    for name in situation.free_after:
        row = next((line for line in played.roster.splitlines() if name in line), "")
        if not re.search(r"\b(available|wrap[-_ ]?up|disponible)\b", row):
            findings.append(f"{name} is not free again after the call: {' '.join(row.split())}")
    return findings


def _supervisors(played: Played) -> list[str]:
    supervisors = sorted((leg.t0, leg.t0 + leg.record.seconds) for leg in played.legs[1:]
                         if "supervisor" in leg.name and getattr(leg, "answered", False))
    return [f"two supervisors on the call at once from {b[0]:.0f} s" for a, b in zip(supervisors, supervisors[1:])
            if b[0] < a[1] - 0.01]


def _back_with_listener(situation, played: Played) -> list[str]:
    if not situation.listener_back_between:
        return []
    low, high = situation.listener_back_between
    if any("listener" in h.parties and low <= h.start <= high for h in played.caller.record.heard):
        return []
    return [f"the caller is not back with the listener between {low:.0f} s and {high:.0f} s"]
