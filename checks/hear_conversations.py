"""Play issue 14's conversation situations against the engine through the independent emulator's world mode.

    .venv/bin/python -m checks.hear_conversations           # a report per check; exit status 1 if any is wrong
    .venv/bin/python -m checks.hear_conversations --show    # and what each party heard, instant by instant
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import yaml

from checks.app_under_test import ACCOUNT_SID, ServedApp
from checks.call_record import Outcome
from checks.conversation_checks import CONVERSATION_CHECKS, Played
from checks.conversation_expectations import expectations
from checks.conversations import LINE, LISTENER_A, LISTENER_B, LISTENER_C, LISTENER_D, SITUATIONS, Situation
from checks.desk_actor import DeskActor
from checks.scenarios import LINES
from checks.twilio_emulator import TwilioEmulator
from checks.twilio_rest import TwilioRest
from checks.world_mode import WorldMode

NAMES = {LISTENER_A: "Emulated listener A", LISTENER_B: "Emulated listener B", LISTENER_C: "Emulated listener C",
         LISTENER_D: "Emulated listener D"}
POOLS = {LISTENER_C: "ecoute-violences-conjugales", LISTENER_D: "un-premier-pas"}  # the others: France Victimes
SWEEP_SECONDS = 15.0
COORDINATORS = ("camille@example.org", "dominique@example.org")
DESK_ACCOUNTS = (*COORDINATORS, "ecoutant.a@example.org")  # checks.conversations.LISTENER_DESK is the last
PASSWORD = "un mot de passe assez long pour la console 42"


def play_situations(situations: list[Situation] = SITUATIONS, database_url: str | None = None) -> list[tuple]:
    """[(situation, played, findings by check)]"""
    out = []
    with TwilioRest(ACCOUNT_SID) as rest, ServedApp(database_url, rest.base_url) as served:
        for number, name in NAMES.items():
            served.cli("listeners", "add", "--name", name, "--phone", number, "--pool", POOLS.get(number, LINE),
                       "--pin", "48213")
        if any(s.desk for s in situations):
            _desk_accounts(served)
        for index, situation in enumerate(situations):
            with _queue_settings(served, situation):
                played = _play(served, rest, situation, situation.caller or f"+336987{index:05d}")
            findings = {name: check(played) for name, check in CONVERSATION_CHECKS.items()}
            findings["what the situation promises is heard"] = expectations(situation, played)
            out.append((situation, played, findings))
            served.clock.advance(3600)  # past any wrap-up and hold limit: the next situation starts afresh
            for number, name in NAMES.items():
                served.cli("listeners", "status", name, "offline")
    return out


def _staff(served: ServedApp, situation: Situation) -> None:
    for number, name in NAMES.items():
        status = "available" if number in situation.available else "paused" if number in situation.paused else "offline"
        served.cli("listeners", "status", name, status)


def _play(served: ServedApp, rest: TwilioRest, situation: Situation, caller: str) -> Played:
    _staff(served, situation)
    served.clock.set(datetime(*situation.at, tzinfo=LINES[situation.line].tz))
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
        emulator.call(LINES[situation.line].number, caller,
                      Outcome(hangup_at=situation.hangup_at, answers=dict(situation.caller_answers),
                              queue_presses=list(situation.caller_queue_presses)))
    finally:
        rest.world_side, rest.is_down = None, lambda: False
    problems = mode.problems + mode.world.errors
    problems += [f"REST request not emulated (answered 404): {r}" for r in rest.take_unknown()]
    problems += [f"desk: {problem}" for actor in actors for problem in actor.problems]
    roster = served.cli("listeners", "list")
    legs = _called_back_first(mode.world.legs, caller, problems) if situation.called_back else mode.world.legs
    return Played(situation.label, caller, legs, mode.callbacks, problems,
                  unheard_by_caller=situation.unheard_by_caller, listener_numbers=frozenset(NAMES),
                  listener_ends_call=situation.listener_ends_call or situation.ends_with_goodbye,
                  unheard_until=situation.caller_may_hear_supervisor_from or float("inf"),
                  pages=[page for actor in actors for page in actor.pages],
                  rung=frozenset(leg.base.get("To", "") for leg in mode.legs.values()), roster=roster)


def _called_back_first(legs: list, number: str, problems: list[str]) -> list:
    """A callback: the leg the engine placed to the number given is the caller's from now on (its checks: never
    silence, never hung up on); the call that asked for the callback is left out."""
    person = next((leg for leg in legs[1:] if leg.base.get("To") == number and getattr(leg, "answered", False)), None)
    if person is None:
        problems.append(f"{number} was never called back")
        return legs
    return [person] + [leg for leg in legs[1:] if leg is not person]


@contextmanager
def _queue_settings(served: ServedApp, situation: Situation):
    """For one situation, the line's file with more ``queue:`` settings (``helpline directory load --from`` a copy
    of the shipped files), then the shipped files again."""
    if not situation.queue_settings:
        yield
        return
    shipped = Path(__file__).resolve().parent.parent / "directory_data"
    with tempfile.TemporaryDirectory(prefix="emulated-directory-") as folder:
        for source in [*shipped.glob("*.yaml"), *shipped.glob("lines/*.yaml")]:
            target = Path(folder) / source.relative_to(shipped)
            target.parent.mkdir(parents=True, exist_ok=True)
            text = source.read_text(encoding="utf-8")
            if source.parent.name == "lines" and source.stem == situation.line:
                document = yaml.safe_load(text)
                document["queue"] = {**(document.get("queue") or {}), **situation.queue_settings}
                text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
            target.write_text(text, encoding="utf-8")
        served.cli("directory", "load", "--from", folder)
        try:
            yield
        finally:
            served.cli("directory", "load")


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
    parser.add_argument("--only", choices=["conference", "transfer", "desk", "pair", "callback"],
                        help="only the situations of one group: the conference alone, transfers, the desk, pairs or "
                             "callbacks")
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
    known = [f"  - {s.label}: {s.finding}" for s, _, _ in results if s.finding]
    if known:
        print("\nKnown engine faults (checks/README.md, Findings), expected wrong until fixed:\n" + "\n".join(known))
    print(f"\n{len(results)} situations in {time.monotonic() - started:.1f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
