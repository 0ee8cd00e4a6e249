"""Transfers in the database: opened, answered, ended — each step also a call event on the caller's call (reports)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from routing.transfer import TransferTarget
from routing.queueing import ListenerStatus
from store.calls import record
from store.listeners import phone_free
from store.models import Call, Listener, ListenerPool, Transfer

# parked: a warm consultation the hold limit (or the listener taking the caller back) interrupted — the third party on
# hold (music), the caller back with the listener alone; complete / together / cancel still apply
# (ivr/transfer_limit.py) until PARKED_LIMIT_SECONDS, when the third party is thanked and let go.
ACTIVE = ("dialling", "talking", "parked", "together")
ANSWERED_STATUSES = ("talking", "parked")  # the third party answered, the listener has not let go yet
# Past its ring time and this grace with no word from Twilio (status callback lost, REST down), a transfer still
# "dialling" is given up and the caller brought back to the listener.
DIAL_GRACE_SECONDS = 15
PARKED_LIMIT_SECONDS = 120  # a third party waiting on hold is not kept longer (their own hold limit)
# Call event kinds (≤ 32 characters), for the reports: where to, accepted, returned (and why).
STARTED, ANSWERED, COMPLETED, RETURNED, CALLER_GONE = (
    "transfer_started", "transfer_answered", "transfer_completed", "transfer_returned", "transfer_caller_gone")
PARKED = "transfer_parked"  # the hold limit came during a warm consultation


def note(session: Session, transfer: Transfer, now: datetime, kind: str, detail: str = "") -> None:
    if transfer.call_id is not None:
        record(session, Call(id=transfer.call_id), now, kind, detail)


def active_transfer(session: Session, conversation_id: int) -> Transfer | None:
    """The transfer in progress on a conversation (one at a time), locked: its changes are serialised."""
    return session.scalar(select(Transfer).where(Transfer.conversation_id == conversation_id,
                                                 Transfer.status.in_(ACTIVE))
                          .order_by(Transfer.id.desc()).limit(1).with_for_update())


def last_transfer(session: Session, conversation_id: int) -> Transfer | None:
    return session.scalar(select(Transfer).where(Transfer.conversation_id == conversation_id)
                          .order_by(Transfer.id.desc()).limit(1))


def locked_transfer(session: Session, transfer_id: int | None) -> Transfer | None:
    if transfer_id is None:
        return None
    return session.get(Transfer, transfer_id, with_for_update=True, populate_existing=True)


def open_transfer(session: Session, conversation_id: int, call_id: int | None, listener_id: int | None,
                  target: TransferTarget, mode: str, now: datetime) -> Transfer:
    transfer = Transfer(conversation_id=conversation_id, call_id=call_id, listener_id=listener_id,
                        target_key=target.key, target_kind=target.kind.value, label_fr=target.label.get("fr"),
                        label_en=target.label.get("en"), mode=mode, status="dialling", started_at=now,
                        deadline_at=now + timedelta(seconds=target.ring_seconds + DIAL_GRACE_SECONDS))
    session.add(transfer)
    session.flush()
    note(session, transfer, now, STARTED, f"{mode} {target.kind.value} {target.key}")
    return transfer


def answered(session: Session, transfer: Transfer, now: datetime) -> None:
    transfer.answered_at = transfer.answered_at or now
    if transfer.status == "dialling":
        transfer.status = "talking"
        note(session, transfer, now, ANSWERED, f"{transfer.mode} after {_seconds(transfer, now)} s")


def finish(session: Session, transfer: Transfer, now: datetime, status: str, outcome: str) -> None:
    """The transfer is over: ``completed`` (the caller with the third party), ``together`` (all on the call),
    ``returned`` (the caller back with the listener) or ``caller_gone``; a call event says which and why."""
    if transfer.status not in ACTIVE:
        return
    counted = transfer.status == "together"  # already counted as completed when the three were brought together
    transfer.status, transfer.outcome = status, outcome[:32]
    if status != "together":
        transfer.ended_at = now
    kind = {"completed": COMPLETED, "together": COMPLETED, "returned": RETURNED}.get(status, CALLER_GONE)
    if not (counted and kind == COMPLETED):
        note(session, transfer, now, kind, outcome)


def parked(session: Session, transfer: Transfer, now: datetime) -> None:
    """The third party waits on hold while the caller, held too long, is back with the listener."""
    if transfer.status == "talking":
        transfer.status = "parked"
        transfer.deadline_at = now + timedelta(seconds=PARKED_LIMIT_SECONDS)  # their own hold limit from now
        note(session, transfer, now, PARKED, f"after {_seconds(transfer, now)} s")


def third_party_left(transfer: Transfer, now: datetime) -> None:
    """A three-way call the third party left: the transfer is over (already counted when they were brought in)."""
    if transfer.status == "together":
        transfer.status, transfer.ended_at = "completed", now


def overdue(session: Session, now: datetime) -> list[int]:
    """Transfers still dialling past their ring time and grace: Twilio's word was lost, the caller must come back."""
    return list(session.scalars(select(Transfer.id).where(Transfer.status == "dialling", Transfer.deadline_at <= now)))


def free_listener(session: Session, pool: str, now: datetime, besides: int | None) -> Listener | None:
    """A transfer to another line of this engine: the free listener of its pool who has waited longest (as the
    queue would pick), locked — never ``besides`` (the listener transferring), never one whose phone is busy."""
    return session.scalar(
        select(Listener).join(ListenerPool, ListenerPool.listener_id == Listener.id)
        .where(ListenerPool.pool == pool, Listener.active.is_(True), Listener.status == ListenerStatus.AVAILABLE.value,
               phone_free(now), Listener.id != (besides or 0))
        .order_by(Listener.idle_since, Listener.id).limit(1).with_for_update(skip_locked=True, of=Listener))


def parked_too_long(session: Session, now: datetime) -> list[int]:
    """Parked transfers whose third party has waited on hold for PARKED_LIMIT_SECONDS: to be thanked and let go."""
    return list(session.scalars(select(Transfer.id).where(Transfer.status == "parked", Transfer.deadline_at <= now)))


def _seconds(transfer: Transfer, now: datetime) -> int:
    return max(0, int((now - transfer.started_at).total_seconds()))
