"""Reports on what happened during conversations, counted by the database from the calls' events: hold, binômes,
supervisors, help asked, difficult calls and debriefs, and transfers by target (started, answered, completed,
returned).

The event kinds are the conference's (``conv_*``), the transfers' (``transfer_*``) and the desk's (``desk_*``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from store.models import Call, CallEvent, Conversation, Transfer

COUNTED = {  # figure → the event kind whose calls it counts (one call counts once)
    "conversations": "conv_bridged",
    "held": "conv_hold",
    "binome": "conv_binome_joined",
    "binome_paired": "conv_binome_paired",  # the binôme was the second listener of a call offered to a pair
    "help": "desk_help_asked",
    "difficult": "desk_difficult",
    "debriefs": "desk_debrief_done",
}
SUPERVISE_MODES = ("listen", "whisper", "join")
TRANSFER_OUTCOMES = ("transfer_answered", "transfer_completed", "transfer_returned", "transfer_caller_gone")


@dataclass(frozen=True)
class TransferFigures:
    """Transfers to one target: its key ("service:be-107"), its label as the listeners saw it, and how they went."""

    key: str
    label_fr: str
    label_en: str
    started: int = 0
    answered: int = 0
    completed: int = 0
    returned: int = 0
    caller_gone: int = 0


@dataclass(frozen=True)
class ConversationFigures:
    calls: dict[str, int] = field(default_factory=dict)  # COUNTED's figures
    hold_seconds: int = 0  # the callers' time on hold, all conversations together
    supervisor: dict[str, int] = field(default_factory=dict)  # mode → calls a supervisor was on that way
    transfers: list[TransferFigures] = field(default_factory=list)

    @property
    def average_hold(self) -> float | None:
        held = self.calls.get("held", 0)
        return self.hold_seconds / held if held else None


def _calls_with(session: Session, where: list) -> dict[str, int]:
    rows = session.execute(
        select(CallEvent.kind, func.count(func.distinct(CallEvent.call_id)))
        .join(Call, Call.id == CallEvent.call_id)
        .where(*where, CallEvent.kind.in_(list(COUNTED.values())))
        .group_by(CallEvent.kind)).all()
    by_kind = dict(rows)
    return {name: by_kind.get(kind, 0) for name, kind in COUNTED.items()}


def _supervisor(session: Session, where: list) -> dict[str, int]:
    rows = dict(session.execute(
        select(CallEvent.detail, func.count(func.distinct(CallEvent.call_id)))
        .join(Call, Call.id == CallEvent.call_id)
        .where(*where, CallEvent.kind == "conv_supervisor", CallEvent.detail.in_(SUPERVISE_MODES))
        .group_by(CallEvent.detail)).all())
    return {mode: rows.get(mode, 0) for mode in SUPERVISE_MODES}


def _hold_seconds(session: Session, where: list) -> int:
    return session.scalar(select(func.coalesce(func.sum(Conversation.hold_seconds), 0))
                          .join(Call, Call.id == Conversation.call_id).where(*where)) or 0


def _target_key(detail: str) -> str:
    """transfer_started's detail is "warm|cold <kind> <key>": the key is its last word."""
    return detail.rsplit(" ", 1)[-1] if detail else ""


def _transfers(session: Session, where: list, target_prefix: str | None) -> list[TransferFigures]:
    started = aliased(CallEvent)
    # Each outcome belongs to the transfer started last before it on the same call.
    of_transfer = (select(started.detail).where(started.call_id == CallEvent.call_id,
                                                started.kind == "transfer_started", started.id < CallEvent.id)
                   .order_by(started.id.desc()).limit(1).correlate(CallEvent).scalar_subquery())
    starts = session.execute(
        select(CallEvent.detail, func.count()).join(Call, Call.id == CallEvent.call_id)
        .where(*where, CallEvent.kind == "transfer_started").group_by(CallEvent.detail)).all()
    each = (select(of_transfer.label("started"), CallEvent.kind.label("kind")).join(Call, Call.id == CallEvent.call_id)
            .where(*where, CallEvent.kind.in_(TRANSFER_OUTCOMES)).subquery())
    outcomes = session.execute(select(each.c.started, each.c.kind, func.count())
                               .group_by(each.c.started, each.c.kind)).all()
    counts: dict[str, dict[str, int]] = {}
    for detail, count in starts:
        key = _target_key(detail)
        counts.setdefault(key, {}).setdefault("started", 0)
        counts[key]["started"] += count
    for detail, kind, count in outcomes:
        key = _target_key(detail or "")
        name = kind.removeprefix("transfer_")
        counts.setdefault(key, {}).setdefault(name, 0)
        counts[key][name] += count
    if target_prefix is not None:
        counts = {key: figures for key, figures in counts.items() if key == target_prefix}
    labels = _labels(session, list(counts))
    return [TransferFigures(key, *labels.get(key, (key, key)), **figures)
            for key, figures in sorted(counts.items(), key=lambda item: (-item[1].get("started", 0), item[0]))
            if key]


def _labels(session: Session, keys: list[str]) -> dict[str, tuple[str, str]]:
    """The target's words as its last transfer recorded them ("le 107, Télé-Accueil")."""
    if not keys:
        return {}
    rows = session.execute(select(Transfer.target_key, Transfer.label_fr, Transfer.label_en)
                           .where(Transfer.target_key.in_(keys)).order_by(Transfer.id)).all()
    return {key: (fr, en) for key, fr, en in rows}


def conversation_figures(session: Session, where: list) -> ConversationFigures:
    """A line's (``where``: its calls over a period, store.reports.line_where) conversations."""
    return ConversationFigures(_calls_with(session, where), _hold_seconds(session, where),
                               _supervisor(session, where), _transfers(session, where, None))


def transfers_to(session: Session, target_key: str, start: datetime, end: datetime) -> list[TransferFigures]:
    """Transfers of any line's callers to one target (a département centre: "centre:3977-94") over a period."""
    escaped = target_key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    transferred = select(CallEvent.call_id).where(CallEvent.kind == "transfer_started",
                                                  CallEvent.detail.like(f"% {escaped}", escape="\\"))
    return _transfers(session, [Call.id.in_(transferred), Call.started_at >= start, Call.started_at < end],
                      target_key)
