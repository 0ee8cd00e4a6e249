"""`helpline listeners ...`: the roster of listeners, their PINs and shifts, and their presence from a terminal."""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from routing.queueing import ListenerStatus
from ivr.dispatcher import choose_and_dispatch
from ivr.spoken import day_name
from store.extension import database, directory
from store.listeners import (ListenerError, create_listener, deactivate_listener, masked_phone,  # noqa: F401
                             normalised_phone, set_pin)
from store.models import Listener, ListenerPool, ListenerShift

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DISPLAY_ZONE = ZoneInfo("Europe/Paris")
CHOOSABLE = ("available", "paused", "offline")


@click.group("listeners")
def listeners_group() -> None:
    """Listeners (écoutants): roster, PINs, shifts and presence."""


def _fail(message: str) -> NoReturn:
    raise click.ClickException(message)


def _now() -> datetime:
    return current_app.config["CLOCK"]()


def find_listener(session: Session, name_or_id: str) -> Listener:
    """By id, or by name (case-insensitive); several people may share a name, then the id is needed."""
    if name_or_id.isdigit() and len(name_or_id) < 12:
        listener = session.get(Listener, int(name_or_id))
        if listener is None:
            _fail(f"no listener has the id {name_or_id}")
        return listener
    found = session.scalars(
        select(Listener).where(func.lower(Listener.name) == name_or_id.strip().lower()).order_by(Listener.id)
    ).all()
    if not found:
        _fail(f"no listener is called {name_or_id!r}")
    active = [l for l in found if l.active] or found
    if len(active) > 1:
        _fail(f"several listeners are called {name_or_id!r}: give the id ({', '.join(f'#{l.id}' for l in active)})")
    return active[0]


def _pool_warnings(session: Session, pools: tuple[str, ...]) -> None:
    # A typo in a pool name would leave the listener waiting for calls that never come.
    snapshot = directory.get(session, _now())
    for pool in pools:
        if snapshot.line_for_pool(pool) is None:
            click.echo(f"warning: no line queues callers to the pool {pool!r} (yet)", err=True)


