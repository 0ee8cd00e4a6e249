"""The national platform relays a call to the caller's département centre: with the caller's consent their number
goes with the case, taken from the call itself and encrypted; without it, no number exists anywhere."""

from __future__ import annotations

import logging
import re

from sqlalchemy import select

from store.extension import database
from store.models import AuditEvent, CaseFile, CaseStep
from tests.conftest import at_paris
from tests.support.cases import (CALLER, PASSWORD, PLATFORM, case_ids, every_stored_text, national_call,
                                 platform_coordinator, relay_fields)
from tests.support.console import csrf_token, sign_in, text, words

EVENING = at_paris(2026, 11, 24, 17, 15)  # the Val-de-Marne centre has closed: the national platform answers
DIGITS = CALLER[3:]  # 612345678, however it might be written


def relay(client, call_id, **changes):
    path = f"/console/cases/relay/{call_id}"
    return client.post(path, data={**relay_fields(**changes), "csrf_token": csrf_token(client, path)})


def signed_in_platform(app):
    platform_coordinator(app)
    client = app.test_client()
    sign_in(client, PLATFORM, PASSWORD)
    return client


def test_the_form_offers_the_callers_departement_centre_first_and_never_asks_for_a_number(live_app, clock):
    call_id, _ = national_call(live_app, clock, EVENING)
    client = signed_in_platform(live_app)
    page = text(client.get(f"/console/cases/relay/{call_id}"))
    options = re.findall(r'<option value="(centre:[^"]+)"', page)
    assert options[0] == "centre:3977-94" and "centre:3977-75" in options
    assert "Relayer la situation au centre" in page
    assert 'type="tel"' not in page and 'name="number"' not in page and DIGITS not in page


def test_without_consent_the_case_says_the_caller_will_call_back_and_no_number_is_anywhere(live_app, clock, caplog):
    caplog.set_level(logging.DEBUG)
    call_id, _ = national_call(live_app, clock, EVENING)
    client = signed_in_platform(live_app)
    answer = relay(client, call_id, consent="no")
    assert answer.status_code == 302
    page = text(client.get(answer.headers["Location"]))
    assert "L'appelant rappellera (aucun numéro conservé)" in page
    assert "Le fils retire de l'argent sur le compte de sa mère." in page
    assert "Rappeler maintenant" not in page
    assert f"2026-11-24 17:15 L'appelant n'a pas laissé de numéro : il rappellera ({PLATFORM})" in words(
        client.get(answer.headers["Location"]))
    with live_app.app_context(), database.session() as session:
        case = session.scalar(select(CaseFile))
        assert (case.consent, case.number_encrypted, case.number_hash, case.consent_by) == (False, None, None, None)
    assert not [value for value in every_stored_text(live_app) if DIGITS in value]
    assert DIGITS not in caplog.text


def test_with_consent_the_number_comes_from_the_call_itself_encrypted_with_who_recorded_it(live_app, clock, rest,
                                                                                          caplog):
    caplog.set_level(logging.DEBUG)
    call_id, sid = national_call(live_app, clock, EVENING)
    rest.add_inbound_call(sid, from_number=CALLER)
    client = signed_in_platform(live_app)
    answer = relay(client, call_id, consent="yes")
    assert answer.status_code == 302
    page = text(client.get(answer.headers["Location"]))
    assert "Rappel possible" in page and f"accord noté par {PLATFORM} le 2026-11-24 17:15" in page
    assert DIGITS not in page
    assert any(r.method == "GET" and r.path.endswith(f"/Calls/{sid}.json") for r in rest.requests)
    with live_app.app_context(), database.session() as session:
        case = session.scalar(select(CaseFile))
        assert case.consent and case.consent_by == PLATFORM and case.consent_at == clock.now
        assert DIGITS not in case.number_encrypted and DIGITS not in case.people_encrypted
        assert "argent" not in case.summary_encrypted and "fils" not in case.people_encrypted
        steps = [(s.kind, s.by) for s in session.scalars(select(CaseStep).order_by(CaseStep.id))]
        assert steps == [("relayed", PLATFORM), ("consent", PLATFORM)]
    assert not [value for value in every_stored_text(live_app, decrypt=False) if DIGITS in value], "stored in clear"
    assert [value for value in every_stored_text(live_app) if DIGITS in value] == [CALLER]  # the encrypted one
    assert DIGITS not in caplog.text


def test_a_number_twilio_gives_that_is_not_the_calls_is_never_attached(live_app, clock, rest):
    call_id, sid = national_call(live_app, clock, EVENING)
    rest.add_inbound_call(sid, from_number="+33699999999")
    client = signed_in_platform(live_app)
    answer = relay(client, call_id, consent="yes")
    assert answer.status_code == 409
    assert "Le numéro lu n'est pas celui de cet appel" in text(answer)
    assert case_ids(live_app) == []


def test_twilio_unreachable_says_so_and_keeps_what_was_typed(live_app, clock, rest):
    call_id, sid = national_call(live_app, clock, EVENING)
    rest.call_fetch_error = 500
    client = signed_in_platform(live_app)
    answer = relay(client, call_id, consent="yes")
    assert answer.status_code == 409
    page = text(answer)
    assert "n'a pas pu être lu" in page and "Le fils retire de l'argent" in page
    assert relay(client, call_id, consent="no").status_code == 302
    assert len(case_ids(live_app)) == 1


def test_a_withheld_caller_cannot_leave_a_number_and_is_relayed_to_call_back(live_app, clock):
    call_id, _ = national_call(live_app, clock, EVENING, caller="anonymous")
    client = signed_in_platform(live_app)
    page = text(client.get(f"/console/cases/relay/{call_id}"))
    assert "Numéro masqué : l'appelant devra rappeler." in page
    answer = relay(client, call_id, consent="yes")
    assert answer.status_code == 409 and "masqué son numéro" in text(answer)
    assert relay(client, call_id, consent="no").status_code == 302


def test_a_form_missing_who_calls_and_the_consent_is_refused_field_by_field(live_app, clock):
    call_id, _ = national_call(live_app, clock, EVENING)
    client = signed_in_platform(live_app)
    answer = relay(client, call_id, caller_role="", consent="")
    assert answer.status_code == 400
    page = text(answer)
    assert "Indiquez qui appelle." in page and "Indiquez si l'appelant accepte de laisser son numéro." in page
    assert case_ids(live_app) == []


def test_a_call_is_relayed_once_and_the_relay_is_audited_without_the_number(live_app, clock, rest):
    call_id, sid = national_call(live_app, clock, EVENING)
    rest.add_inbound_call(sid, from_number=CALLER)
    client = signed_in_platform(live_app)
    relay(client, call_id, consent="yes")
    again = client.get(f"/console/cases/relay/{call_id}")
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/console/cases/{case_ids(live_app)[0]}")
    with live_app.app_context(), database.session() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "case.relay"))
        assert event.account_email == PLATFORM and event.after["number_attached"] is True
        assert DIGITS not in str(event.after) + event.detail


def test_the_call_page_links_to_the_relay_form(live_app, clock):
    call_id, _ = national_call(live_app, clock, EVENING)
    client = signed_in_platform(live_app)
    assert f"/console/cases/relay/{call_id}" in text(client.get(f"/console/calls/{call_id}"))
