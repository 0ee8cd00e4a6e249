"""The `categories:` and `throttle:` settings of a line file: call dispositions and the repeat-call limit."""

from __future__ import annotations

import re
from typing import Any, Mapping, Sequence

from directory_data.fields import Problems, check_int
from routing.model import Category, Localized
from routing.nuisance import Throttle

# The listener classifies by keypad after a call: one key per category, 1 to 9.
MAX_CATEGORIES = 9
CATEGORY_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
MAX_LABEL = 80  # read out on the listener's phone: a few words, not a sentence
THROTTLE_CALLS = (1, 50)
THROTTLE_MINUTES = (1, 1440)


def check_categories(value: Any, problems: Problems, path: str = "categories") -> list[dict[str, Any]]:
    """Each category as ``{id, fr, en?}``; at most nine, ids unique."""
    if value is None:
        return []
    if not isinstance(value, list):
        problems.add(path, "categories_shape")
        return []
    if len(value) > MAX_CATEGORIES:
        problems.add(path, "categories_count", most=MAX_CATEGORIES, count=len(value))
    categories: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, raw in enumerate(value):
        item = f"{path}[{index}]"
        if not isinstance(raw, dict):
            problems.add(item, "category_shape")
            continue
        for key in raw:
            if key not in ("id", "fr", "en"):
                problems.add(f"{item}.{key}", "category_key")
        slug = raw.get("id")
        if not isinstance(slug, str) or not CATEGORY_ID.match(slug):
            problems.add(f"{item}.id", "slug")
            continue
        if slug in seen:
            problems.add(f"{item}.id", "listed_twice", value=slug)
            continue
        seen.add(slug)
        category = {"id": slug}
        for language in ("fr", "en"):
            label = raw.get(language)
            if label is None and language == "en":
                continue
            if not isinstance(label, str) or not label.strip():
                problems.add(f"{item}.{language}", "category_name" if language == "fr" else "category_name_en")
                continue
            if len(label.strip()) > MAX_LABEL:
                problems.add(f"{item}.{language}", "category_length", most=MAX_LABEL)
            category[language] = " ".join(label.split())
        categories.append(category)
    return categories


def check_throttle(value: Any, problems: Problems, path: str = "throttle") -> dict[str, int] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != {"calls", "minutes"}:
        problems.add(path, "throttle_shape")
        return None
    return {"calls": check_int(value["calls"], f"{path}.calls", problems, *THROTTLE_CALLS),
            "minutes": check_int(value["minutes"], f"{path}.minutes", problems, *THROTTLE_MINUTES)}


def build_categories(docs: Sequence[Mapping[str, Any]] | None) -> tuple[Category, ...]:
    return tuple(Category(doc["id"], Localized(fr=doc["fr"], en=doc.get("en"))) for doc in docs or ())


def build_throttle(doc: Mapping[str, int] | None) -> Throttle | None:
    return Throttle(doc["calls"], doc["minutes"]) if doc else None
