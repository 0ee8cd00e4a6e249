"""`helpline privacy ...`: a caller's access and erasure requests, and the retention purge, for coordinators."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from store.privacy import DEFAULT_COUNTRY, NumberError, erase_number, export_number, recorded_hash
from store.retention import purge

PERSONAL_DATA_WARNING = ("Warning: this export holds personal data about a caller. Hand it to them by a safe "
                         "means only, keep no copy, and delete the file once delivered.")

country_option = click.option(
    "--country", default=DEFAULT_COUNTRY, show_default=True,
    help="Country whose national form the number is written in (ISO 3166 code: FR, BE...).")


@click.group("privacy")
def privacy_group() -> None:
    """Callers' rights (access, erasure) and the retention purge."""


def _checked(number: str, country: str) -> str:
    """The number masked for messages; a clean usage error (never quoting the number) if it is not one."""
    try:
        shown, _ = recorded_hash(current_app, number, country)
    except NumberError as error:
        raise click.BadParameter(str(error), param_hint="NUMBER") from None
    return shown


def _print_counts(counts: dict[str, int]) -> None:
    for name, count in counts.items():
        click.echo(f"  {name.replace('_', ' '):<30}{count:>8}")


@privacy_group.command("export")
@click.argument("number")
@country_option
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the JSON to this file (readable by its owner only) instead of printing it.")
@with_appcontext
def export_command(number: str, country: str, output: Path | None) -> None:
    """Everything held about NUMBER, as JSON: the caller's right of access."""
    shown = _checked(number, country)
    text = json.dumps(export_number(current_app._get_current_object(), number, country), ensure_ascii=False, indent=2)
    if output is None:
        click.echo(text)
    else:
        descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text + "\n")
        click.echo(f"export for {shown} written to {output}", err=True)
    click.echo(PERSONAL_DATA_WARNING, err=True)


@privacy_group.command("erase")
@click.argument("number")
@country_option
@click.option("--yes", is_flag=True, help="Confirm: the erasure cannot be undone.")
@with_appcontext
def erase_command(number: str, country: str, yes: bool) -> None:
    """Erase every trace of NUMBER: the caller's right to erasure. Calls stay, unlinked, for statistics."""
    shown = _checked(number, country)
    if not yes:
        raise click.UsageError(f"erasing what is held about {shown} cannot be undone: add --yes to confirm")
    report = erase_number(current_app._get_current_object(), number, country)
    click.echo(f"Erased what was held about {shown}:" if report.total else f"Nothing was held about {shown}.")
    if report.total:
        _print_counts(report.counts())


@privacy_group.command("purge")
@with_appcontext
def purge_command() -> None:
    """Apply every line's retention period once, now, and print what it did."""
    report = purge(current_app._get_current_object())
    click.echo("Retention purge done:" if report.total else "Retention purge: nothing was due.")
    if report.total:
        _print_counts(report.counts())
