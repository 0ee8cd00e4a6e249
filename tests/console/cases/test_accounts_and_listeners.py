"""Who relays and who follows: a listener relays the calls they took (and no other), a referent account is made
at the terminal for a centre with the phone they call back from."""

from __future__ import annotations

from sqlalchemy import select

from app import cli
from routing.queueing import ListenerStatus
from store.extension import database
from store.listeners import create_listener, set_status
from store.models import ConsoleAccount, QueuedCaller
from tests.conftest import at_paris
from tests.support.cases import PASSWORD, national_call
from tests.support.console import make_account, sign_in, text

EVENING = at_paris(2026, 11, 24, 17, 15)


def listener_account(app, email: str, name: str, phone: str) -> tuple[int, int]:
    with app.app_context(), database.session() as session:
        now = app.config["CLOCK"]()
        listener = create_listener(session, name, phone, ("3977",), "1234", now, ("fr",), ())
        set_status(session, listener, ListenerStatus.AVAILABLE, now, "test")
        session.commit()
        listener_id = listener.id
    account_id = make_account(app, email=email, password=PASSWORD, role="listener", name=name)
    with app.app_context(), database.session() as session:
        session.get(ConsoleAccount, account_id).listener_id = listener_id
        session.commit()
    return account_id, listener_id


def bridged(app, call_id: int, sid: str, listener_id: int) -> None:
    """The national platform's listener took this caller from the queue (as the queue's bridge records it)."""
    with app.app_context(), database.session() as session:
        session.add(QueuedCaller(call_sid=sid, call_id=call_id, pool="3977", status="bridged",
                                 enqueued_at=app.config["CLOCK"](), bridged_to=listener_id))
        session.commit()


def test_a_listener_relays_the_call_they_took_and_no_other(live_app, clock):
    call_id, sid = national_call(live_app, clock, EVENING)
    _, took = listener_account(live_app, "a@3977.example.org", "Ana", "+33622222222")
    listener_account(live_app, "b@3977.example.org", "Bruno", "+33633333333")
    bridged(live_app, call_id, sid, took)
    ana = live_app.test_client()
    sign_in(ana, "a@3977.example.org", PASSWORD)
    listed = text(ana.get("/console/cases"))
    assert "Vos appels à relayer" in listed and f"/console/cases/relay/{call_id}" in listed
    assert ana.get(f"/console/cases/relay/{call_id}").status_code == 200
    bruno = live_app.test_client()
    sign_in(bruno, "b@3977.example.org", PASSWORD)
    assert bruno.get(f"/console/cases/relay/{call_id}").status_code == 403
    assert "Vos appels à relayer" not in text(bruno.get("/console/cases"))


def test_a_referent_account_is_made_for_a_centre_and_a_misspelt_centre_is_refused(app):
    runner = app.test_cli_runner()
    refused = runner.invoke(cli, ["accounts", "add", "--email", "r@3977.example.org", "--name", "Rémi",
                                  "--role", "referent", "--centre", "3977-99"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert refused.exit_code != 0 and "no centre 3977-99" in refused.output
    no_centre = runner.invoke(cli, ["accounts", "add", "--email", "r@3977.example.org", "--name", "Rémi",
                                    "--role", "referent"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert no_centre.exit_code != 0 and "a referent needs at least one --centre" in no_centre.output
    made = runner.invoke(cli, ["accounts", "add", "--email", "r@3977.example.org", "--name", "Rémi",
                               "--role", "referent", "--centre", "3977-94"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert made.exit_code == 0, made.output
    with app.app_context(), database.session() as session:
        account = session.scalar(select(ConsoleAccount).where(ConsoleAccount.email == "r@3977.example.org"))
        assert account.role == "referent" and [(s.kind, s.slug) for s in account.scopes] == [("centre", "3977-94")]
    client = app.test_client()
    sign_in(client, "r@3977.example.org", PASSWORD)
    assert client.get("/console/").headers["Location"].endswith("/console/cases")