def _check_language(context, parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    for value in values:
        if not re.fullmatch(r"[a-z]{2}", value):
            raise click.BadParameter(f"{value!r} is not a two-letter language code such as fr or en")
    return values


@listeners_group.command("add")
@click.option("--name", required=True, help="First name and last name, as coordinators know them.")
@click.option("--phone", required=True, help="The listener's own phone, dialled for offers (French numbers may be local).")
@click.option("--pool", "pools", multiple=True, required=True, help="A pool they take calls from (repeatable).")
@click.option("--pin", prompt=True, hide_input=True, confirmation_prompt=True, envvar="HELPLINE_LISTENER_PIN",
              help="4 to 8 digits, for the presence line (asked hidden, or from HELPLINE_LISTENER_PIN; "
                   "on the command line it stays in the shell's history).")
@click.option("--language", "languages", multiple=True, default=("fr",), show_default=True, callback=_check_language,
              help="Languages they take calls in, the first one is spoken to them (repeatable).")
@click.option("--skill", "skills", multiple=True, help="Caller types they take, e.g. adult (repeatable; none: all).")
@click.option("--follows-shifts", is_flag=True, help="Go available and offline with their shifts.")
@with_appcontext
def add(name, phone, pools, pin, languages, skills, follows_shifts) -> None:
    """Add a listener (offline until they call the presence line or a shift starts)."""
    if not name.strip():
        _fail("the name is empty")
    with database.session() as session:
        try:
            number = normalised_phone(phone)
        except ListenerError:
            _fail("the phone is not a phone number (write it +33 6 12 34 56 78 or 06 12 34 56 78)")
        existing = session.scalar(select(Listener).where(Listener.phone == number))
        if existing is not None:
            state = "" if existing.active else " deactivated"
            _fail(f"this phone already belongs to the{state} listener #{existing.id} ({existing.name})")
        try:
            listener = create_listener(session, name, phone, pools, pin, _now(), languages=languages,
                                       skills=[s.lower() for s in skills], follows_shifts=follows_shifts)
            session.commit()
        except ListenerError as error:
            _fail(str(error))
        except IntegrityError:  # added at the same moment from elsewhere
            _fail("this phone already belongs to another listener")
        _pool_warnings(session, pools)
        click.echo(f"added #{listener.id} {listener.name} ({masked_phone(listener.phone)}), offline, "
                   f"pools: {', '.join(p.pool for p in listener.pools)}")


@listeners_group.command("list")
@click.option("--pool", help="Only the listeners of this pool.")
@with_appcontext
def list_listeners(pool: str | None) -> None:
    """Active listeners: masked phone, pools, status and since when."""
    with database.session() as session:
        query = select(Listener).where(Listener.active.is_(True)).order_by(Listener.name, Listener.id)
        if pool:
            query = query.where(Listener.id.in_(select(ListenerPool.listener_id).where(ListenerPool.pool == pool)))
        listeners = session.scalars(query).all()
        if not listeners:
            click.echo("no listeners" + (f" in the pool {pool}" if pool else ""))
            return
        for listener in listeners:
            since = listener.status_since.astimezone(DISPLAY_ZONE).strftime("%Y-%m-%d %H:%M %Z")
            click.echo(f"#{listener.id:<4} {listener.name:<24} {masked_phone(listener.phone):<20} "
                       f"{','.join(p.pool for p in listener.pools):<24} {listener.status:<10} since {since}")


@listeners_group.command("status")
@click.argument("name_or_id")
@click.argument("status", type=click.Choice(CHOOSABLE))
@with_appcontext
def status(name_or_id: str, status: str) -> None:
    """Set a listener available, paused or offline (as if they had called the presence line)."""
    with database.session() as session:
        listener = find_listener(session, name_or_id)
        if not listener.active:
            _fail(f"{listener.name} (#{listener.id}) is deactivated")
        outcome = choose_and_dispatch(session, listener, ListenerStatus(status), _now(), how="cli")
    if outcome == "busy":
        _fail(f"{listener.name} is {listener.status.replace('_', ' ')}: choose again when the call is over")
    click.echo(f"{listener.name} is {outcome}")


@listeners_group.command("pin")
@click.argument("name_or_id")
@click.option("--pin", prompt=True, hide_input=True, confirmation_prompt=True, envvar="HELPLINE_LISTENER_PIN",
              help="4 to 8 digits (asked hidden, or from HELPLINE_LISTENER_PIN).")
@with_appcontext
def pin(name_or_id: str, pin: str) -> None:
    """Change a listener's PIN for the presence line."""
    with database.session() as session:
        listener = find_listener(session, name_or_id)
        try:
            set_pin(listener, pin)
        except ListenerError as error:
            _fail(str(error))
        session.commit()
        click.echo(f"PIN changed for {listener.name}")


def _clock_time(value: str, option: str) -> time:
    try:
        return datetime.strptime(value.strip(), "%H:%M").time()
    except ValueError:
        _fail(f"{option} {value!r} is not a time such as 09:00 or 21:30")


@listeners_group.command("shift")
@click.argument("name_or_id")
@click.option("--day", required=True, type=click.Choice(DAYS, case_sensitive=False))
@click.option("--from", "starts", required=True, help="Start, local time, e.g. 09:00.")
@click.option("--to", "ends", required=True, help="End, local time; earlier than the start: the next day.")
@click.option("--timezone", "zone", default="Europe/Paris", show_default=True)
@with_appcontext
def shift(name_or_id: str, day: str, starts: str, ends: str, zone: str) -> None:
    """Add a weekly shift (several allowed); a listener who follows shifts goes available during them."""
    start, end = _clock_time(starts, "--from"), _clock_time(ends, "--to")
    if start == end:
        _fail("a shift cannot start and end at the same time")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        _fail(f"{zone!r} is not a time zone such as Europe/Paris or Europe/Brussels")
    weekday = DAYS.index(day.lower())
    with database.session() as session:
        listener = find_listener(session, name_or_id)
        for known in listener.shifts:
            if (known.weekday, known.starts, known.ends, known.timezone) == (weekday, start, end, zone):
                _fail(f"{listener.name} already has this shift")
        listener.shifts.append(ListenerShift(weekday=weekday, starts=start, ends=end, timezone=zone))
        session.commit()
        overnight = " (ends the next day)" if end < start else ""
        click.echo(f"{listener.name}: {day_name(weekday, 'en')} {start:%H:%M}–{end:%H:%M} {zone}{overnight}")
        if not listener.follows_shifts:
            click.echo(f"note: {listener.name} does not follow shifts, so this one changes nothing by itself",
                       err=True)


@listeners_group.command("deactivate")
@click.argument("name_or_id")
@with_appcontext
def deactivate(name_or_id: str) -> None:
    """Take a listener off the roster: never offered a call again (their history is kept)."""
    with database.session() as session:
        listener = find_listener(session, name_or_id)
        if not listener.active:
            _fail(f"{listener.name} (#{listener.id}) is already deactivated")
        busy = deactivate_listener(session, listener, _now())
        session.commit()
        click.echo(f"{listener.name} (#{listener.id}) deactivated"
                   + (f"; they are {listener.status.replace('_', ' ')} and finish that call" if busy else ""))
