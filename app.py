"""The application factory and the `helpline` command line wired over it."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import click

from settings import SettingsError, load_settings

if TYPE_CHECKING:  # Flask is imported where an app is made: `helpline --help` makes none
    from flask import Flask

DEFAULT_INSTANCE_PATH = Path(__file__).resolve().parent / "instance"
DEVELOPMENT_COMMANDS = {"demo", "call", "status"}
# Set, any of these says this is a real instance: its commands then need its real settings.
REAL_INSTANCE_VARIABLES = ("HELPLINE_ENV", "HELPLINE_DATABASE_URL", "TWILIO_AUTH_TOKEN", "HELPLINE_NUMBER_PEPPER",
                           "HELPLINE_CALLBACK_KEY")


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    from flask import Flask

    instance_path = os.environ.get("HELPLINE_INSTANCE_PATH") or DEFAULT_INSTANCE_PATH
    app = Flask(__name__, instance_path=str(instance_path), instance_relative_config=True)
    app.extensions["app_factory"] = create_app  # throwaway copies (previews, scripts) are built without importing app
    _load_settings(app, config)
    _configure_logging(app)
    _init_extensions(app)
    _register_blueprints(app)
    _register_error_handlers(app)
    return app


def _load_settings(app: Flask, config: Mapping[str, Any] | None) -> None:
    from schedules import holiday_files
    from store.listeners import live_state

    app.config.update(load_settings(Path(app.instance_path), config))
    # Public holidays as computed by any process of this instance: a webhooks' worker then reads them from there.
    holiday_files.keep_in(Path(app.instance_path) / "cache")
    app.config.setdefault("CLOCK", utc_now)
    app.config.setdefault("LIVE_STATE", live_state)
    app.config.setdefault("DISPATCH_MODE", "background")
    # Twilio's webhooks are small forms; anything large is not Twilio.
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    if int(app.config["PROXY_COUNT"]):
        from werkzeug.middleware.proxy_fix import ProxyFix

        count = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count, x_port=count)


def _configure_logging(app: Flask) -> None:
    from ivr.logs import configure_logging

    configure_logging(app.config["LOG_LEVEL"], app.config["LOG_FORMAT"])


def _init_extensions(app: Flask) -> None:
    from ivr.dispatcher import dispatcher
    from ivr.forms import WebhookRequest
    from store.extension import database, directory

    app.request_class = WebhookRequest  # Twilio's forms read in one step (ivr/forms.py)
    database.init_app(app)
    directory.init_app(app)
    dispatcher.init_app(app)
    if app.config["CONSOLE"]:
        from console.blueprint import init_console

        init_console(app)
    else:
        from ivr.twiml import NoSessions

        app.session_interface = NoSessions()  # Twilio keeps no cookie: no session to open on every webhook


def _register_blueprints(app: Flask) -> None:
    from ivr.blueprints import register_ivr

    register_ivr(app)
    # The webhooks' pool (gunicorn.conf.py) leaves the console to its own pool: its forms, templates and
    # catalogues took 9 MB in every webhook worker.
    if app.config["CONSOLE"]:
        _register_console(app)


def _register_console(app: Flask) -> None:
    from console.accounts.blueprint import accounts
    from console.associations.blueprint import associations
    from console.blueprint import console
    from console.cases.blueprint import cases
    from console.desk.blueprint import desk
    from console.history.blueprint import history
    from console.lines.blueprint import lines
    from console.live.blueprint import live
    from console.me.blueprint import me
    from console.operations.blueprint import operations
    from console.reports.blueprint import reports
    from console.roster.blueprint import roster
    from console.schedules.blueprint import schedules
    from console.transfers.blueprint import transfers

    # The console: its layout, then one blueprint per feature, each guarded by its own access rule.
    for blueprint in (console, accounts, lines, schedules, history, roster, me, live, reports,
                      operations, associations, transfers, desk, cases):
        app.register_blueprint(blueprint)


def _register_error_handlers(app: Flask) -> None:
    from ivr.errors import register_error_handlers

    register_error_handlers(app)


def warm_up(app: Flask) -> bool:
    """Read once what every webhook needs — the prompt catalogues and their templates, the directory snapshot
    (and with it a database connection), the numbering plans of the lines' countries — so that the first caller
    a new or recycled worker answers waits no longer than the next one (a cold worker took 100-400 ms more).

    gunicorn.conf.py calls it in each worker before its first request. The database being down is no error
    here: the webhooks have their fallback, and the first one that can read builds the snapshot. Returns whether
    the snapshot could be read."""
    import phonenumbers

    from ivr import prompts
    from store.extension import database, directory

    compiled = prompts.compile_all()
    with app.app_context():
        try:
            with database.session(read_only=True) as session:
                snapshot = directory.get(session, app.config["CLOCK"]())
        except Exception as error:  # noqa: BLE001 — any database failure: warm what does not need it
            app.logger.warning("warm-up without the directory: %s", type(error).__name__)
            return False
    for line in snapshot.lines_by_slug.values():
        for number in line.numbers:
            phonenumbers.parse(number, None)
    app.logger.info("worker warmed up: %d prompts, %d lines (directory revision %s)", compiled,
                    len(snapshot.lines_by_slug), snapshot.revision)
    return True


def prepare_holidays(app: Flask, years: int = 2) -> int:
    """Compute here the public holidays of every calendar the directory uses (its lines, its centres and every
    département's), this year and the next, in French and English, into the instance's cache (schedules/
    holiday_files): the webhooks' workers then read them from there instead of importing the ``holidays`` library
    (17 MB in each). gunicorn.conf.py runs this once in a process of its own before the workers start; a worker
    that meets a year nobody prepared computes it, as before. Returns how many (calendar, year, language) it
    prepared; 0 when the directory cannot be read (the workers then compute what they need)."""
    from directory_data.reference import load_departments
    from schedules import HolidayCalendar
    from schedules.holiday_calendar import prepare
    from store.extension import database, directory

    now = app.config["CLOCK"]()
    with app.app_context():
        try:
            with database.session(read_only=True) as session:
                snapshot = directory.get(session, now)
        except Exception as error:  # noqa: BLE001 — no database: nothing to prepare, nothing broken
            app.logger.warning("holidays not prepared: %s", type(error).__name__)
            return 0
    schedules = [line.schedule for line in snapshot.lines_by_slug.values()]
    schedules += [centre.schedule for centre in snapshot.centres.values()]
    calendars = {HolidayCalendar(s.holidays.country, s.holidays.subdivision) for s in schedules if s.holidays}
    calendars |= {HolidayCalendar(d.country, d.holidays_subdivision) for d in load_departments().values()}
    return prepare(calendars, range(now.year, now.year + years))


def _create_cli_app(command: str | None = None) -> Flask:
    try:
        app = create_app()
    except SettingsError as error:
        # A secret or setting to give, not a bug: say which, as click says a wrong option, without a traceback.
        raise click.ClickException(str(error)) from None
    if command != "db":
        _check_schema(app)
    return app


def _check_schema(app: Flask) -> None:
    """The embedded SQLite database is created or upgraded on first use; another one is the operator's to
    upgrade (`helpline db upgrade`), and a command on it says so in one line rather than with a traceback."""
    from sqlalchemy.exc import SQLAlchemyError

    from commands.database import ensure_schema
    from store.db import current_revision, head_revision
    from store.extension import database

    with app.app_context():
        try:
            if database.engine.dialect.name == "sqlite":
                ensure_schema()
                return
            current = current_revision(database.engine)
        except SQLAlchemyError:
            return  # unreachable for now: the command itself knows how to wait or fail (the scheduler waits)
    if current != head_revision():
        raise click.ClickException(f"the database schema is at {current or 'nothing yet'}, this version needs "
                                   f"{head_revision()}: run `helpline db upgrade` first")


def trial_instance(environ: Mapping[str, str]) -> bool:
    """Nothing set at all: someone trying the engine on the embedded database, as the README's commands do."""
    return not any(environ.get(name) for name in REAL_INSTANCE_VARIABLES)


# Each command's module, and its one-line help as `helpline --help` lists it: importing every command (the
# console, SQLAlchemy, Alembic) took seconds before the list showed; a command is imported when it runs.
# tests/commands/test_cli.py checks that each line here is the command's own first help line.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "accounts": ("commands.accounts", "accounts_group", "Console accounts: admins, coordinators (scoped to lines or centres) and listeners."),
    "call": ("commands.simulator", "call_command", "Simulate a call to LINE (its id or number) through the real, signed webhooks and print what happens."),
    "db": ("commands.database", "db_group", "The database schema (Alembic migrations)."),
    "demo": ("commands.simulator", "demo_command", "Migrate the database, load the shipped directory and serve the webhooks."),
    "directory": ("commands.database", "directory_group", "Lines and centres as reviewable YAML files."),
    "listeners": ("commands.listeners", "listeners_group", "Listeners (écoutants): roster, PINs, shifts and presence."),
    "privacy": ("commands.privacy", "privacy_group", "Callers' rights (access, erasure) and the retention purge."),
    "queue": ("commands.queue_stats", "queue_group", "Queue history and metrics."),
    "script": ("commands.simulator", "script_command", "Print what callers hear on LINE, on every path, played in a throwaway copy of the directory."),
    "scheduler": ("jobs.scheduler", "scheduler_command", "Run the periodic jobs until SIGTERM or Ctrl-C: callback dispatch, the queue sweep and listeners' shifts, emails and daily digests, override expiry, the retention purge."),
    "status": ("commands.simulator", "status_command", "Each line and centre at one instant: open or closed, why, and when that changes (in its local time)."),
    "sweep": ("commands.simulator", "sweep_command", "Repair the queue once: expired offers, stuck listeners, unstaffed queues, then dispatch."),
}  # fmt: skip


