"""`helpline accounts phone`: register the number a coordinator calls the service number from, and their PIN."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from console.accounts.records import find_account
from directory_data.fields import e164
from store.audit import record
from store.coordinator_phone import PHONE_ROLES, PhoneAccessError, has_phone_access, set_phone, set_pin
from store.extension import database


@click.command("phone")
@click.option("--email", required=True, help="The account's email address.")
@click.option("--number", help="The number they will call from (stored only as a keyed hash).")
@click.option("--remove", is_flag=True, help="Switch their phone access off.")
@with_appcontext
def phone_command(email: str, number: str | None, remove: bool) -> None:
    """Phone access to the coordinators' service number: caller ID and a PIN (asked twice, hidden)."""
    if remove == bool(number):
        raise click.ClickException("give either --number or --remove")
    with database.session() as session:
        account = find_account(session, email)
        if account is None or account.role not in PHONE_ROLES:
            raise click.ClickException(f"no admin or coordinator account uses {email}")
        before = {"phone_access": "activé" if has_phone_access(account) else "désactivé"}
        try:
            if remove:
                set_phone(session, account, None, current_app.config["NUMBER_PEPPER"])
                set_pin(account, None)
            else:
                parsed = e164(number, "FR")
                if parsed is None:
                    raise click.ClickException(f"{number!r} is not a phone number")
                set_phone(session, account, parsed, current_app.config["NUMBER_PEPPER"])
                set_pin(account, click.prompt("PIN (6 to 8 digits)", hide_input=True,
                                              confirmation_prompt="Repeat the PIN"))
        except PhoneAccessError as error:
            raise click.ClickException(str(error))
        after = {"phone_access": "activé" if has_phone_access(account) else "désactivé"}
        record(session, None, "account.phone_access", ("account", str(account.id)), before, after,
               detail=f"accès par téléphone de {account.email}")
        session.commit()
    click.echo(f"Phone access {'removed' if remove else 'saved'} for {email}")
