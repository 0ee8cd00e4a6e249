"""`helpline accounts ...`: console accounts from a terminal (the first admin is made here)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from commands.accounts_phone import phone_command
from console.accounts.records import ROLES, AccountError, check_new_password, create_account, find_account, set_password
from console.audit import record
from store.extension import database
from store.models import AssociationRow, CentreRow, ConsoleAccount, LineRow, Listener


@click.group("accounts")
def accounts_group() -> None:
    """Console accounts: admins, coordinators (scoped to lines or centres) and listeners."""


def _ask_password() -> str:
    password = click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")
    try:
        check_new_password(password)
    except AccountError as error:
        raise click.ClickException(str(error))
    return password


def _create(**fields) -> None:
    with database.session() as session:
        _check_targets(session, fields.get("lines", ()), fields.get("centres", ()), fields.get("listener_id"),
                       fields.get("associations", ()))
        # Asked only once everything else is known to be right: a typo is not found after typing it twice.
        fields["password"] = _ask_password()
        try:
            account = create_account(session, now=current_app.config["CLOCK"](), **fields)
        except AccountError as error:
            raise click.ClickException(str(error))
        after = {"email": account.email, "name": account.name, "role": account.role,
                 "scopes": [f"{s.kind}:{s.slug}" for s in account.scopes]}
        record(session, None, "account_created", ("account", str(account.id)), None, after)
        session.commit()
        click.echo(f"Created {account.role} account #{account.id} for {account.email}")


def _check_targets(session, lines, centres, listener_id, associations=()) -> None:
    """A misspelt slug would give a coordinator an empty console without a word: refuse it here."""
    known_lines = set(session.scalars(select(LineRow.slug)))
    known_centres = set(session.scalars(select(CentreRow.slug)))
    known_associations = set(session.scalars(select(AssociationRow.slug))) if associations else set()
    for kind, asked, known in (("line", lines, known_lines), ("centre", centres, known_centres),
                               ("association", associations, known_associations)):
        unknown = [slug for slug in asked if slug not in known]
        if unknown:
            raise click.ClickException(f"no {kind} {', '.join(unknown)}; known: {', '.join(sorted(known)) or 'none'}")
    if listener_id is not None and session.get(Listener, listener_id) is None:
        raise click.ClickException(f"no listener has the id {listener_id}")


@accounts_group.command("create-admin")
@click.option("--email", required=True, help="Their email address: they sign in with it.")
@click.option("--name", required=True, help="Their name, as the audit log shows it.")
@click.option("--language", type=click.Choice(("fr", "en")), default="fr", show_default=True)
@with_appcontext
def create_admin_command(email: str, name: str, language: str) -> None:
    """Create an admin account (the password is asked twice, hidden; 12 characters at least)."""
    _create(email=email, name=name, role="admin", language=language)


@accounts_group.command("add")
@click.option("--email", required=True, help="Their email address: they sign in with it.")
@click.option("--name", required=True, help="Their name, as the audit log shows it.")
@click.option("--role", type=click.Choice(ROLES), default="coordinator", show_default=True)
@click.option("--line", "lines", multiple=True, metavar="SLUG", help="A line they coordinate (repeatable).")
@click.option("--centre", "centres", multiple=True, metavar="SLUG", help="A centre they coordinate (repeatable).")
@click.option("--association", "associations", multiple=True, metavar="SLUG",
              help="For a referent: a local association whose relayed cases they follow (repeatable).")
@click.option("--listener", "listener_id", type=int,
              help="For a listener account: their listener id; for a referent, the phone they call back from.")
@click.option("--language", type=click.Choice(("fr", "en")), default="fr", show_default=True)
@with_appcontext
def add_command(email, name, role, lines, centres, associations, listener_id, language) -> None:
    """Create an account; a coordinator sees only the lines and centres given here, a referent the cases relayed
    to their centres or associations."""
    if role == "coordinator" and not (lines or centres):
        raise click.ClickException("a coordinator needs at least one --line or --centre")
    if role == "referent" and (lines or not (centres or associations)):
        raise click.ClickException("a referent needs at least one --centre or --association (and no --line)")
    if role not in ("coordinator", "referent") and (lines or centres or associations):
        raise click.ClickException("only coordinators have lines and centres (admins see everything)")
    if role == "listener" and listener_id is None:
        raise click.ClickException("a listener account needs --listener ID (see `helpline listeners list`)")
    _create(email=email, name=name, role=role, lines=lines, centres=centres, associations=associations,
            listener_id=listener_id, language=language)


@accounts_group.command("list")
@with_appcontext
def list_command() -> None:
    """Every account: role, scope, state and last sign-in."""
    with database.session() as session:
        accounts = session.scalars(select(ConsoleAccount).order_by(ConsoleAccount.email)).all()
        if not accounts:
            click.echo("No account yet: start with `helpline accounts create-admin`.")
        for account in accounts:
            scope = "everything" if account.role == "admin" else \
                ", ".join(f"{s.kind}:{s.slug}" for s in account.scopes) or "-"
            state = "active" if account.active else "disabled"
            last = f"{account.last_login_at:%Y-%m-%d %H:%M} UTC" if account.last_login_at else "never"
            click.echo(f"#{account.id:<4} {account.email:<32} {account.name:<24} {account.role:<12} "
                       f"{state:<9} last sign-in {last:<22} {scope}")


@accounts_group.command("password")
@click.argument("email")
@with_appcontext
def password_command(email: str) -> None:
    """Give an account a new password (asked twice, hidden); every session it had is ended."""
    with database.session() as session:
        account = find_account(session, email)
        if account is None:
            raise click.ClickException(f"no account uses {email}")
        set_password(session, account, _ask_password())
        record(session, None, "password_changed", ("account", str(account.id)), None, {"email": account.email})
        session.commit()
        click.echo(f"New password set for {account.email}; its sessions are ended")


accounts_group.add_command(phone_command)  # phone access to the coordinators' service number
