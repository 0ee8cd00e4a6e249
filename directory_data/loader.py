"""Reads lines/*.yaml and centres.yaml, validates them all together, and writes them back out."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from directory_data.associations import export_association, read_associations, read_service_numbers
from directory_data.build import build_line
from directory_data.callback_settings import window_meets_hours, window_words
from directory_data.fields import DATA_DIR, DirectoryError, Problems
from directory_data.opening import grouped_hours
from directory_data.lines import LINE_ORDER, canonical_centre, canonical_line
from directory_data.problems import Problem
from directory_data.reference import load_departments, load_services
from routing.validation import chain_problems, forwarding_loops

__all__ = ["DirectoryError", "DirectoryFiles", "line_file_text", "read_directory", "validate_documents",
           "write_directory"]


@dataclass
class DirectoryFiles:
    """The canonical documents of every line and centre, ready for the database."""

    lines: list[dict[str, Any]]
    centres: list[dict[str, Any]]
    # Where they were read from, as problems name them.
    lines_dir: str = "directory_data/lines"
    centres_file: str = "directory_data/centres.yaml"
    # Local associations (associations.yaml) and the coordinators' service numbers (service_numbers.yaml).
    associations: list[dict[str, Any]] = field(default_factory=list)
    service_numbers: list[str] = field(default_factory=list)


def read_directory(root: Path = DATA_DIR) -> DirectoryFiles:
    """Read every file under ``root``; raise DirectoryError listing all problems, or return everything."""
    problems: list[Problem] = []
    lines = []
    broken: set[str] = set()  # files whose line cannot be built into routing objects
    line_paths = sorted((root / "lines").glob("*.yaml"))
    if not line_paths:
        # A mistyped --from would otherwise read as "no lines at all", and --prune would delete them all.
        raise DirectoryError([Problem(str(root), "", "no_line_files", expected=root / "lines")])
    for path in line_paths:
        found = Problems(_shown(path, root))
        raw = _load_yaml(path, found)
        doc = canonical_line(raw, found) if raw is not None else None
        if doc is not None:
            doc["source_file"] = path.name
            lines.append(doc)
        if found.found:
            broken.add(path.name)
        problems.extend(found.found)
    centres = []
    centres_path = root / "centres.yaml"
    centres_ok = True
    if centres_path.exists():
        found = Problems(_shown(centres_path, root))
        raw = _load_yaml(centres_path, found)
        items = raw.get("centres") if isinstance(raw, dict) else None
        if raw is not None and not isinstance(items, list):
            found.add("centres", "centres_list")
        for index, item in enumerate(items or []):
            doc = canonical_centre(item, f"centres[{index}]", found)
            if doc is not None:
                centres.append(doc)
        centres_ok = not found.found
        problems.extend(found.found)
    # Checks across files run even when some file is wrong, so one run reports everything it can.
    files = DirectoryFiles(lines, centres, _shown(root / "lines", root), _shown(centres_path, root))
    problems.extend(
        validate_documents(lines, centres, files.lines_dir, files.centres_file, broken, centres_complete=centres_ok)
    )
    _read_orientation_files(root, files, problems)
    if problems:
        raise DirectoryError(problems)
    return files


def _read_orientation_files(root: Path, files: DirectoryFiles, problems: list[Problem]) -> None:
    """associations.yaml and service_numbers.yaml: a service number must never be a line's number."""
    files.associations = read_associations(root / "associations.yaml", _shown(root / "associations.yaml", root),
                                           problems)
    shown = _shown(root / "service_numbers.yaml", root)
    files.service_numbers = read_service_numbers(root / "service_numbers.yaml", shown, problems)
    owners = {number: doc["id"] for doc in files.lines for number in doc["numbers"]}
    for index, number in enumerate(files.service_numbers):
        if number in owners:
            problems.append(Problem(shown, f"coordinators[{index}]", "number_taken", value=number, owner=owners[number]))


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


def _load_yaml(path: Path, problems: Problems) -> Any:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problems.add(f"line {mark.line + 1}" if mark else "", "yaml_invalid", detail=getattr(error, "problem", error))
        return None
    except (OSError, UnicodeDecodeError) as error:
        problems.add("", "unreadable", detail=error)
        return None
    if raw is None:
        problems.add("", "empty")
    return raw


