"""What the desk shows of a call's transfer: where the caller may be put through, and how a transfer stands.

Targets come from the directory (ivr/transfers.py); the desk sends back a target's key, never a number it typed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from console.desk.person_words import key_for
from console.texts import current_language, t
from ivr.transfers import targets_for
from store import transfers as records
from store.models import Conversation

OPEN_STATUSES = ("dialling",) + records.ANSWERED_STATUSES  # a transfer the listener can still complete or cancel


def transfer_view(session: Session, conversation_id: int | None, now: datetime) -> dict | None:
    """The transfer choices of a call going on (its listener's): the targets, or the transfer under way."""
    conversation = session.get(Conversation, conversation_id) if conversation_id is not None else None
    if conversation is None:
        return None
    language = current_language()
    callback = conversation.callback_attempt_id is not None  # the person called back, not "l'appelant·e"
    last = records.last_transfer(session, conversation.id)
    current = None
    if last is not None:
        label = last.label_en if language == "en" and last.label_en else last.label_fr
        current = {"label": label, "mode": t(f"desk.detail.{last.mode}"), "status": last.status,
                   "open": last.status in OPEN_STATUSES, "answered": last.status in records.ANSWERED_STATUSES,
                   "text": t(key_for(f"desk.transfer.{last.status}", callback), label=label)}
    choices = [] if current and current["open"] else [
        {"key": target.key, "label": target.label.get(language), "kind": target.kind.value}
        for target in targets_for(session, conversation, now)]
    words = {name: t(key_for(f"desk.transfer_{name}", callback)) for name in ("to", "warm", "cold", "leave")}
    return {"current": current, "targets": choices, "words": words}
