"""The application factory and the `helpline` command line wired over it."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

import click
from flask import Flask
from flask.cli import AppGroup, ScriptInfo
from werkzeug.middleware.proxy_fix import ProxyFix

from settings import SettingsError, load_settings

DEFAULT_INSTANCE_PATH = Path(__file__).resolve().parent / "instance"
DEVELOPMENT_COMMANDS = {"demo", "call", "status"}


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
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
    from store.listeners import live_state

    app.config.update(load_settings(Path(app.instance_path), config))
    app.config.setdefault("CLOCK", utc_now)
    app.config.setdefault("LIVE_STATE", live_state)
    app.config.setdefault("DISPATCH_MODE", "background")
    # Twilio's webhooks are small forms; anything large is not Twilio.
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    if int(app.config["PROXY_COUNT"]):
        count = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count, x_port=count)


def _configure_logging(app: Flask) -> None:
    from ivr.logs import configure_logging

    configure_logging(app.config["LOG_LEVEL"], app.config["LOG_FORMAT"])


def _init_extensions(app: Flask) -> None:
    from console.blueprint import init_console
    from ivr.dispatcher import dispatcher
    from store.extension import database, directory

    database.init_app(app)
    directory.init_app(app)
    dispatcher.init_app(app)
    init_console(app)


def _register_blueprints(app: Flask) -> None:
    from console.accounts.blueprint import accounts
    from console.associations.blueprint import associations
    from console.blueprint import console
    from console.lines.blueprint import lines
    from console.live.blueprint import live
    from console.me.blueprint import me
    from console.operations.blueprint import operations
    from console.reports.blueprint import reports
    from console.roster.blueprint import roster
    from console.schedules.blueprint import schedules
    from ivr.presence import presence
    from ivr.callback_dial import callback_dial
    from ivr.callbacks import callback
    from ivr.hold_music import hold_music
    from ivr.queue import queue
    from ivr.webhooks import voice
    from store.health import health

    app.register_blueprint(health)
    app.register_blueprint(voice)
    app.register_blueprint(queue)
    app.register_blueprint(callback)
    app.register_blueprint(callback_dial)
    app.register_blueprint(presence)
    app.register_blueprint(hold_music)
    # The console: its layout, then one blueprint per feature, each guarded by its own access rule.
    for blueprint in (console, accounts, lines, schedules, roster, me, live, reports, operations, associations):
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


def _create_cli_app() -> Flask:
    try:
        return create_app()
    except SettingsError as error:
        # A secret or setting to give, not a bug: say which, as click says a wrong option, without a traceback.
        raise click.ClickException(str(error)) from None


@click.group(cls=AppGroup)
@click.pass_context
def cli(context: click.Context) -> None:
    """Helpline engine: database, directory files, call simulator, demo server."""
    if context.invoked_subcommand in DEVELOPMENT_COMMANDS:
        # Trying the engine needs no secrets: generated demo ones are kept in the instance folder.
        os.environ.setdefault("HELPLINE_ENV", "development")
    # The app is built only when a command needs it, so `--help` works without any settings.
    if context.obj is None:
        context.obj = ScriptInfo(create_app=_create_cli_app, set_debug_flag=False)


def _register_commands() -> None:
    from ivr.cli import call_command, demo_command, script_command, status_command, sweep_command
    from store.cli import db_group, directory_group
    from store.metrics_cli import queue_group
    from store.listener_cli import listeners_group
    from schedules.scheduler import scheduler_command
    from store.privacy_cli import privacy_group
    from console.cli import accounts_group

    cli.add_command(db_group)
    cli.add_command(directory_group)
    cli.add_command(call_command)
    cli.add_command(status_command)
    cli.add_command(script_command)
    cli.add_command(demo_command)
    cli.add_command(queue_group)
    cli.add_command(listeners_group)
    cli.add_command(sweep_command)
    cli.add_command(scheduler_command)
    cli.add_command(privacy_group)
    cli.add_command(accounts_group)


_register_commands()
