"""A coordinator calls the service number, proves who they are, hears their lines and closes or opens one."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text

from ivr.coordinator_call import next_time_of_day
from store.coordinator_phone import set_phone, set_pin
from store.extension import database
from store.models import AuditEvent, Call, ConsoleAccount, OverrideRow
from tests.conftest import PEPPER, at_brussels, at_paris
from tests.support.console import COORDINATOR_EMAIL, audit_events, make_account

SERVICE = "+33199000700"
EVC = "+3225550300"
UPP = "+33199009494"
PHONE = "+33611223344"
PIN = "482193"
EVC_SLUG = "ecoute-violences-conjugales"


def give_phone_access(app, account_id: int, phone: str = PHONE, pin: str = PIN) -> None:
    with app.app_context(), database.session() as session:
        account = session.get(ConsoleAccount, account_id)
        set_phone(session, account, phone, PEPPER)
        set_pin(account, pin)
        session.commit()


@pytest.fixture
def evc_coordinator(app):
    account_id = make_account(app, COORDINATOR_EMAIL, "un premier pas, toujours", "coordinator", lines=[EVC_SLUG],
                              name="Camille Coordination")
    give_phone_access(app, account_id)
    return account_id


def overrides(app) -> list[OverrideRow]:
    with app.app_context(), database.session() as session:
        return list(session.scalars(select(OverrideRow).order_by(OverrideRow.id)))


def test_coordinator_closes_a_line_by_phone_and_the_next_caller_hears_it_closed(app, call, evc_coordinator):
    heard = call(SERVICE, at=at_brussels(2026, 11, 24, 10, 0), caller=PHONE, presses=[PIN + "#", "1", "1", "1"])
    said = heard.said()
    assert said.startswith("Service des coordinateurs. Tapez votre code personnel, puis dièse.")
    assert "1 : Écoute Violences Conjugales, ouverte, jusqu'à aujourd'hui à 19 heures." in said
    assert "Pour fermer la ligne, tapez 1. Pour forcer son ouverture, tapez 2." in said
    assert "Jusqu'au prochain changement d'horaire, aujourd'hui à 19 heures, tapez 1." in said
    assert ("C'est fait.\nÉcoute Violences Conjugales, fermée par décision d'un coordinateur : "
            "fermeture exceptionnelle, jusqu'à demain à 9 heures.") in said  # closed by hours from 19:00 on

    [row] = overrides(app)
    assert (row.mode, row.until, row.reason, row.created_by) == ("closed", None, "fermeture exceptionnelle",
                                                                 COORDINATOR_EMAIL)
    [event] = [e for e in audit_events(app) if e.action.startswith("override.")]
    # Exactly what the console writes (tests/console/lines/test_overrides.py): same action, target, words.
    assert (event.action, event.target_kind, event.target_slug, event.account_email) == (
        "override.create", "line", EVC_SLUG, COORDINATOR_EMAIL)
    assert event.before == {"status": "Ouverte selon les horaires habituels — ferme aujourd'hui à 19:00"}
    assert event.after == {"status": "Fermée par décision d'un coordinateur : fermeture exceptionnelle — "
                                     "rouvre demain à 09:00"}
    assert event.detail.startswith(f"forçage {row.id} : closed jusqu'à prochain changement ; ")

    caller = call(EVC, at=at_brussels(2026, 11, 24, 10, 5))
    assert "Nous sommes actuellement fermés : fermeture exceptionnelle." in caller.said()
    assert caller.dialled == ["+3225550107"]  # the line's closed rule: the 107 takes over


def test_a_time_typed_as_four_digits_ends_the_closure_at_the_next_such_moment(app, call, evc_coordinator):
    heard = call(SERVICE, at=at_brussels(2026, 11, 24, 10, 0), caller=PHONE,
                 presses=[PIN + "#", "1", "1", "2", "1430"])
    assert "Tapez l'heure de fin en quatre chiffres" in heard.said()
    assert "fermeture exceptionnelle, jusqu'à aujourd'hui à 14 heures 30." in heard.said()
    [row] = overrides(app)
    assert row.until == at_brussels(2026, 11, 24, 14, 30)
    assert "Nous sommes actuellement fermés" in call(EVC, at=at_brussels(2026, 11, 24, 14, 0)).said()
    assert call(EVC, at=at_brussels(2026, 11, 24, 14, 31)).dialled == ["+3225550301"]  # open again, as usual


def test_an_earlier_time_than_now_means_tomorrow_and_nonsense_is_asked_again(app, call, evc_coordinator):
    heard = call(SERVICE, at=at_brussels(2026, 11, 24, 10, 0), caller=PHONE,
                 presses=[PIN + "#", "1", "1", "2", "2575", "0830"])
    assert "Cette heure n'est pas valide." in heard.said()
    [row] = overrides(app)
    assert row.until == at_brussels(2026, 11, 25, 8, 30)


def test_forcing_open_by_phone_then_lifting_it_restores_the_usual_hours(app, call, evc_coordinator):
    evening = at_brussels(2026, 11, 24, 20, 0)
    heard = call(SERVICE, at=evening, caller=PHONE, presses=[PIN + "#", "1", "2", "1"])
    assert "fermée en dehors des horaires, jusqu'à demain à 9 heures." in heard.said()
    # Forced open until the usual hours take over tomorrow at 9, which keep it open until 19:00.
    assert "ouverte par décision d'un coordinateur : ouverture exceptionnelle, jusqu'à demain à 19 heures." in heard.said()
    assert call(EVC, at=evening + timedelta(minutes=1)).dialled == ["+3225550301"]  # open chain: the listening room

    heard = call(SERVICE, at=evening + timedelta(minutes=5), caller=PHONE, presses=[PIN + "#", "1", "3"])
    assert "Pour lever la décision en cours, tapez 3." in heard.said()
    assert "La décision est levée : les horaires habituels s'appliquent de nouveau." in heard.said()
    assert overrides(app) == []
    assert call(EVC, at=evening + timedelta(minutes=6)).dialled == ["+3225550107"]
    actions = [e.action for e in audit_events(app) if e.action.startswith("override.")]
    assert actions == ["override.create", "override.delete"]


def test_a_coordinator_hears_only_the_lines_of_their_scope_and_an_admin_all(app, call, evc_coordinator):
    said = call(SERVICE, caller=PHONE, presses=[PIN + "#"]).said()
    assert "Écoute Violences Conjugales" in said
    assert "Un premier pas" not in said and "39 77" not in said and "France Victimes" not in said

    admin_id = make_account(app)
    give_phone_access(app, admin_id, phone="+33699887766", pin="13572468")
    said = call(SERVICE, caller="+33699887766", presses=["13572468#"]).said()
    for index, name in enumerate(["3977", "France Victimes 116 006", "Un premier pas, Val-de-Marne",
                                  "Écoute Violences Conjugales"], start=1):  # in the dashboard's order
        assert f"{index} : {name}," in said


def test_a_coordinator_cannot_act_on_a_line_outside_their_scope_by_guessing_its_key(app, call, evc_coordinator):
    call(SERVICE, caller=PHONE, presses=[PIN + "#", "4", "1", "1"])
    assert overrides(app) == []


def test_an_english_speaking_coordinator_hears_english(app, call):
    account_id = make_account(app, "coord@example.org", "un premier pas, toujours", "coordinator",
                              lines=["un-premier-pas"], language="en")
    give_phone_access(app, account_id)
    said = call(SERVICE, at=at_paris(2026, 11, 24, 10, 0), caller=PHONE, presses=[PIN + "#"]).said()
    assert "1: Un premier pas, Val-de-Marne, open, until today at 5 pm." in said
    assert "To act on a line, press its number." in said


def test_an_unknown_number_hears_the_same_pin_prompt_and_fails_the_same_way(app, call, evc_coordinator):
    known = call(SERVICE, caller=PHONE, presses=["1111#", "2222#", "3333#"])
    unknown = call(SERVICE, caller="+33655555555", presses=["1111#", "2222#", "3333#"])
    withheld = call(SERVICE, caller="anonymous", presses=["1111#", "2222#", "3333#"])
    assert known.said() == unknown.said() == withheld.said()
    assert known.said().endswith("Code incorrect.\nTapez votre code personnel, puis dièse.\nTrop d'essais. Au revoir.")
    assert overrides(app) == []


def test_five_wrong_pins_across_calls_lock_phone_access_and_the_lock_is_audited(app, call, clock, evc_coordinator):
    call(SERVICE, caller=PHONE, presses=["1111#", "2222#", "3333#"])
    second = call(SERVICE, caller=PHONE, presses=["4444#", "5555#", PIN + "#"])
    assert second.said().endswith("Code incorrect.\nTapez votre code personnel, puis dièse.\nTrop d'essais. Au revoir.")
    assert "Écoute Violences Conjugales" not in second.said()  # the right PIN after the lock opens nothing
    [event] = [e for e in audit_events(app) if e.action == "phone.locked"]
    assert event.account_email == COORDINATOR_EMAIL and "bloqué 15 minutes" in event.detail

    # An unknown number is locked after as many tries, and audited, the same way.
    call(SERVICE, caller="+33655555555", presses=["1111#", "2222#", "3333#"])
    call(SERVICE, caller="+33655555555", presses=["4444#", "5555#"])
    assert [e.account_email for e in audit_events(app) if e.action == "phone.locked"] == [
        COORDINATOR_EMAIL, "(numéro inconnu)"]

    clock.now += timedelta(minutes=16)
    assert "Écoute Violences Conjugales" in call(SERVICE, caller=PHONE, presses=[PIN + "#"]).said()


def test_the_phone_number_is_kept_only_as_a_keyed_hash_and_the_service_call_is_no_helpline_call(
        app, call, evc_coordinator):
    call(SERVICE, caller=PHONE, presses=[PIN + "#", "1", "1", "1"])
    with app.app_context(), database.session() as session:
        account = session.get(ConsoleAccount, evc_coordinator)
        assert account.phone_hash and len(account.phone_hash) == 64
        assert PIN not in account.phone_pin_hash
        dump = " ".join(str(value) for table in ("console_account", "audit_event", "call", "call_event")
                        for row in session.execute(text(f"SELECT * FROM {table}")) for value in row)
        assert "611223344" not in dump and "11 22 33 44" not in dump
        assert session.scalars(select(Call)).all() == []  # the service number is not a helpline


def test_a_step_of_the_menu_cannot_be_reached_without_the_pin(app, twilio, evc_coordinator):
    params = {"CallSid": "CA" + "c" * 32, "From": PHONE, "To": SERVICE, "Digits": "1"}
    response = twilio.post("/voice/coordinator/act", params, query={"line": EVC_SLUG, "t": "forged"})
    assert response.status_code == 200 and "Au revoir." in response.get_data(as_text=True)
    assert "<Gather" not in response.get_data(as_text=True)
    assert overrides(app) == []


def test_the_service_number_refuses_unsigned_requests(client):
    response = client.post("/voice/incoming", data={"To": SERVICE, "From": PHONE, "CallSid": "CA1"},
                           base_url="https://ivr.example.org")
    assert response.status_code == 403


@pytest.mark.parametrize("typed, now, expected", [
    ("1430", at_paris(2026, 11, 24, 10, 0), at_paris(2026, 11, 24, 14, 30)),
    ("0900", at_paris(2026, 11, 24, 10, 0), at_paris(2026, 11, 25, 9, 0)),
    ("1000", at_paris(2026, 11, 24, 10, 0), at_paris(2026, 11, 25, 10, 0)),  # now itself is not "until"
    ("0230", at_paris(2026, 3, 28, 23, 0), datetime(2026, 3, 29, 1, 30, tzinfo=timezone.utc)),  # skipped: 03:30
])
def test_a_typed_time_is_the_next_such_moment_in_the_lines_time_zone(typed, now, expected):
    assert next_time_of_day(typed, "Europe/Paris", now) == expected


@pytest.mark.parametrize("typed", ["2400", "1260", "930", "12345", "ab12", ""])
def test_a_typed_time_that_is_not_a_time_is_refused(typed):
    assert next_time_of_day(typed, "Europe/Paris", at_paris(2026, 11, 24, 10, 0)) is None


def test_audit_rows_of_phone_and_console_share_one_shape(app, call, evc_coordinator):
    call(SERVICE, caller=PHONE, presses=[PIN + "#", "1", "1", "1"])
    with app.app_context(), database.session() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "override.create")).one()
        assert event.account_id == evc_coordinator and set(event.before) == set(event.after) == {"status"}


def test_a_coordinators_new_phone_pin_has_at_least_six_digits(app, evc_coordinator):
    from store.coordinator_phone import PhoneAccessError

    with app.app_context(), database.session() as session:
        account = session.get(ConsoleAccount, evc_coordinator)
        for short in ("1234", "12345"):
            with pytest.raises(PhoneAccessError, match="6 to 8 digits"):
                set_pin(account, short)
        set_pin(account, "123456")
