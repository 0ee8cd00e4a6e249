"""Local associations and service numbers as written in associations.yaml and service_numbers.yaml: checked,
made canonical, built into routing objects and written back out."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from directory_data.build import build_schedule
from directory_data.fields import SLUG, Problems, check_timezone, e164
from directory_data.opening import check_holidays, check_hours, grouped_hours
from directory_data.problems import Problem
from directory_data.reference import load_departments
from routing.orientation import Association, AssociationDirectory, regions_of

ASSOCIATION_KEYS = {"id", "name", "department", "number", "display_number", "timezone", "hours", "holidays",
                    "topics", "fictitious"}  # fmt: skip
ASSOCIATION_ORDER = ("id", "name", "department", "number", "display_number", "timezone", "hours", "holidays",
                     "topics", "fictitious")  # fmt: skip
MAX_TOPICS = 20
MAX_TEXT = 200


def canonical_association(raw: Any, path: str, problems: Problems) -> dict[str, Any] | None:
    """One association as written (in the file or the console form) → its canonical document."""
    if not isinstance(raw, dict):
        problems.add(path, "association_shape")
        return None
    prefix = f"{path}." if path else ""
    for key in raw:
        if key not in ASSOCIATION_KEYS:
            problems.add(f"{prefix}{key}", "unknown_setting")
    slug = _association_slug(raw.get("id"), prefix, problems)
    name = _association_name(raw.get("name"), prefix, problems)
    code = str(raw.get("department") or "")
    department = load_departments().get(code)
    if department is None:
        problems.add(f"{prefix}department", "unknown_department_quoted", value=code)
    country = department.country if department is not None else "FR"
    number = e164(raw.get("number"), country)
    if number is None:
        problems.add(f"{prefix}number", "phone_number", value=raw.get("number"))
    timezone = raw.get("timezone") or (department.timezone if department is not None else "Europe/Paris")
    hours = check_hours(raw.get("hours"), f"{prefix}hours", problems)
    if not hours:
        problems.add(f"{prefix}hours", "association_hours")
    holidays = raw.get("holidays", {"country": country, "closes": True})
    topics = _association_topics(raw.get("topics"), prefix, problems)
    return {
        "id": slug,
        "name": name,
        "department": code,
        "number": number,
        "display_number": " ".join(str(raw.get("display_number") or "").split())[:40],
        "timezone": check_timezone(timezone, f"{prefix}timezone", problems),
        "hours": hours,
        "holidays": check_holidays(holidays, country, f"{prefix}holidays", problems),
        "topics": [" ".join(t.split())[:60] for t in topics],
        "fictitious": raw.get("fictitious", False) is True,
    }


def _association_slug(slug: Any, prefix: str, problems: Problems) -> str:
    """The association's id when it is a slug, "?" (reported) otherwise."""
    if not isinstance(slug, str) or not SLUG.match(slug):
        problems.add(f"{prefix}id", "slug")
        return "?"
    return slug


def _association_name(raw_name: Any, prefix: str, problems: Problems) -> str:
    """The association's name with its spaces tidied; an empty or overlong one is reported."""
    name = " ".join(str(raw_name or "").split())
    if not name:
        problems.add(f"{prefix}name", "association_name")
    elif len(name) > MAX_TEXT:
        problems.add(f"{prefix}name", "too_long", most=MAX_TEXT)
    return name


def _association_topics(raw_topics: Any, prefix: str, problems: Problems) -> list[str]:
    """The topics as written: a list of non-blank texts (none when it is not one), at most MAX_TOPICS."""
    topics = raw_topics or []
    if not isinstance(topics, list) or not all(isinstance(t, str) and t.strip() for t in topics):
        problems.add(f"{prefix}topics", "topics_shape")
        topics = []
    if len(topics) > MAX_TOPICS:
        problems.add(f"{prefix}topics", "topics_count", most=MAX_TOPICS)
    return topics


def read_associations(path: Path, shown: str, problems: list[Problem]) -> list[dict[str, Any]]:
    """Every association of ``path`` (none when the file is absent); problems are added to ``problems``."""
    if not path.exists():
        return []
    import yaml

    found = Problems(shown)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, OSError, UnicodeDecodeError) as error:
        problems.append(Problem(shown, "", "unreadable", detail=type(error).__name__))
        return []
    items = raw.get("associations") if isinstance(raw, dict) else None
    if not isinstance(items, list):
        found.add("associations", "associations_list")
        items = []
    docs, seen = [], set()
    for index, item in enumerate(items):
        doc = canonical_association(item, f"associations[{index}]", found)
        if doc is None:
            continue
        if doc["id"] in seen:
            found.add(f"associations[{index}].id", "used_twice", value=doc["id"])
        seen.add(doc["id"])
        docs.append(doc)
    problems.extend(found.found)
    return docs


def read_service_numbers(path: Path, shown: str, problems: list[Problem]) -> list[str]:
    """The coordinators' service numbers (none when the file is absent)."""
    if not path.exists():
        return []
    import yaml

    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, OSError, UnicodeDecodeError) as error:
        problems.append(Problem(shown, "", "unreadable", detail=type(error).__name__))
        return []
    found = Problems(shown)
    items = raw.get("coordinators") if isinstance(raw, dict) else None
    if not isinstance(items, list):
        found.add("coordinators", "coordinators_list")
        items = []
    numbers = []
    for index, item in enumerate(items):
        number = e164(item, "FR")
        if number is None:
            found.add(f"coordinators[{index}]", "phone_number", value=item)
        elif number not in numbers:
            numbers.append(number)
    problems.extend(found.found)
    return numbers


def export_association(doc: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: doc[k] for k in ASSOCIATION_ORDER if k in doc and (doc[k] not in (None, [], {}, "") or k == "fictitious")}
    out["hours"] = grouped_hours(doc["hours"])
    return out


def build_association(doc: Mapping[str, Any]) -> Association:
    return Association(
        slug=doc["id"],
        name=doc["name"],
        department=doc["department"],
        number=doc["number"],
        display_number=doc.get("display_number") or "",
        schedule=build_schedule(doc["timezone"], doc["hours"], doc.get("holidays")),
        topics=tuple(doc.get("topics") or ()),
        fictitious=bool(doc.get("fictitious")),
    )


def build_association_directory(docs) -> AssociationDirectory:
    return AssociationDirectory(tuple(build_association(d) for d in docs), regions_of(load_departments()))
