"""Incoming calls checked against coordinators' flags and the line's repeat-call throttle, before the greeting."""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from routing.nuisance import Verdict, queue_priority as priority_for, screen
from store.flags import flags_for, screening_facts


def screen_incoming(turn) -> VoiceResponse | None:
    """The call's answer when a flag or the throttle ends it (a message, never silence); None to go on."""
    call = turn.call
    if turn.caller_withheld or call.caller_hash is None:
        return None  # a withheld number is never screened as such
    if turn.to_screen is False:
        return None  # the call's INSERT found no flag in force and no earlier call in the throttle's window
    flags, earlier = screening_facts(turn.session, call, turn.line.throttle, turn.now)
    if not flags and not earlier:
        return None
    verdict = screen(withheld=False, flags=flags, throttle=turn.line.throttle, earlier_calls=earlier, now=turn.now)
    if verdict.verdict is Verdict.ADMIT:
        return None
    turn.record("screened", f"{verdict.verdict.value}: {verdict.reason}")
    if not verdict.ends_the_call:
        return None  # lower priority: answered as usual, queued behind the others (see queue_priority)
    turn.say_prompt("flagged_message" if verdict.verdict is Verdict.FLAGGED_MESSAGE else "throttled")
    turn.response.hangup()
    turn.finish(verdict.verdict.value)
    return turn.response


def queue_priority(turn) -> int:
    """The priority this caller waits with in a pool's queue: lower when a coordinator asked for it."""
    if turn.call.caller_hash is None or turn.to_screen is False:
        return 0  # withheld, or no flag in force (the call's INSERT of this very turn said so)
    return priority_for(flags_for(turn.session, turn.call.line_id, turn.call.caller_hash, turn.now), turn.now)
