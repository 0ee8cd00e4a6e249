"""Play every shipped line at its boundary times through the independent emulator; report what callers hear wrong.

    .venv/bin/python -m checks.hear_every_line            # the report; exit status 1 if any check fails
    .venv/bin/python -m checks.hear_every_line --show     # and every call's timeline
    .venv/bin/python -m checks.hear_every_line --line ecoute-violences-conjugales --show
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from checks.app_under_test import ACCOUNT_SID, ServedApp
from checks.call_record import CallRecord, Event, Outcome
from checks.scenarios import CLOSURES, LINES, SCENARIOS, Scenario
from checks.twilio_emulator import TwilioEmulator
from checks.twilio_rest import TwilioRest
from checks.world_mode import Party, WorldMode
from checks.what_callers_must_hear import CHECKS


@dataclass
class Played:
    scenario: Scenario
    record: CallRecord
    findings: dict[str, list[str]]


def play_all(scenarios: list[Scenario] = SCENARIOS, database_url: str | None = None) -> list[Played]:
    played = []
    with tempfile.TemporaryDirectory(prefix="lines-with-closures-") as folder, TwilioRest(ACCOUNT_SID) as rest, \
            ServedApp(database_url, rest.base_url, _directory_with_closures(Path(folder))) as served:
        listeners = {}
        for line in {s.line for s in scenarios}:
            name = f"Emulated listener {line}"
            served.cli("listeners", "add", "--name", name, "--phone", LINES[line].listener_phone,
                       "--pool", LINES[line].pool, "--pin", "48213")
            listeners[line] = name
        emulator = TwilioEmulator(served.base_url, served.auth_token, ACCOUNT_SID, advance=served.clock.advance,
                                  rest=rest)
        for number, scenario in enumerate(scenarios):
            line = LINES[scenario.line]
            if scenario.staffed or scenario.answered:
                served.cli("listeners", "status", listeners[scenario.line],
                           "paused" if scenario.staffed else "available")
            served.clock.set(scenario.instant())
            # A number of its own per call: the lines' repeat-call throttle must not mistake the checks for a
            # nuisance caller; every fourth call is withheld, as many real ones are.
            caller = "anonymous" if number % 4 == 3 else (
                f"+3247{number:07d}" if line.country == "BE" else f"+336{number:08d}")
            if scenario.answered:
                record = world_call(served, rest, line, caller, scenario.outcome)
            else:
                record = emulator.call(line.number, caller, scenario.outcome, line.country)
            # An endpoint the emulator lacks changes what the engine does: say so rather than judge the call.
            record.problems.extend(f"REST request not emulated (answered 404): {r}" for r in rest.take_unknown())
            if scenario.staffed or scenario.answered:
                served.clock.advance(600)  # past any wrap-up: a listener's status can change again
                served.cli("listeners", "status", listeners[scenario.line], "offline")
            findings = {name: check(scenario, record) for name, check in CHECKS.items()}
            played.append(Played(scenario, record, findings))
    return played


def world_call(served: ServedApp, rest: TwilioRest, line, caller: str, outcome) -> CallRecord:
    """A call a listener takes, in world mode: the listener's phone is a leg of its own on the same clock, so a
    bridge through ``<Dial><Queue>`` or through a conference (the caller redirected into it) sounds as it would."""
    emulator = TwilioEmulator(served.base_url, served.auth_token, ACCOUNT_SID, advance=served.clock.advance,
                              rest=rest)
    # Takes the call, then the first category; picks up after 15 s: a listener who answers sooner meets the engine
    # dialling the caller's queue before the caller has reached it (see checks/README.md, "Findings").
    listener = Party("listener", ring=15.0, outcome=Outcome(presses=["1"] * 8))
    mode = WorldMode(emulator, rest, {line.listener_phone: listener})
    try:
        record = emulator.call(line.number, caller, outcome, line.country)
    finally:
        rest.world_side = None
    caller_leg = mode.world.legs[0]
    for leg in mode.world.legs[1:]:
        record.listener.extend(h.text for h in leg.record.says())
        record.problems.extend(f"{leg.name}'s leg: {problem}" for problem in leg.record.problems)
        shift = leg.t0 - caller_leg.t0  # the other leg's instants on the caller's timeline
        record.events.extend(Event(e.at + shift, f"{leg.name}-{e.kind}", e.detail) for e in leg.record.events)
    record.problems.extend(mode.problems + mode.world.errors)
    return record


def _directory_with_closures(folder: Path) -> Path:
    """The shipped directory files, with the checks' dated closures added to their lines' files."""
    shipped = Path(__file__).resolve().parent.parent / "directory_data"
    for source in [*shipped.glob("*.yaml"), *shipped.glob("lines/*.yaml")]:
        target = folder / source.relative_to(shipped)
        target.parent.mkdir(parents=True, exist_ok=True)
        text = source.read_text(encoding="utf-8")
        if source.parent.name == "lines" and source.stem in CLOSURES:
            document = yaml.safe_load(text)
            document["closures"] = [*(document.get("closures") or []), *CLOSURES[source.stem]]
            text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
        target.write_text(text, encoding="utf-8")
    return folder


def timeline(played: Played) -> str:
    lines = [f"--- {played.scenario.label}"]
    marks = {"say": "says", "play": "plays", "silence": "silence", "ring": "rings", "tone": "tone", "talk": "talks"}
    entries = [(h.start, 1, f"{marks[h.kind]:<12}{'[queued] ' if h.queued else ''}"
                        f"{h.text if h.kind != 'silence' else f'{h.seconds:.0f} s'}") for h in played.record.heard]
    entries += [(e.at, 0, f"{e.kind:<12}{e.detail}") for e in played.record.events
                if e.kind in ("press", "timeout", "dial", "dial-result", "enqueue", "queue-end", "hangup",
                              "listener-answers", "bridged")]
    for at, _, text in sorted(entries, key=lambda item: (item[0], item[1])):
        lines.append(f"  {at:6.1f}s  {text}")
    for whisper in played.record.whispers:
        lines.append(f"  whisper  {whisper}")
    for heard in played.record.listener:
        lines.append(f"  listener {heard}")
    return "\n".join(lines)


def report(played: list[Played]) -> tuple[str, bool]:
    out, ok = [], True
    out.append(f"Independent emulator: {len(played)} calls over {len({p.scenario.line for p in played})} lines")
    for name in CHECKS:
        failing = [(p, p.findings[name]) for p in played if p.findings[name]]
        out.append(f"{'FAIL' if failing else 'ok  '}  {name}: {len(failing)} of {len(played)} calls wrong")
        ok = ok and not failing
    for name in CHECKS:
        failing = [(p, p.findings[name]) for p in played if p.findings[name]]
        if not failing:
            continue
        out.append(f"\n== {name}")
        for p, findings in failing:
            out.append(f"  {p.scenario.label}")
            out.extend(f"    - {finding}" for finding in findings)
    return "\n".join(out), ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="store_true", help="print every call's timeline")
    parser.add_argument("--line", choices=sorted(LINES), help="only this line")
    parser.add_argument("--database-url", help="SQLAlchemy URL of an empty database (default: a temporary SQLite)")
    args = parser.parse_args(argv)
    scenarios = [s for s in SCENARIOS if not args.line or s.line == args.line]
    started = time.monotonic()
    played = play_all(scenarios, args.database_url)
    if args.show:
        for p in played:
            print(timeline(p))
    text, ok = report(played)
    print(text)
    print(f"\n{sum(len(p.record.requests) for p in played)} webhooks in {time.monotonic() - started:.1f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
