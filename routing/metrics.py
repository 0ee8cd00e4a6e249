"""Queue metrics from queue history: service level, abandons, waits, talk and offers, by local hour or day."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from types import MappingProxyType
from typing import Callable, Hashable, Iterable, Mapping, TypeVar

LEFT_KINDS = ("left_key", "left_max_wait", "moved_on", "left")
OUTCOME_KINDS = ("bridged", "abandoned") + LEFT_KINDS

Key = TypeVar("Key", bound=Hashable)


@dataclass(frozen=True, slots=True)
class Event:
    """One queue_event row, reduced to what the figures need."""

    at: datetime  # aware
    kind: str
    caller: int
    wait: int | None = None  # seconds: the wait so far, or the talk duration for `talk`
    pool: str = ""


@dataclass(frozen=True, slots=True)
class Thresholds:
    service_level_seconds: int = 60
    short_abandon_seconds: int = 10


@dataclass(frozen=True, slots=True)
class CallerRecord:
    """What happened to one caller who joined a queue, from its events."""

    caller: int
    pool: str
    joined_at: datetime
    outcome: str | None  # first of OUTCOME_KINDS, None while waiting (or if the outcome was never recorded)
    wait: int | None  # seconds from joining to the outcome
    talks: tuple[int, ...] = ()
    offers: int = 0
    missed: int = 0


@dataclass(frozen=True, slots=True)
class QueueStats:
    """Counts and sums over callers who joined; the rates and averages are derived and None when undefined.

    "Within" a threshold means a wait of at most that many seconds, for answers and short abandons alike.
    """

    offered: int = 0  # callers who joined the queue
    answered: int = 0  # callers bridged to a listener
    answered_within: int = 0  # answered with a wait ≤ the pool's service_level_seconds
    abandoned: int = 0  # callers who hung up while waiting, short abandons included
    short_abandons: int = 0  # abandoned with a wait ≤ the pool's short_abandon_seconds
    left_by_kind: Mapping[str, int] = field(default_factory=lambda: MappingProxyType(dict.fromkeys(LEFT_KINDS, 0)))
    waiting: int = 0  # joined without a recorded outcome: still in the queue, or a lost result
    answered_wait_total: int = 0
    longest_wait: int | None = None  # longest wait of an answered caller
    abandon_wait_total: int = 0
    talks: int = 0  # talk events (ended conversations)
    talk_total: int = 0
    offers: int = 0  # times a listener's phone was rung for one of these callers
    missed_offers: int = 0  # offers the listener did not take (cancelled ones are not missed)

    @property
    def left(self) -> int:
        """Callers who left the queue alive: by key, at the maximum wait, moved on, or queue-full/error/other."""
        return sum(self.left_by_kind.values())

    @property
    def service_level(self) -> float | None:
        """answered_within / answered."""
        return _ratio(self.answered_within, self.answered)

    @property
    def service_level_with_abandons(self) -> float | None:
        """answered_within / (answered + abandoned − short_abandons)."""
        return _ratio(self.answered_within, self.answered + self.abandoned - self.short_abandons)

    @property
    def abandon_rate(self) -> float | None:
        """(abandoned − short_abandons) / (offered − short_abandons)."""
        return _ratio(self.abandoned - self.short_abandons, self.offered - self.short_abandons)

    @property
    def average_wait(self) -> float | None:
        """Mean wait in seconds of answered callers: answered_wait_total / answered."""
        return _ratio(self.answered_wait_total, self.answered)

    @property
    def average_abandon_wait(self) -> float | None:
        """Mean wait in seconds before hanging up, short abandons included: abandon_wait_total / abandoned."""
        return _ratio(self.abandon_wait_total, self.abandoned)

    @property
    def average_talk(self) -> float | None:
        """Mean conversation length in seconds: talk_total / talks."""
        return _ratio(self.talk_total, self.talks)

    @property
    def miss_rate(self) -> float | None:
        """missed_offers / offers."""
        return _ratio(self.missed_offers, self.offers)


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None


def caller_records(events: Iterable[Event]) -> list[CallerRecord]:
    """One record per caller with a `joined` event; events of callers who never joined are ignored.

    A caller's outcome is its earliest outcome event (the engine writes one; a replayed webhook must not count
    twice). Its wait is the event's wait_seconds, or the time since joining when that is missing.
    """
    by_caller: dict[int, list[Event]] = {}
    for event in sorted(events, key=lambda e: e.at):  # stable: same-instant events keep their given order
        by_caller.setdefault(event.caller, []).append(event)
    records = []
    for caller, history in by_caller.items():
        joined = next((e for e in history if e.kind == "joined"), None)
        if joined is None:
            continue
        outcome = next((e for e in history if e.kind in OUTCOME_KINDS), None)
        wait = None
        if outcome is not None:
            wait = outcome.wait if outcome.wait is not None else max(0, int((outcome.at - joined.at).total_seconds()))
        records.append(CallerRecord(
            caller=caller, pool=joined.pool, joined_at=joined.at,
            outcome=outcome.kind if outcome else None, wait=wait,
            talks=tuple(e.wait for e in history if e.kind == "talk" and e.wait is not None),
            offers=sum(e.kind == "offered" for e in history),
            missed=sum(e.kind == "missed" for e in history),
        ))
    return records


def tally(records: Iterable[CallerRecord], thresholds: Thresholds = Thresholds(),
          per_pool: Mapping[str, Thresholds] | None = None) -> QueueStats:
    """Add up caller records; each caller is judged by its pool's thresholds, else by ``thresholds``."""
    per_pool = per_pool or {}
    counts = dict(offered=0, answered=0, answered_within=0, abandoned=0, short_abandons=0, waiting=0,
                  answered_wait_total=0, abandon_wait_total=0, talks=0, talk_total=0, offers=0, missed_offers=0)
    left = dict.fromkeys(LEFT_KINDS, 0)
    longest: int | None = None
    for record in records:
        limits = per_pool.get(record.pool, thresholds)
        counts["offered"] += 1
        counts["offers"] += record.offers
        counts["missed_offers"] += record.missed
        counts["talks"] += len(record.talks)
        counts["talk_total"] += sum(record.talks)
        if record.outcome == "bridged":
            counts["answered"] += 1
            counts["answered_within"] += record.wait <= limits.service_level_seconds
            counts["answered_wait_total"] += record.wait
            longest = record.wait if longest is None else max(longest, record.wait)
        elif record.outcome == "abandoned":
            counts["abandoned"] += 1
            counts["short_abandons"] += record.wait <= limits.short_abandon_seconds
            counts["abandon_wait_total"] += record.wait
        elif record.outcome in left:
            left[record.outcome] += 1
        else:
            counts["waiting"] += 1
    return QueueStats(**counts, left_by_kind=MappingProxyType(left), longest_wait=longest)


