"""The phone access page: a coordinator (or an admin, for anyone) registers the number they call from and a PIN."""

from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from console.audit import record
from console.blueprint import db, now
from console.texts import t
from directory_data.fields import e164
from store.associations import COORDINATORS
from store.coordinator_phone import PHONE_ROLES, PIN, PhoneAccessError, has_phone_access, set_phone, set_pin
from store.models import ConsoleAccount, ServiceNumber


def _target() -> ConsoleAccount | None:
    """Whose access is shown or changed: one's own, or for an admin any coordinator's or admin's."""
    wanted = request.values.get("account_id", type=int)
    if wanted is None or wanted == g.account.id:
        return g.account
    if g.account.role != "admin":
        return None
    account = db().get(ConsoleAccount, wanted)
    return account if account is not None and account.role in PHONE_ROLES else None


def _state(account: ConsoleAccount) -> dict[str, str]:
    return {"phone_access": t("phone.on") if has_phone_access(account) else t("phone.off")}


def _page(account: ConsoleAccount, errors: dict[str, str] | None = None, status: int = 200):
    db().rollback()
    accounts = []
    if g.account.role == "admin":
        accounts = list(db().scalars(select(ConsoleAccount).where(ConsoleAccount.role.in_(PHONE_ROLES))
                                     .order_by(ConsoleAccount.email)))
    numbers = list(db().scalars(select(ServiceNumber.e164).where(ServiceNumber.purpose == COORDINATORS)))
    return render_template("console/coordinator_phone.html", target=account, accounts=accounts, numbers=numbers,
                           enabled=has_phone_access(account), errors=errors or {}), status


def phone_access():
    account = _target()
    if account is None:
        abort(403)
    if request.method == "GET":
        return _page(account)
    before = _state(account)
    if request.form.get("remove") == "1":
        set_phone(db(), account, None, current_app.config["NUMBER_PEPPER"])
        set_pin(account, None)
        _audit(account, before)
        flash("phone.removed")
        return redirect(url_for("associations.phone_access", account_id=account.id))
    errors = {}
    number = e164(request.form.get("number", "").strip()[:40], "FR")
    pin, again = request.form.get("pin", "")[:32], request.form.get("pin_confirm", "")[:32]
    if number is None:
        errors["number"] = t("phone.invalid.number")
    if not PIN.match(pin):
        errors["pin"] = t("phone.invalid.pin")
    elif pin != again:
        errors["pin_confirm"] = t("phone.invalid.pin_confirm")
    if not errors:
        try:
            set_phone(db(), account, number, current_app.config["NUMBER_PEPPER"])
        except PhoneAccessError:
            errors["number"] = t("phone.invalid.number_taken")
    if errors:
        return _page(account, errors, 400)
    set_pin(account, pin)
    _audit(account, before)
    flash("phone.saved")
    return redirect(url_for("associations.phone_access", account_id=account.id))


def _audit(account: ConsoleAccount, before: dict[str, str]) -> None:
    # Never the number nor the PIN: only that access was set or removed, and for whom.
    record(db(), g.account, "account.phone_access", ("account", str(account.id)), before, _state(account),
           now=now(), detail=f"accès par téléphone de {account.email}")
    db().commit()
