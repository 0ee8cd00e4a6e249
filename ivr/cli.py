"""`helpline call`, `helpline status` and `helpline demo`: try the engine without Twilio."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import click
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
        return directory.get(session, current_app.config["CLOCK"]())


def _find_line(snapshot, name: str):
    line = snapshot.lines_by_slug.get(name)
    if line is None:
        from ivr.webhooks import normalise_number

        line = snapshot.line_for(normalise_number(name))
    if line is None:
        known = ", ".join(sorted(snapshot.lines_by_slug)) or "none (run `helpline directory load`)"
        raise click.BadParameter(f"no line {name!r}; lines: {known}", param_hint="LINE")
    return line


def _moment(text: str | None, timezone: str) -> datetime:
    if not text:
        return current_app.config["CLOCK"]()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r}: write a date and time like 2026-07-21T19:00", param_hint="--at")
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(timezone))


def _outcomes(pairs: tuple[str, ...]) -> dict[str, str]:
    outcomes = {}
    for pair in pairs:
        number, _, status = pair.partition("=")
        if status not in DIAL_STATUSES:
            raise click.BadParameter(f"{pair!r}: write NUMBER=STATUS with STATUS one of {', '.join(DIAL_STATUSES)}",
                                     param_hint="--outcome")
        outcomes[number.strip()] = status
    return outcomes


def _masked(number: str) -> str:
    digits = [c for c in number if c.isdigit()]
    return "a withheld number" if len(digits) < 4 else f"a number ending in {''.join(digits[-2:])}"


@click.command("call")
@click.argument("line_name", metavar="LINE")
@click.option("--at", "at", help="Local time of the call in the line's time zone, e.g. 2026-07-21T19:00 (default: now).")
@click.option("--from", "caller", default="anonymous", show_default=True, help="The caller's number, or anonymous.")
@click.option("--press", "presses", multiple=True, help="Keys pressed at each question, in order (e.g. 94000#; - for no key at all, which times out).")
@click.option("--outcome", "outcomes", multiple=True, help="What a dialled number does: +3225550107=busy.")
@click.option("--default-outcome", type=click.Choice(DIAL_STATUSES), default="completed", show_default=True)
@with_appcontext
def call_command(line_name, at, caller, presses, outcomes, default_outcome) -> None:
    """Simulate a call to LINE (its id or number) through the real, signed webhooks and print what happens."""
    snapshot = _snapshot()
    line = _find_line(snapshot, line_name)
    start = _moment(at, line.schedule.timezone)
    clock = SimulatedClock(start)
    previous_clock, previous_mode = current_app.config["CLOCK"], current_app.config.get("DISPATCH_MODE")
    current_app.config["CLOCK"] = clock
    current_app.config["DISPATCH_MODE"] = "off"  # a simulated call never rings a real listener
    try:
        simulator = CallSimulator(current_app, to=line.numbers[0], caller=caller, presses=list(presses),
                                  outcomes=_outcomes(outcomes), default_outcome=default_outcome, clock=clock)
        transcript = simulator.run()
    finally:
        current_app.config["CLOCK"] = previous_clock
        current_app.config["DISPATCH_MODE"] = previous_mode
    local = start.astimezone(ZoneInfo(line.schedule.timezone))
    click.echo(f"Call to {line.name} ({line.display_number}) from {_masked(caller)}, {local:%A %Y-%m-%d %H:%M %Z}")
    for entry in transcript.entries:
        click.echo(f"{MARKS.get(entry.kind, entry.kind)}  {entry.text}")
    click.echo("Why (as recorded for this call):")
    for kind, detail in _recorded_events(transcript.call_sid):
        click.echo(f"  {kind:<16} {detail}")


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
@click.option("--at", "at", help="ISO date and time (default: now).")
@with_appcontext
def status_command(at) -> None:
    """Each line and centre: open or closed now, why, and when that changes."""
    snapshot = _snapshot()
    for line in sorted(snapshot.lines_by_slug.values(), key=lambda l: l.slug):
        moment = _moment(at, line.schedule.timezone)
        click.echo(f"{line.slug:<28} {describe_status(status_at(line.schedule, moment))}")
    seen = set()
    for centre in snapshot.centres.values():
        if centre.slug in seen:
            continue
        seen.add(centre.slug)
        moment = _moment(at, centre.schedule.timezone)
        click.echo(f"  centre {centre.slug:<19} {describe_status(status_at(centre.schedule, moment))}")


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@with_appcontext
def demo_command(host: str, port: int) -> None:
    """Migrate the database, load the shipped directory and serve the webhooks."""
    from store.cli import migrate_and_load

    migrate_and_load()
    snapshot = _snapshot()
    base = current_app.config.get("PUBLIC_URL") or f"http://{host}:{port}"
    click.echo(f"Database: {current_app.config['DATABASE_URL']}")
    click.echo("Give Twilio these URLs for each number (HTTP POST):")
    click.echo(f"  Voice URL:        {base}/voice/incoming")
    click.echo(f"  Fallback URL:     {base}/voice/fallback")
    click.echo(f"  Status callback:  {base}/voice/status")
    click.echo("Lines:")
    for line in sorted(snapshot.lines_by_slug.values(), key=lambda l: l.slug):
        click.echo(f"  {line.slug:<28} {', '.join(line.numbers)}")
    click.echo("Try a call from another terminal:  .venv/bin/helpline call ecoute-violences-conjugales --at 2026-07-21T10:00")
    current_app.run(host=host, port=port, debug=False, use_reloader=False)


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
    from ivr.scripts import REFERENCE_MONDAY, script

    snapshot = _snapshot()
    line = _find_line(snapshot, line_name)
    start = datetime.combine(REFERENCE_MONDAY, datetime.min.time(), ZoneInfo(line.schedule.timezone))
    clock = SimulatedClock(start)
    with database.session() as session, sandbox(current_app._get_current_object(), session, clock, start) as app:
        click.echo(script(app, line.slug, language))