def queue_stats(events: Iterable[Event], thresholds: Thresholds = Thresholds(),
                per_pool: Mapping[str, Thresholds] | None = None) -> QueueStats:
    """The figures over every caller who joined among ``events``."""
    return tally(caller_records(events), thresholds, per_pool)


def group_stats(records: Iterable[CallerRecord], key: Callable[[CallerRecord], Key],
                thresholds: Thresholds = Thresholds(),
                per_pool: Mapping[str, Thresholds] | None = None) -> dict[Key, QueueStats]:
    """Figures per group of caller records, groups in key order (records built once serve several groupings)."""
    groups: dict[Key, list[CallerRecord]] = {}
    for record in records:
        groups.setdefault(key(record), []).append(record)
    return {k: tally(groups[k], thresholds, per_pool) for k in sorted(groups)}


def hour_joined(tz: tzinfo) -> Callable[[CallerRecord], int]:
    return lambda record: record.joined_at.astimezone(tz).hour


def week_slot_joined(tz: tzinfo) -> Callable[[CallerRecord], tuple[int, int]]:
    """(local weekday, hour) the caller joined in, Monday = 0."""
    def slot(record: CallerRecord) -> tuple[int, int]:
        local = record.joined_at.astimezone(tz)
        return local.weekday(), local.hour

    return slot


def _grouped(events: Iterable[Event], key: Callable[[CallerRecord], Key], thresholds: Thresholds,
             per_pool: Mapping[str, Thresholds] | None) -> dict[Key, QueueStats]:
    return group_stats(caller_records(events), key, thresholds, per_pool)


def stats_by_hour(events: Iterable[Event], tz: tzinfo, thresholds: Thresholds = Thresholds(),
                  per_pool: Mapping[str, Thresholds] | None = None) -> dict[int, QueueStats]:
    """Figures per local hour of day (all of 0–23), each caller in the hour it joined.

    On the night clocks go back, both 02:xx hours count as hour 2; on the night they go forward, hour 2 is empty.
    """
    found = _grouped(events, hour_joined(tz), thresholds, per_pool)
    return {hour: found.get(hour, QueueStats()) for hour in range(24)}


def stats_by_day(events: Iterable[Event], tz: tzinfo, thresholds: Thresholds = Thresholds(),
                 per_pool: Mapping[str, Thresholds] | None = None) -> dict[date, QueueStats]:
    """Figures per local date on which callers joined (days without callers are absent), in date order."""
    return _grouped(events, lambda r: r.joined_at.astimezone(tz).date(), thresholds, per_pool)