class LazyCommands(click.Group):
    """The `helpline` group: commands imported when run, listed from COMMANDS without importing them."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(COMMANDS) | set(super().list_commands(ctx)))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMANDS and name not in self.commands:
            import importlib

            module, attribute, _ = COMMANDS[name]
            self.add_command(getattr(importlib.import_module(module), attribute), name)
        return super().get_command(ctx, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        width = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [(name, _shortened(COMMANDS[name][2], width)) for name in sorted(COMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _shortened(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 3, 10)].rsplit(" ", 1)[0].rstrip(",:;") + "..."


@click.group(cls=LazyCommands)
@click.pass_context
def cli(context: click.Context) -> None:
    """Helpline engine: database, directory files, call simulator, demo server."""
    if context.invoked_subcommand in DEVELOPMENT_COMMANDS or trial_instance(os.environ):
        # Trying the engine needs no secrets: generated demo ones are kept in the instance folder. A real
        # instance sets its database or secrets, and then every command but these needs them.
        os.environ.setdefault("HELPLINE_ENV", "development")
    # The app is built only when a command needs it, so `--help` works without any settings.
    if context.obj is None:
        from flask.cli import ScriptInfo

        command = context.invoked_subcommand
        context.obj = ScriptInfo(create_app=lambda: _create_cli_app(command), set_debug_flag=False)