def validate_documents(
    lines: list[dict[str, Any]],
    centres: list[dict[str, Any]],
    lines_dir: str = "directory_data/lines",
    centres_file: str = "directory_data/centres.yaml",
    broken: set[str] | frozenset[str] = frozenset(),
    centres_complete: bool = True,
) -> list[Problem]:
    """Checks across documents: unique ids and numbers, known départements, working chains, no loops.

    Lines whose file is in ``broken`` are only checked for clashes: their chain cannot be built yet."""

    def source(doc: dict[str, Any]) -> str:
        return doc.get("source_file") or f"{doc['id']}.yaml"

    def where(doc: dict[str, Any]) -> str:
        return f"{lines_dir}/{source(doc)}"

    problems = _line_clashes(lines, where) + _centre_clashes(centres, centres_file)
    networks = {doc["network"] for doc in centres}
    buildable = [doc for doc in lines if source(doc) not in broken]
    built = []
    for doc in buildable:
        line = build_line(doc)
        problems.extend(_line_problems(doc, line, networks, centres_complete, where(doc)))
        built.append(line)
    if centres_complete:
        problems.extend(_unapproved_forwards(lines, centres, where))
    by_slug = {doc["id"]: doc for doc in buildable}
    for problem in forwarding_loops(built):
        problems.append(Problem(where(by_slug[problem.line]), problem.key_path(), problem.code, **problem.values))
    return problems


def _line_clashes(lines: list[dict[str, Any]], where) -> list[Problem]:
    """Two lines with the same id, or one number answered by two lines."""
    problems = []
    seen_lines: dict[str, str] = {}
    owners: dict[str, str] = {}
    for doc in lines:
        if doc["id"] in seen_lines:
            problems.append(Problem(where(doc), "id", "id_taken", value=doc["id"], owner=seen_lines[doc["id"]]))
        seen_lines[doc["id"]] = where(doc)
        for index, number in enumerate(doc["numbers"]):
            if number in owners and owners[number] != doc["id"]:
                problems.append(Problem(where(doc), f"numbers[{index}]", "number_taken", value=number, owner=owners[number]))
            owners[number] = doc["id"]
    return problems


def _centre_clashes(centres: list[dict[str, Any]], centres_file: str) -> list[Problem]:
    """Two centres with the same id, unknown départements, a département served twice in one network."""
    departments = load_departments()
    problems = []
    served: dict[tuple[str, str], str] = {}
    seen_centres: set[str] = set()
    for index, doc in enumerate(centres):
        path = f"centres[{index}]"
        if doc["id"] in seen_centres:
            problems.append(Problem(centres_file, f"{path}.id", "used_twice", value=doc["id"]))
        seen_centres.add(doc["id"])
        for d_index, code in enumerate(doc["departments"]):
            if code not in departments:
                problems.append(Problem(centres_file, f"{path}.departments[{d_index}]", "unknown_department", value=code))
            key = (doc["network"], code)
            if key in served:
                problems.append(Problem(centres_file, f"{path}.departments[{d_index}]", "department_served", value=code,
                                        owner=served[key]))
            served[key] = doc["id"]
    return problems


def _line_problems(doc: dict[str, Any], line, networks: set[str], centres_complete: bool, file: str) -> list[Problem]:
    """One buildable line: a hand-off with no centre, callback windows outside hours, a chain that cannot work."""
    problems = []
    hands_off = any(rule["action"] == "handoff" for rule in doc["overflow"])
    if hands_off and centres_complete and (doc.get("handoff_network") or doc["id"]) not in networks:
        problems.append(Problem(file, "handoff_network", "no_centre", value=doc.get("handoff_network") or doc["id"]))
    for window in (doc.get("callback") or {}).get("windows") or ():
        if not window_meets_hours(window, doc["hours"]):  # a caller choosing it would never be called back
            problems.append(Problem(file, "callback.windows", "callback_window", value=window_words(window)))
    for problem in chain_problems(line):
        problems.append(Problem(file, problem.key_path(), problem.code, **problem.values))
    return problems


