"""`helpline call`, `helpline status` and `helpline demo`: try the engine without Twilio."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import click
import phonenumbers
from flask import current_app
from flask.cli import with_appcontext

from ivr.simulator import DIAL_STATUSES, CallSimulator, SimulatedClock
from routing.chain import describe_status
from schedules import status_at
from store.extension import database, directory

MARKS = {"say": "  says    ", "press": "  presses ", "silence": "  silence ", "music": "  music   ", "dial": "  dials   ",
         "whisper": "  whisper ", "queue": "  queue   ", "hangup": "  hangs up", "error": "  ERROR   "}  # fmt: skip


def _snapshot():
    with database.session() as session:
        snapshot = directory.get(session, current_app.config["CLOCK"]())
    if not snapshot.lines_by_slug and database.engine.dialect.name == "sqlite":
        # A first try before `helpline demo`: the embedded database gets the shipped lines, as the demo would.
        from commands.database import migrate_and_load

        migrate_and_load()
        click.echo("First use: the embedded database now holds the shipped lines (directory_data/).", err=True)
        with database.session() as session:
            snapshot = directory.get(session, current_app.config["CLOCK"]())
    return snapshot


def _find_line(snapshot, name: str):
    line = snapshot.lines_by_slug.get(name)
    if line is None:
        from phones.numbers import normalised

        line = snapshot.line_for(normalised(name))
    if line is None:
        known = ", ".join(sorted(snapshot.lines_by_slug)) or "none (run `helpline directory load`)"
        raise click.BadParameter(f"no line {name!r}; lines: {known}", param_hint="LINE")
    return line


# The one rule for --at, in `call` and `status` alike: a time with no UTC offset is read in the time zone of
# the line (the line called; for status, --tz, by default the zone of the national lines); every line and
# centre is then shown at that one instant, in its own local time.
AT_HELP = ("Date and time, e.g. 2026-07-21T19:00; with no offset (+01:00) it is read in {where} "
           "(default: now). The output says which zone was used.")
STATUS_ZONE = "Europe/Paris"
KEYS = re.compile(r"^(-|[0-9*#]*)$")  # "-": no key at all (the question times out)


def _moment(text: str | None, timezone: str) -> datetime:
    if not text:
        return current_app.config["CLOCK"]()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r}: write a date and time like 2026-07-21T19:00", param_hint="--at")
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(timezone))


def _zone_words(text: str | None, timezone: str) -> str:
    if not text:
        return "now"
    if datetime.fromisoformat(text).tzinfo:
        return "--at with its own UTC offset"
    return f"--at read in {timezone}"


def _phone(text: str, country: str, option: str, example: str = "e.g. +3225550107") -> str:
    """A number as Twilio would give it (E.164), or a one-line refusal."""
    try:
        parsed = phonenumbers.parse(text, country)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_possible_number(parsed):
        raise click.BadParameter(f"{text!r} is not a phone number; write it as dialled, {example}", param_hint=option)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _caller(text: str, country: str) -> str:
    return "anonymous" if text.strip().lower() in ("anonymous", "withheld", "") else _phone(text, country, "--from", "e.g. +33612345678, or anonymous")


def _presses(presses: tuple[str, ...]) -> list[str]:
    for keys in presses:
        if not KEYS.match(keys):
            raise click.BadParameter(f"{keys!r}: a phone has only the keys 0-9, * and # ('' for only the end key, - for no key at all)",
                                     param_hint="--press")
    return list(presses)


def _outcomes(pairs: tuple[str, ...], country: str) -> dict[str, str]:
    outcomes = {}
    for pair in pairs:
        number, _, status = pair.partition("=")
        if status not in DIAL_STATUSES:
            raise click.BadParameter(f"{pair!r}: write NUMBER=STATUS with STATUS one of {', '.join(DIAL_STATUSES)}",
                                     param_hint="--outcome")
        outcomes[_phone(number.strip(), country, "--outcome")] = status
    return outcomes


def _masked(number: str) -> str:
    digits = [c for c in number if c.isdigit()]
    return "a withheld number" if len(digits) < 4 else f"a number ending in {''.join(digits[-2:])}"


@click.command("call")
@click.argument("line_name", metavar="LINE")
@click.option("--at", "at", help=AT_HELP.format(where="the line's time zone"))
@click.option("--from", "caller", default="anonymous", show_default=True, help="The caller's number, or anonymous.")
@click.option("--press", "presses", multiple=True, help="Keys pressed at each question, in order (e.g. 94000#; - for no key at all, which times out).")
@click.option("--outcome", "outcomes", multiple=True, help="What a dialled number does: +3225550107=busy.")
@click.option("--default-outcome", type=click.Choice(DIAL_STATUSES), default="completed", show_default=True)
@click.option("--listener", is_flag=True, help="A fictitious listener takes the call (in a throwaway copy of the engine).")
@click.option("--transfer", "transfer", metavar="TARGET", help="The listener then transfers it from the keypad "
              "(* 4, the target's key, 1 warm), e.g. service:be-107 or centre:3977-94; implies --listener.")
@click.option("--cold", is_flag=True, help="With --transfer: a cold transfer (* 4, the target's key, 2): the caller "
              "hears one sentence and is put through on the answer, the listener freed.")
@click.option("--then", "then", type=click.Choice(("leave", "together", "cancel")), default="leave", show_default=True,
              help="Once the third party answered (warm): the listener leaves them, stays for three, or cancels.")
@with_appcontext
def call_command(line_name, at, caller, presses, outcomes, default_outcome, listener, transfer, cold, then) -> None:
    """Simulate a call to LINE (its id or number) through the real, signed webhooks and print what happens."""
    snapshot = _snapshot()
    line = _find_line(snapshot, line_name)
    start = _moment(at, line.schedule.timezone)
    caller, keys, dial_outcomes = _caller(caller, line.country), _presses(presses), _outcomes(outcomes, line.country)
    clock = SimulatedClock(start)
    if cold and not transfer:
        raise click.UsageError("--cold goes with --transfer TARGET")
    if listener or transfer:
        _conversation(line, at, start, clock, caller, keys, dial_outcomes, transfer, then, cold)
        return
    previous_clock, previous_mode = current_app.config["CLOCK"], current_app.config.get("DISPATCH_MODE")
    current_app.config["CLOCK"] = clock
    current_app.config["DISPATCH_MODE"] = "off"  # a simulated call never rings a real listener
    try:
        simulator = CallSimulator(current_app, to=line.numbers[0], caller=caller, presses=keys,
                                  outcomes=dial_outcomes, default_outcome=default_outcome, clock=clock)
        transcript = simulator.run()
    finally:
        current_app.config["CLOCK"] = previous_clock
        current_app.config["DISPATCH_MODE"] = previous_mode
    _heading(line, at, start, caller)
    for entry in transcript.entries:
        click.echo(f"{MARKS.get(entry.kind, entry.kind)}  {entry.text}")
    click.echo("Why (as recorded for this call):")
    for kind, detail in _recorded_events(transcript.call_sid):
        click.echo(f"  {kind:<16} {detail}")
    for number in sorted(set(dial_outcomes) - set(transcript.dialled)):
        click.echo(f"Note: --outcome {number} was never dialled in this call.")
    _fail_on_error(transcript)


def _conversation(line, at, start, clock, caller, keys, dial_outcomes, transfer, then, cold) -> None:
    from commands.conversation_call import CONVERSATION_MARKS, play_conversation

    transcript, events = play_conversation(line, start, clock, caller, keys, dial_outcomes, transfer, then, cold)
    _heading(line, at, start, caller)
    marks = {**MARKS, **CONVERSATION_MARKS}
    for entry in transcript.entries:
        click.echo(f"{marks.get(entry.kind, entry.kind)}  {entry.text}")
    click.echo("Why (as recorded for this call, in a throwaway copy of the engine):")
    for kind, detail in events:
        click.echo(f"  {kind:<20} {detail}")
    _fail_on_error(transcript)


def _fail_on_error(transcript) -> None:
    # A transfer target that is not the call's, an HTTP error or invalid TwiML: printed above, and the exit status
    # says so too, for a script or a test driving the simulator.
    if any(entry.kind == "error" for entry in transcript.entries):
        raise click.exceptions.Exit(1)


def _heading(line, at, start, caller) -> None:
    local = start.astimezone(ZoneInfo(line.schedule.timezone))
    click.echo(f"Call to {line.name} ({line.display_number}) from {_masked(caller)}, {local:%A %Y-%m-%d %H:%M %Z}"
               f" ({line.schedule.timezone}; {_zone_words(at, line.schedule.timezone)})")


def _recorded_events(sid: str) -> list[tuple[str, str]]:
    from store.calls import find_call

    with database.session() as session:
        call = find_call(session, sid)
        if call is None:
            return []
        events = [(e.kind, e.detail) for e in call.events]
        events.append(("outcome", call.outcome or "-"))
        return events


@click.command("status")
@click.option("--at", "at", help=AT_HELP.format(where="--tz"))
@click.option("--tz", "zone", default=STATUS_ZONE, show_default=True, help="Time zone of an --at with no offset.")
@with_appcontext
def status_command(at, zone) -> None:
    """Each line and centre at one instant: open or closed, why, and when that changes (in its local time)."""
    try:
        ZoneInfo(zone)
    except (KeyError, ValueError):
        raise click.BadParameter(f"{zone!r} is not a time zone such as Europe/Paris", param_hint="--tz")
    snapshot = _snapshot()
    moment = _moment(at, zone)
    click.echo(f"At {moment.astimezone(ZoneInfo(zone)):%A %Y-%m-%d %H:%M} {zone} ({_zone_words(at, zone)}):")
    for line in sorted(snapshot.lines_by_slug.values(), key=lambda l: l.slug):
        click.echo(f"{line.slug:<28} {describe_status(status_at(line.schedule, moment))}{_local(moment, line, zone)}")
    seen = set()
    for centre in snapshot.centres.values():
        if centre.slug in seen:
            continue
        seen.add(centre.slug)
        click.echo(f"  centre {centre.slug:<19} {describe_status(status_at(centre.schedule, moment))}"
                   f"{_local(moment, centre, zone)}")


def _local(moment: datetime, place, zone: str) -> str:
    """Where the line's or centre's own clock reads otherwise, say what it reads."""
    local = moment.astimezone(ZoneInfo(place.schedule.timezone))
    if local.utcoffset() == moment.astimezone(ZoneInfo(zone)).utcoffset():
        return ""
    return f"  (local time {local:%H:%M} {place.schedule.timezone})"


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@with_appcontext
def demo_command(host: str, port: int) -> None:
    """Migrate the database, load the shipped directory and serve the webhooks."""
    from commands.database import migrate_and_load

    report = migrate_and_load()
    snapshot = _snapshot()
    base = current_app.config.get("PUBLIC_URL") or f"http://{host}:{port}"
    click.echo(f"Database: {current_app.config['DATABASE_URL']}")
    for difference in report.kept:
        click.echo(f"Kept the edits of {difference.kind} {difference.slug} ({difference.edited_words()}); "
                   "`helpline directory load` shows how the files differ.")
    click.echo("Give Twilio these URLs for each number (HTTP POST):")
    click.echo(f"  Voice URL:        {base}/voice/incoming")
    click.echo(f"  Fallback URL:     {base}/voice/fallback")
    click.echo(f"  Status callback:  {base}/voice/status")
    click.echo("Lines:")
    for line in sorted(snapshot.lines_by_slug.values(), key=lambda l: l.slug):
        click.echo(f"  {line.slug:<28} {', '.join(line.numbers)}")
    click.echo("Try a call from another terminal:  .venv/bin/helpline call ecoute-violences-conjugales --at 2026-07-21T10:00")
    click.echo(f"Coordinators' console: {base}/console/")
    if not _has_accounts():
        click.echo("No console account yet; create the first (an admin; it asks a password) from another terminal:\n"
                   '  .venv/bin/helpline accounts create-admin --email you@example.org --name "Your Name"')
    current_app.run(host=host, port=port, debug=False, use_reloader=False)


def _has_accounts() -> bool:
    from sqlalchemy import select

    from store.models import ConsoleAccount

    with database.session(read_only=True) as session:
        return session.scalar(select(ConsoleAccount.id).limit(1)) is not None


@click.command("sweep")
@with_appcontext
def sweep_command() -> None:
    """Repair the queue once: expired offers, stuck listeners, unstaffed queues, then dispatch."""
    from ivr.sweep import sweep

    click.echo(sweep(current_app._get_current_object()).summary())


@click.command("script")
@click.argument("line_name", metavar="LINE")
@click.option("--lang", "language", type=click.Choice(("fr", "en")), default="fr", show_default=True,
              help="The language the caller chose (en: as on a number pointed at /voice/incoming?l=en).")
@with_appcontext
def script_command(line_name: str, language: str) -> None:
    """Print what callers hear on LINE, on every path, played in a throwaway copy of the directory."""
    from ivr.sandbox import sandbox
    from ivr.scenarios import REFERENCE_MONDAY
    from ivr.scripts import script

    snapshot = _snapshot()
    line = _find_line(snapshot, line_name)
    start = datetime.combine(REFERENCE_MONDAY, datetime.min.time(), ZoneInfo(line.schedule.timezone))
    clock = SimulatedClock(start)
    with database.session() as session, sandbox(current_app._get_current_object(), session, clock, start) as app:
        click.echo(script(app, line.slug, language))
