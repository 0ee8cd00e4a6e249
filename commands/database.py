"""`helpline db ...` and `helpline directory ...`: schema upgrades and the directory files."""

from __future__ import annotations

import logging
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from directory_data.fields import DATA_DIR
from directory_data.loader import DirectoryError, read_directory, write_directory
from store.db import current_revision, head_revision, upgrade
from store.directory_sync import Difference, EditsWouldBeLost, Mode, SyncReport, sync
from store.documents import export_documents
from store.extension import database, directory


@click.group("db")
def db_group() -> None:
    """The database schema (Alembic migrations)."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION."""
    upgrade(database.engine, revision)
    click.echo(f"database at revision {current_revision(database.engine)}")


@click.group("directory")
def directory_group() -> None:
    """Lines and centres as reviewable YAML files."""


def sync_directory_files(root: Path, prune: bool = False, mode: Mode = "refuse", reason: str = "") -> SyncReport:
    """Validate every file, then apply them in one transaction: all or nothing, never losing an edit unasked."""
    files = read_directory(root)
    with database.session() as session:
        report = sync(session, files, mode=mode, prune=prune, reason=reason, now=current_app.config["CLOCK"]())
        session.commit()
    directory.invalidate()
    return report


def load_directory_files(root: Path, prune: bool = False, mode: Mode = "refuse"):
    return sync_directory_files(root, prune, mode).load


@directory_group.command("load")
@click.option("--from", "root", type=click.Path(path_type=Path, file_okay=False), default=DATA_DIR,
              show_default="the shipped directory_data/")
@click.option("--prune", is_flag=True, help="Delete lines and centres that are no longer in the files.")
@click.option("--force", is_flag=True,
              help="Replace lines edited since the last load (the audit log keeps what was replaced).")
@click.option("--keep-edits", is_flag=True, help="Load the rest, and leave the lines edited since the last load as they are.")
@click.option("--reason", default="", help="Why, kept with each line's new version.")
@with_appcontext
def directory_load(root: Path, prune: bool, force: bool, keep_edits: bool, reason: str) -> None:
    """Load lines/*.yaml and centres.yaml into the database (atomic, idempotent), showing what changes per line.

    A line edited since the last load (console, phone, command line) is not overwritten: the load stops
    unless --force or --keep-edits says what to do with it."""
    if force and keep_edits:
        raise click.UsageError("choose one of --force and --keep-edits")
    ensure_schema()
    try:
        report = sync_directory_files(root, prune, "force" if force else "keep" if keep_edits else "refuse", reason)
    except EditsWouldBeLost as error:
        for difference in error.differences:
            _show(difference)
        click.echo(f"Nothing was loaded: {len(error.differences)} line(s) or centre(s) edited since the last load "
                   "would be overwritten:", err=True)
        for problem in error.problems:
            click.echo(f"  {problem}", err=True)
        click.echo("  --keep-edits loads the rest and keeps them; --force replaces them (kept in the audit log).",
                   err=True)
        raise SystemExit(1)
    except DirectoryError as error:
        click.echo(f"Nothing was loaded: {len(error.problems)} problem(s) in the directory files.", err=True)
        for problem in error.problems:
            click.echo(f"  {problem}", err=True)
        raise SystemExit(1)
    kept = {(d.kind, d.slug) for d in report.kept}
    for difference in report.differences:
        if (difference.kind, difference.slug) not in kept:
            _show(difference)
    for difference in report.kept:
        click.echo(f"kept: {difference.kind} {difference.slug}, {difference.edited_words()} (the files differ)")
    for difference in report.replaced:
        click.echo(f"replaced: {difference.kind} {difference.slug}, {difference.edited_words()} (see the audit log)")
    load = report.load
    for label, items in (("created", load.created), ("updated", load.updated), ("removed", load.removed)):
        for item in items:
            click.echo(f"{label}: {item}")
    for item in load.kept:
        click.echo(f"kept (not in the files; use --prune to delete): {item}")
    click.echo(f"unchanged: {len(load.unchanged)}")


def _show(difference: Difference) -> None:
    what = "new" if difference.current is None else "deleted" if difference.incoming is None else "differs"
    edited = f" — {difference.edited_words()}" if difference.edited else ""
    click.echo(f"{difference.kind} {difference.slug}: {what}{edited}")
    if difference.current is not None and difference.incoming is not None:
        for text in difference.diff():
            click.echo(f"    {text}")


@directory_group.command("check")
@click.option("--from", "root", type=click.Path(path_type=Path, file_okay=False), default=DATA_DIR)
def directory_check(root: Path) -> None:
    """Validate the files without touching the database."""
    try:
        files = read_directory(root)
    except DirectoryError as error:
        for problem in error.problems:
            click.echo(problem, err=True)
        raise SystemExit(1)
    click.echo(f"ok: {len(files.lines)} lines, {len(files.centres)} centres")


@directory_group.command("export")
@click.option("--to", "root", type=click.Path(path_type=Path, file_okay=False), required=True)
@with_appcontext
def directory_export(root: Path) -> None:
    """Write the database's lines and centres back to YAML files under --to."""
    with database.session() as session:
        files = export_documents(session)
    for path in write_directory(files, root):
        click.echo(f"wrote {path}")


def ensure_schema() -> None:
    """Create or upgrade the database on first use: the embedded SQLite file needs no separate step."""
    engine = database.engine
    alembic_log = logging.getLogger("alembic")
    level = alembic_log.level
    alembic_log.setLevel(logging.WARNING)  # a check on every command: its chatter would bury the output
    try:
        current = current_revision(engine)
        if current != head_revision():
            upgrade(engine)
            click.echo(f"Database {'upgraded' if current else 'created'}: {engine.url.render_as_string()} "
                       f"(schema {head_revision()}).", err=True)
    finally:
        alembic_log.setLevel(level)


def migrate_and_load() -> SyncReport:
    """What the demo needs: the schema, and the shipped files loaded without losing an edit made since."""
    ensure_schema()
    report = sync_directory_files(DATA_DIR, mode="keep")
    current_app.logger.info("database ready and directory loaded")
    return report