def _unapproved_forwards(lines: list[dict[str, Any]], centres: list[dict[str, Any]], where) -> list[Problem]:
    """A forward may dial the directory's own numbers (lines, centres, services) and the numbers an admin
    approved for the line (``forward_numbers``); nothing else, so a chain edited in the console cannot send
    callers to any mobile phone."""
    known = {number for doc in lines for number in doc["numbers"]} | {c["number"] for c in centres if c["number"]}
    known |= {service.dial_number for service in load_services().values() if service.dial_number}
    problems = []
    for doc in lines:
        approved = known | set(doc.get("forward_numbers") or ()) | {doc.get("emergency_fallback")}
        for index, rule in enumerate(doc["overflow"]):
            target = rule.get("target")
            if rule.get("action") == "forward" and isinstance(target, str) and target.startswith("+") \
                    and target not in approved:
                problems.append(Problem(where(doc), f"overflow[{index}].forward", "forward_not_approved", value=target))
    return problems


def write_directory(files: DirectoryFiles, root: Path) -> list[Path]:
    """Write each line to ``root/lines/<file>`` and the centres to ``root/centres.yaml``."""
    written = []
    (root / "lines").mkdir(parents=True, exist_ok=True)
    for doc in files.lines:
        path = root / "lines" / (doc.get("source_file") or f"{doc['id']}.yaml")
        path.write_text(line_file_text(doc), encoding="utf-8")
        written.append(path)
    if files.centres:
        path = root / "centres.yaml"
        path.write_text(_dump({"centres": [export_centre(c) for c in files.centres]}), encoding="utf-8")
        written.append(path)
    if files.associations:
        path = root / "associations.yaml"
        path.write_text(_dump({"associations": [export_association(a) for a in files.associations]}),
                        encoding="utf-8")
        written.append(path)
    if files.service_numbers:
        path = root / "service_numbers.yaml"
        path.write_text(_dump({"coordinators": list(files.service_numbers)}), encoding="utf-8")
        written.append(path)
    return written


def line_file_text(doc: dict[str, Any]) -> str:
    """The line's file exactly as an export writes it (the console's download uses this too)."""
    return _dump(export_line(doc))


def export_line(doc: dict[str, Any]) -> dict[str, Any]:
    """The line as a person would write it: settings in the usual order, the chain last, no empty values."""
    order = [key for key in LINE_ORDER if key in doc] + sorted(k for k in doc if k not in LINE_ORDER)
    out = {k: doc[k] for k in order if k != "source_file" and doc[k] not in (None, [], {}, "")}
    if doc.get("quick_exit_key", "*") is None:
        out["quick_exit_key"] = None  # left out, it would read back as the default "*"
    if out.get("pool") == doc["id"]:
        del out["pool"]  # the default
    out["hours"] = grouped_hours(doc["hours"])
    out["overflow"] = [_export_rule(rule) for rule in doc["overflow"]]
    return {k: out.pop(k) for k in [k for k in out if k != "overflow"] + ["overflow"]}


def export_centre(doc: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in doc.items() if v not in (None, [], {}, "") or k == "fictitious"}
    out["hours"] = grouped_hours(doc["hours"])
    return out


def _export_rule(rule: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if rule.get("when"):
        out["when"] = rule["when"][0] if len(rule["when"]) == 1 else list(rule["when"])
    action = rule["action"]
    if action == "forward":
        out["forward"] = rule["target"]
        out["timeout"] = rule["timeout"]
        if rule.get("label"):
            out["label"] = rule["label"]
    elif action == "handoff":
        out["handoff"] = "department"
        out["timeout"] = rule["timeout"]
    elif action == "queue":
        out["queue"] = rule.get("target") or True
    elif action == "association":
        out["association"] = rule["target"]
        if rule["target"] == "handoff":
            out["timeout"] = rule["timeout"]
    elif action == "message":
        out["message"] = rule.get("prompt") or rule.get("text")
    else:
        out[action] = True
    return out


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=110)
