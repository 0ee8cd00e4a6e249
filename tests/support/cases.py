"""Cases as the tests make them: a 3977 call played through the signed webhooks, accounts of the platform and of
the centres, and the whole database read back as text (to prove a number is nowhere)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import inspect, select, text

from ivr.simulator import CallSimulator
from routing.queueing import ListenerStatus
from store.crypto import decrypt_text
from store.extension import database
from store.listeners import create_listener, set_status
from store.models import Call, CaseFile
from tests.support.console import make_account

NATIONAL = "+33199003977"
FRANCE_VICTIMES = "+33199000116"
CALLER = "+33612345678"
PASSWORD = "a long enough password"
PLATFORM = "plateforme@3977.example.org"
REFERENT_94 = "referent94@3977.example.org"
REFERENT_75 = "referent75@3977.example.org"
REFERENT_PHONE = "+33611223344"


def national_call(app, clock, at: datetime, caller: str = CALLER, presses=("94300#",),
                  to: str = NATIONAL) -> tuple[int, str]:
    """A caller of the 3977 (or ``to``) gives their postal code; returns the call's id and its Twilio SID."""
    clock.now = at
    simulator = CallSimulator(app, to=to, caller=caller, presses=list(presses), clock=clock)
    with app.app_context():
        sid = simulator.run().call_sid
        with database.session() as session:
            return session.scalar(select(Call.id).where(Call.sid == sid)), sid


def referent(app, email: str, centre: str, phone: str | None = REFERENT_PHONE, name: str = "Rémi Référent") -> int:
    """A centre's referent account, with a listener record for the phone they call back from."""
    listener_id = None
    if phone:
        with app.app_context(), database.session() as session:
            now = app.config["CLOCK"]()
            listener = create_listener(session, name, phone, (), "1234", now, ("fr",), ())
            set_status(session, listener, ListenerStatus.OFFLINE, now, "a referent's phone")
            session.commit()
            listener_id = listener.id
    account_id = make_account(app, email=email, password=PASSWORD, role="referent", centres=(centre,), name=name)
    if listener_id is not None:
        with app.app_context(), database.session() as session:
            from store.models import ConsoleAccount

            session.get(ConsoleAccount, account_id).listener_id = listener_id
            session.commit()
    return account_id


def platform_coordinator(app) -> int:
    return make_account(app, email=PLATFORM, password=PASSWORD, role="coordinator", lines=("3977",),
                        name="Paule Plateforme")


def relay_fields(**changes) -> dict[str, str]:
    fields = {"target": "centre:3977-94", "caller_role": "relative", "since": "months", "frequency": "weekly",
              "category": "maltraitance-financiere", "who-0": "victim", "link-0": "mère, 84 ans",
              "who-1": "accused", "link-1": "fils, vit chez elle",
              "summary": "Le fils retire de l'argent sur le compte de sa mère.", "consent": "no", "window": "asap"}
    fields.update(changes)
    return fields


def case_ids(app) -> list[int]:
    with app.app_context(), database.session() as session:
        return list(session.scalars(select(CaseFile.id).order_by(CaseFile.id)))


def every_stored_text(app, decrypt: bool = True) -> list[str]:
    """Every value of every column of every table, as text, and (``decrypt``) every Fernet token decrypted with
    the app's key."""
    found = []
    with app.app_context():
        engine = database.engine
        with engine.connect() as connection:
            for table in inspect(engine).get_table_names():
                for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                    for value in row:
                        if value is None:
                            continue
                        found.append(str(value))
                        if decrypt and isinstance(value, str) and value.startswith("gAAAA"):
                            found.append(decrypt_text(app.config, value) or "")
    return found
