"""What every part of the emulator shares: Twilio-shaped SIDs and the ways a leg ends."""

from __future__ import annotations

import itertools

_sids = itertools.count(1)


def new_sid(prefix: str) -> str:
    """A SID as Twilio shapes them: two letters (CA call, CF conference, QU queue) and 32 hex digits."""
    return f"{prefix}{next(_sids):032x}"


class CallEnded(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class LeaveQueue(Exception):
    """``<Leave>`` in a wait document."""
