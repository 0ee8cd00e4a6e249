"""Computed reports kept in the database for a minute, so every worker and host reads what one of them counted.

Stored as JSON of the report's dataclasses (only those named below can come back), never as pickle: a row of
the database must not be able to run code in the console.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from routing.coverage import SlotCoverage
from routing.metrics import QueueStats, Thresholds
from routing.staffing import Advice
from store.models import ReportCache
from store.report_conversation import ConversationFigures, TransferFigures
from store.reports import LineReport, Period, TrafficReport

KEEP = timedelta(seconds=60)
CLASSES = {cls.__name__: cls for cls in (LineReport, TrafficReport, Period, QueueStats, Thresholds, SlotCoverage,
                                         Advice, ConversationFigures, TransferFigures)}


def cache_key(key: Any) -> str:
    return hashlib.sha256(repr(key).encode()).hexdigest()


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and type(value).__name__ in CLASSES:
        return {"@": type(value).__name__,
                "f": {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    if isinstance(value, (dict, MappingProxyType)):
        return {"@": "proxy" if isinstance(value, MappingProxyType) else "map",
                "items": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, tuple):
        return {"@": "tuple", "items": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, date):
        return {"@": "date", "iso": value.isoformat()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"a report holds a {type(value).__name__}, which the cache does not store")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    tag = value["@"]
    if tag in ("map", "proxy"):
        found = {_decode(k): _decode(v) for k, v in value["items"]}
        return MappingProxyType(found) if tag == "proxy" else found
    if tag == "tuple":
        return tuple(_decode(v) for v in value["items"])
    if tag == "date":
        return date.fromisoformat(value["iso"])
    return CLASSES[tag](**{name: _decode(v) for name, v in value["f"].items()})


def read(session: Session, key: str, now: datetime):
    """The report stored under ``key`` less than KEEP ago, or None."""
    payload = session.scalar(select(ReportCache.payload).where(ReportCache.key == key,
                                                               ReportCache.computed_at > now - KEEP))
    return None if payload is None else _decode(json.loads(payload))


def write(session: Session, key: str, report, now: datetime) -> None:
    """Store (or replace) a report and forget the stale ones; the caller commits."""
    values = {"key": key, "computed_at": now, "payload": json.dumps(_encode(report), separators=(",", ":"))}
    dialect = {"sqlite": sqlite, "postgresql": postgresql}.get(session.get_bind().dialect.name)
    session.execute(delete(ReportCache).where(ReportCache.computed_at <= now - KEEP))
    if dialect is None:
        session.merge(ReportCache(**values))
        return
    upsert = dialect.insert(ReportCache).values(**values)
    session.execute(upsert.on_conflict_do_update(index_elements=["key"], set_={
        "computed_at": upsert.excluded.computed_at, "payload": upsert.excluded.payload}))
