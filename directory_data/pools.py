"""The `queue:` section of a line file: how its pool's callers wait and how listeners are offered calls."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Mapping

from directory_data.fields import Problems, check_bool, check_int, check_key, check_localized
from routing.queueing import PoolSettings, Strategy

NUMBERS = {  # key: (low, high)
    "max_size": (1, 500),
    "max_wait": (30, 7200),
    "ring_timeout": (5, 60),
    "accept_timeout": (3, 30),
    "ring_several": (2, 20),
    "auto_pause_after": (1, 20),
    "announce_every": (15, 600),
    "service_level_seconds": (5, 3600),
    "short_abandon_seconds": (0, 120),
    "difficult_wrapup": (0, 3600),  # seconds of wrap-up after a call the listener marked difficult
}
FLAGS = ("announce_position", "announce_to_head", "offer_to_pair")


def check_queue(value: Any, problems: Problems) -> dict[str, Any]:
    """Only the keys the file gives are kept (the rest are defaults), so exports stay as short as the file."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.add("queue", "queue_shape")
        return {}
    known = set(NUMBERS) | set(FLAGS) | {"strategy", "wrapup", "leave_key", "message"}
    settings: dict[str, Any] = {}
    for key, raw in value.items():
        path = f"queue.{key}"
        if key not in known:
            problems.add(path, "unknown_queue_setting")
        elif key in NUMBERS:
            settings[key] = check_int(raw, path, problems, *NUMBERS[key])
        elif key in FLAGS:
            settings[key] = check_bool(raw, path, problems)
        elif key == "strategy":
            if raw not in {s.value for s in Strategy}:
                problems.add(path, "choice", choices=", ".join(s.value for s in Strategy))
            else:
                settings[key] = raw
        elif key == "wrapup":
            settings[key] = _wrapup(raw, path, problems)
        elif key == "leave_key":
            settings[key] = check_key(raw, path, problems)
        elif key == "message":
            settings[key] = check_localized(raw, path, problems)
    if settings.get("offer_to_pair") and settings.get("strategy") == Strategy.RING_SEVERAL.value:
        # Several phones already ring for each caller: which of them would be the binôme?
        problems.add("queue.offer_to_pair", "pair_with_ring_several")
    return settings


def _wrapup(value: Any, path: str, problems: Problems) -> dict[str, int]:
    """Seconds of wrap-up after a call: one number, or per caller type with a default."""
    if isinstance(value, int) and not isinstance(value, bool):
        return {"default": check_int(value, path, problems, 0, 1800)}
    if not isinstance(value, dict):
        problems.add(path, "queue_seconds")
        return {}
    return {str(k): check_int(v, f"{path}.{k}", problems, 0, 1800) for k, v in value.items()}


def build_pool_settings(doc: Mapping[str, Any] | None) -> PoolSettings:
    doc = dict(doc or {})
    if "wrapup" in doc:
        doc["wrapup"] = MappingProxyType({"default": 60, **doc["wrapup"]})
    if "strategy" in doc:
        doc["strategy"] = Strategy(doc["strategy"])
    if doc.get("message"):
        doc["message"] = MappingProxyType(dict(doc["message"]))
    return PoolSettings(**doc)
