"""Play issue 14's conversation situations against the engine through the independent emulator's world mode.

    .venv/bin/python -m checks.hear_conversations           # a report per check; exit status 1 if any is wrong
    .venv/bin/python -m checks.hear_conversations --show    # and what each party heard, instant by instant
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from checks.app_under_test import ACCOUNT_SID, ServedApp
from checks.call_record import Outcome
from checks.conversation_checks import CONVERSATION_CHECKS, Played
from checks.conversations import AT, LINE, LISTENER_A, LISTENER_B, SITUATIONS, Situation
from checks.desk_actor import DeskActor
from checks.scenarios import LINES
from checks.twilio_emulator import TwilioEmulator
from checks.twilio_rest import TwilioRest
from checks.world_mode import WorldMode

NAMES = {LISTENER_A: "Emulated listener A", LISTENER_B: "Emulated listener B"}
SWEEP_SECONDS = 15.0
COORDINATORS = ("camille@example.org", "dominique@example.org")
DESK_ACCOUNTS = (*COORDINATORS, "ecoutant.a@example.org")  # checks.conversations.LISTENER_DESK is the last
PASSWORD = "un mot de passe assez long pour la console 42"


def play_situations(situations: list[Situation] = SITUATIONS, database_url: str | None = None) -> list[tuple]:
    """[(situation, played, findings by check)]"""
    out = []
    with TwilioRest(ACCOUNT_SID) as rest, ServedApp(database_url, rest.base_url) as served:
        for number, name in NAMES.items():
            served.cli("listeners", "add", "--name", name, "--phone", number, "--pool", LINE, "--pin", "48213")
        if any(s.desk for s in situations):
            _desk_accounts(served)
        for index, situation in enumerate(situations):
            with _offering_pairs(served, situation.pairs):
                played = _play(served, rest, situation, f"+336987{index:05d}")
            findings = {name: check(played) for name, check in CONVERSATION_CHECKS.items()}
            findings["what the situation promises is heard"] = expectations(situation, played)
            out.append((situation, played, findings))
            served.clock.advance(3600)  # past any wrap-up and hold limit: the next situation starts afresh
            for number, name in NAMES.items():
                served.cli("listeners", "status", name, "offline")
    return out


def _play(served: ServedApp, rest: TwilioRest, situation: Situation, caller: str) -> Played:
    for number, name in NAMES.items():
        served.cli("listeners", "status", name, "available" if number in situation.available else "offline")
    served.clock.set(datetime(*AT, tzinfo=ZoneInfo("Europe/Paris")))
    emulator = TwilioEmulator(served.base_url, served.auth_token, ACCOUNT_SID, advance=served.clock.advance,
                              rest=rest)
    mode = WorldMode(emulator, rest, situation.phonebook, default_party=situation.default_party)
    for at, args in situation.commands:
        mode.world.at(at, lambda args=args: served.cli(*args))
    _sweep_every(mode, served, SWEEP_SECONDS)
    actors = [DeskActor(served.base_url) for _ in DESK_ACCOUNTS] if situation.desk else []
    for actor, email in zip(actors, DESK_ACCOUNTS):
        actor.sign_in(email, PASSWORD)
    for at, who, action, argument in situation.desk:
        mode.world.at(at, lambda who=who, action=action, argument=argument: actors[who].act(action, argument))
    if situation.rest_down:
        start, end = situation.rest_down
        rest.is_down = lambda: start <= mode.world.now < end
    try:
        emulator.call(LINES[LINE].number, caller, Outcome(hangup_at=situation.hangup_at))
    finally:
        rest.world_side, rest.is_down = None, lambda: False
    problems = mode.problems + mode.world.errors
    problems += [f"REST request not emulated (answered 404): {r}" for r in rest.take_unknown()]
    problems += [f"desk: {problem}" for actor in actors for problem in actor.problems]
    return Played(situation.label, caller, mode.world.legs, mode.callbacks, problems,
                  unheard_by_caller=situation.unheard_by_caller, listener_numbers=frozenset(NAMES),
                  listener_ends_call=situation.listener_ends_call,
                  unheard_until=situation.caller_may_hear_supervisor_from or float("inf"),
                  pages=[page for actor in actors for page in actor.pages])


@contextmanager
def _offering_pairs(served: ServedApp, pairs: bool):
    """The line's file with ``queue: {offer_to_pair: true}``, loaded as an admin would, then the shipped one again."""
    if not pairs:
        yield
        return
    from directory_data.fields import DATA_DIR

    with tempfile.TemporaryDirectory(prefix="pairs-") as folder:
        root = Path(folder) / "directory_data"
        shutil.copytree(DATA_DIR, root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
        path = root / "lines" / f"{LINE}.yaml"
        path.write_text(path.read_text(encoding="utf-8") + "queue:\n  offer_to_pair: true\n", encoding="utf-8")
        served.cli("directory", "load", "--from", str(root), "--force", "--reason", "calls offered to pairs")
    try:
        yield
    finally:
        served.cli("directory", "load", "--force", "--reason", "the shipped line again")


def _desk_accounts(served: ServedApp) -> None:
    """Two coordinators of the line, and listener A's own login (``helpline accounts add --role listener``)."""
    for email in COORDINATORS:
        served.cli("accounts", "add", "--email", email, "--name", email.split("@")[0], "--role", "coordinator",
                   "--line", LINE, input=f"{PASSWORD}\n{PASSWORD}\n")
    listed = served.cli("listeners", "list")
    found = re.search(r"#(\d+)\s+" + re.escape(NAMES[LISTENER_A]), listed)
    served.cli("accounts", "add", "--email", DESK_ACCOUNTS[-1], "--name", NAMES[LISTENER_A], "--role", "listener",
               "--listener", found.group(1) if found else "0", input=f"{PASSWORD}\n{PASSWORD}\n")


def _sweep_every(mode: WorldMode, served: ServedApp, seconds: float) -> None:
    """The scheduler's queue sweep (README: every 15 s), for as long as a leg is live."""
    def sweep() -> None:
        served.cli("sweep")
        if any(not getattr(leg, "finished", False) for leg in mode.world.legs):
            mode.world.at(mode.world.now + seconds, sweep)

    mode.world.at(seconds, sweep)


def expectations(situation: Situation, played: Played) -> list[str]:
    first = next((leg for leg in played.legs[1:] if leg.name == "listener"), None)
    return _said(situation, played, first) + _parties(situation, played, first) + _supervisors(played) + \
        _back_with_listener(situation, played) + _second_said(situation, played)


def _second_said(situation: Situation, played: Played) -> list[str]:
    second = next((leg for leg in played.legs[1:] if leg.name == "second listener"), None)
    said = [h.text for h in second.record.says()] if second else []
    return [f"the second listener never hears « {pattern} »" for pattern in situation.second_expect_said
            if not any(re.search(pattern, text) for text in said)]


def _said(situation: Situation, played: Played, first) -> list[str]:
    """Said to the caller once a listener took the call (the greeting does not count)."""
    bridged = next((e.at for e in played.caller.record.events if e.kind == "conference"), float("inf"))
    said = [h.text for h in played.caller.record.says() if h.start >= bridged - 0.01]
    findings = [f"the caller never hears « {pattern} »" for pattern in situation.expect_said
                if not any(re.search(pattern, text) for text in said)]
    findings += [f"the caller is told « {text} »" for pattern in situation.never_said for text in said
                 if re.search(pattern, text)]
    listener_said = [h.text for h in first.record.says()] if first else []
    return findings + [f"the listener never hears « {pattern} »" for pattern in situation.listener_expect_said
                       if not any(re.search(pattern, text) for text in listener_said)]


def _parties(situation: Situation, played: Played, first) -> list[str]:
    heard = {p for h in played.caller.record.heard for p in h.parties}
    findings = [f"the caller never hears the {name}" for name in situation.expect_parties if name not in heard]
    by_listener = {p for h in first.record.heard for p in h.parties} if first else set()
    return findings + [f"the listener never hears the {name}" for name in situation.listener_expect_parties
                       if name not in by_listener]


def _supervisors(played: Played) -> list[str]:
    supervisors = sorted((leg.t0, leg.t0 + leg.record.seconds) for leg in played.legs[1:]
                         if "supervisor" in leg.name and getattr(leg, "answered", False))
    return [f"two supervisors on the call at once from {b[0]:.0f} s" for a, b in zip(supervisors, supervisors[1:])
            if b[0] < a[1] - 0.01]


def _back_with_listener(situation: Situation, played: Played) -> list[str]:
    if not situation.listener_back_between:
        return []
    low, high = situation.listener_back_between
    if any("listener" in h.parties and low <= h.start <= high for h in played.caller.record.heard):
        return []
    return [f"the caller is not back with the listener between {low:.0f} s and {high:.0f} s"]


def timeline(played: Played) -> str:
    lines = [f"--- {played.label}"]
    origin = played.caller.t0
    for leg in played.legs:
        lines.append(f"  [{leg.name}] {leg.base.get('To', '')} — ended: {leg.record.ended_by}")
        # At one instant, what happened (a key, a redirect) comes before what it made the leg hear.
        entries = [(leg.t0 - origin + h.start, 1, f"{h.kind:<12}{h.text[:110]} ({h.seconds:.0f} s)")
                   for h in leg.record.heard]
        entries += [(leg.t0 - origin + e.at, 0, f"{e.kind:<12}{e.detail[:110]}") for e in leg.record.events
                    if e.kind not in ("question",)]
        lines += [f"    {at:7.1f}s  {text}" for at, _, text in sorted(entries, key=lambda item: item[:2])]
    return "\n".join(lines)


def report(results: list[tuple]) -> tuple[str, bool]:
    names = list(results[0][2]) if results else []
    out, ok = [f"Independent emulator: {len(results)} conversation situations"], True
    for name in names:
        wrong = [(s, f[name]) for s, _, f in results if f[name]]
        out.append(f"{'FAIL' if wrong else 'ok  '}  {name}: {len(wrong)} of {len(results)} situations wrong")
        ok = ok and not wrong
        for situation, findings in wrong:
            out.append(f"    {situation.label}")
            out.extend(f"      - {finding}" for finding in findings)
    return "\n".join(out), ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="store_true", help="print what every party heard")
    parser.add_argument("--only", choices=["conference", "transfer", "desk"], help="only the situations of one group: the conference alone, transfers or the desk")
    parser.add_argument("--database-url", help="SQLAlchemy URL of an empty database (default: a temporary SQLite)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    chosen = [s for s in SITUATIONS if not args.only or (s.needs or "conference") == args.only]
    results = play_situations(chosen, database_url=args.database_url)
    if args.show:
        for _, played, _ in results:
            print(timeline(played))
    text, ok = report(results)
    print(text)
    print(f"\n{len(results)} situations in {time.monotonic() - started:.1f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
