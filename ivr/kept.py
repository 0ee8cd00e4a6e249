"""The one way a worker keeps what callers hear again and again (rendered prompts, URL queries, TwiML verbs'
texts): under a key of everything the text depends on, bounded, never for an answer that carries a caller's
number (ivr.turn.Turn.carries_callers_number)."""

from __future__ import annotations

from typing import Hashable


def keep(kept: dict, key: Hashable, text: str, most: int) -> str:
    """``text`` kept under ``key``; a memory already holding ``most`` texts is emptied first (it fills again with
    what calls ask for: a line's words are a few hundred)."""
    if len(kept) >= most:
        kept.clear()
    kept[key] = text
    return text
