"""`helpline db ...` and `helpline directory ...`: schema upgrades and the directory files."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from directory_data.fields import DATA_DIR
from directory_data.loader import DirectoryError, read_directory, write_directory
from store.db import current_revision, upgrade
from store.directory import load_documents
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


def load_directory_files(root: Path, prune: bool = False):
    """Validate every file, then apply them in one transaction: all or nothing."""
    files = read_directory(root)
    with database.session() as session:
        report = load_documents(session, files, prune=prune)
        session.commit()
    directory.invalidate()
    return report


@directory_group.command("load")
@click.option("--from", "root", type=click.Path(path_type=Path, file_okay=False), default=DATA_DIR,
              show_default="the shipped directory_data/")
@click.option("--prune", is_flag=True, help="Delete lines and centres that are no longer in the files.")
@with_appcontext
def directory_load(root: Path, prune: bool) -> None:
    """Load lines/*.yaml and centres.yaml into the database (atomic, idempotent)."""
    try:
        report = load_directory_files(root, prune)
    except DirectoryError as error:
        click.echo(f"Nothing was loaded: {len(error.problems)} problem(s) in the directory files.", err=True)
        for problem in error.problems:
            click.echo(f"  {problem}", err=True)
        raise SystemExit(1)
    for label, items in (("created", report.created), ("updated", report.updated), ("removed", report.removed)):
        for item in items:
            click.echo(f"{label}: {item}")
    for item in report.kept:
        click.echo(f"kept (not in the files; use --prune to delete): {item}")
    click.echo(f"unchanged: {len(report.unchanged)}")


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


def migrate_and_load() -> None:
    """What the demo needs on a fresh instance folder."""
    upgrade(database.engine)
    load_directory_files(DATA_DIR)
    current_app.logger.info("database ready and directory loaded")
