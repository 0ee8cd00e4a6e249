"""What callers must hear in a queue and once a listener takes the call: no long silence while queued, the line's
``max_wait`` kept, the caller put through and the listener asked to classify the call."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from checks.call_record import CallRecord
from checks.french_words import french_slips, unique
from checks.scenarios import Scenario

MAX_QUEUED_SILENCE = 5.0
MAX_WAIT_SLACK = 5.0
LINE_FILES = Path(__file__).resolve().parent.parent / "directory_data" / "lines"


def check_queue_silence(scenario: Scenario, record: CallRecord) -> list[str]:
    queued = [h for h in record.heard if h.queued]
    if scenario.staffed and not any(e.kind == "enqueue" for e in record.events):
        return ["a listener is logged in (paused) but the caller was never queued"]
    findings, run, run_start = [], 0.0, 0.0
    for heard in queued + [None]:
        if heard is not None and heard.kind == "silence":
            run_start = heard.start if run == 0 else run_start
            run += heard.seconds
            continue
        if run > MAX_QUEUED_SILENCE:
            findings.append(f"{run:.0f} s of silence while queued, from {run_start:.0f} s into the call")
        run = 0.0
    return findings[:3] + ([f"... and {len(findings) - 3} more silences over 5 s"] if len(findings) > 3 else [])


def check_max_wait(scenario: Scenario, record: CallRecord) -> list[str]:
    """A line whose file sets ``queue.max_wait`` takes the caller out of the queue within 5 s of it, whatever the
    announcement cadence (issue 12, item 7), and the chain goes on."""
    limit = (_line_file(scenario.line).get("queue") or {}).get("max_wait")
    enqueued = next((e.at for e in record.events if e.kind == "enqueue"), None)
    if not limit or enqueued is None or any(e.kind in ("bridged", "conference") for e in record.events):
        return []
    left = next((e for e in record.events if e.kind == "queue-end"), None)
    if left is None or left.detail != "leave":
        waited = (left.at if left else record.seconds) - enqueued
        return [f"max_wait is {limit} s but the caller was still queued after {waited:.0f} s"] \
            if waited > limit + MAX_WAIT_SLACK else []
    waited = left.at - enqueued
    if waited > limit + MAX_WAIT_SLACK:
        return [f"max_wait is {limit} s but the caller left the queue after {waited:.0f} s"]
    return []


def _line_file(slug: str) -> dict:
    """The shipped line file, read as the public YAML it is (directory_data/lines/SLUG.yaml)."""
    return yaml.safe_load((LINE_FILES / f"{slug}.yaml").read_text(encoding="utf-8"))


def check_listener_side(scenario: Scenario, record: CallRecord) -> list[str]:
    """With a listener free, the caller is put through; after the talk the listener classifies the call,
    whichever leg's webhooks Twilio sends first; what the listener hears is natural French too."""
    findings = [f"{what} (heard by the listener): « {text} »"
                for text in record.listener for what in french_slips(text)]
    if not scenario.answered:
        return findings
    if not any(e.kind in ("bridged", "conference") for e in record.events):
        return findings + ["a listener was free and answered, but the caller was never put through"]
    gone = [text for text in record.listener if re.search(r"n'est plus en ligne|no longer on the line", text, re.I)]
    if gone:
        findings.append(f"after a real conversation the listener hears « {gone[0]} »")
    if not any(re.search(r"classer|classify", text, re.I) for text in record.listener):
        findings.append("after the conversation the listener is never asked to classify the call")
    return unique(findings)
