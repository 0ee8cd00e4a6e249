"""The `helpline` command line: every click command and group, registered on the group by `register`.

Commands may import any layer below the application factory (web helpers, jobs, store, pure cores); nothing
but `app.py` imports this package. The logic a command runs lives in its own layer, not here."""

from __future__ import annotations

import click


def register(cli: click.Group) -> None:
    """Add every command to the `helpline` group (imported here, so `helpline --help` stays cheap to build)."""
    from commands.accounts import accounts_group
    from commands.accounts_phone import phone_command
    from commands.database import db_group, directory_group
    from commands.listeners import listeners_group
    from commands.privacy import privacy_group
    from commands.queue_stats import queue_group
    from commands.simulator import call_command, demo_command, script_command, status_command, sweep_command
    from jobs.scheduler import scheduler_command

    accounts_group.add_command(phone_command)
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
