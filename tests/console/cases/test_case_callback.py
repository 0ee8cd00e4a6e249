"""A referent calls the caller back through the safe-callback machinery: the referent's own phone rings first, on 1
the caller is dialled showing the line's number (machines hung up on), within the window the caller chose."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from store.callbacks import pools_with_due_callbacks
from store.extension import database
from store.models import CallbackRequest, CaseFile
from tests.conftest import SignedTwilio, at_paris
from tests.support.calls import ListenerLeg, deliver, dial_ended, path_of, xml
from tests.support.callbacks import PersonPhone, dialled_person
from tests.support.cases import (CALLER, NATIONAL, PASSWORD, PLATFORM, REFERENT_94, REFERENT_PHONE, case_ids,
                                 national_call, platform_coordinator, referent, relay_fields)
from tests.support.console import csrf_token, sign_in, text, words
from tests.support.twilio_conference import HOLD_MUSIC

EVENING = at_paris(2026, 11, 24, 17, 15)
CALL_BACK_AT = at_paris(2026, 11, 24, 17, 40)  # the 3977 is open until 19:00


def consented_case(app, clock, rest, window="asap") -> int:
    call_id, sid = national_call(app, clock, EVENING)
    rest.add_inbound_call(sid, status="completed", from_number=CALLER)
    platform_coordinator(app)
    client = app.test_client()
    sign_in(client, PLATFORM, PASSWORD)
    path = f"/console/cases/relay/{call_id}"
    fields = relay_fields(consent="yes", window=window)
    assert client.post(path, data={**fields, "csrf_token": csrf_token(client, path)}).status_code == 302
    return case_ids(app)[-1]


def referent_client(app, clock):
    referent(app, REFERENT_94, "3977-94")
    clock.now = CALL_BACK_AT
    client = app.test_client()
    sign_in(client, REFERENT_94, PASSWORD)
    return client


def call_back(client, case_id):
    path = f"/console/cases/{case_id}"
    return client.post(f"{path}/call-back", data={"csrf_token": csrf_token(client, path)})


def referent_leg(rest):
    dialled = [sid for sid, call in rest.calls.items() if call.get("to") == REFERENT_PHONE]
    assert len(dialled) == 1
    return dialled[0]


def test_the_referents_phone_rings_first_then_the_caller_is_dialled_showing_the_lines_number(live_app, clock, rest):
    case_id = consented_case(live_app, clock, rest)
    client = referent_client(live_app, clock)
    assert "Rappeler maintenant" in text(client.get(f"/console/cases/{case_id}"))
    answer = call_back(client, case_id)
    assert answer.status_code == 302
    assert "Votre téléphone va sonner" in text(client.get(answer.headers["Location"]))
    leg = ListenerLeg(SignedTwilio(live_app.test_client()), rest, referent_leg(rest))
    assert leg.call["from"] == NATIONAL  # the line's number: the referent's own is never shown to anyone
    assert "/voice/callback/listener?attempt=" in leg.call["params"]["Url"]
    whispered = leg.answer()
    assert whispered.find("Gather/Say") is not None
    dial = leg.press("1", whispered).find("Dial")
    assert dial.find("Conference") is not None and CALLER not in dial.find("Conference").text
    leg.rest.join(leg.sid, dial)
    person = PersonPhone(live_app, rest, dialled_person(rest, CALLER))
    assert person.call["from"] == NATIONAL and person.call["params"]["MachineDetection"] == "Enable"
    person.answer("human")
    assert rest.hears(person.sid) == {leg.sid} and rest.hears(leg.sid) == {person.sid}
    person.hang_up()  # the caller is the anchor: the referent's Dial ends with the conference
    ended = xml(leg.tw.post(path_of(dial.get("action")), leg.params(DialCallStatus="completed")))
    assert ended.find("Gather") is not None  # the referent may still correct "reached"
    page = words(client.get(f"/console/cases/{case_id}"))
    assert f"2026-11-24 17:40 Rappel tenté ({REFERENT_94})" in page
    assert "2026-11-24 17:40 Appelant joint (Rémi Référent)" in page
    assert "Dernier rappel : appelant joint." in page
    with live_app.app_context(), database.session() as session:
        case = session.scalar(select(CaseFile).where(CaseFile.id == case_id))
        request = session.get(CallbackRequest, case.callback_request_id)
        assert case.first_callback_at == CALL_BACK_AT and request.status == "reached"
        assert request.number_encrypted == case.number_encrypted and request.pool == f"case-{case_id}"


def test_a_caller_not_reached_can_be_tried_again_and_a_machine_is_hung_up_on(live_app, clock, rest):
    case_id = consented_case(live_app, clock, rest)
    client = referent_client(live_app, clock)
    call_back(client, case_id)
    leg = ListenerLeg(SignedTwilio(live_app.test_client()), rest, referent_leg(rest))
    leg.press("1")
    person = PersonPhone(live_app, rest, dialled_person(rest, CALLER))
    answered = person.answer("machine_start")
    assert answered.find("Hangup") is not None and answered.find("Dial") is None  # never a voicemail
    person.ends("completed")
    leg.status("completed")
    page = words(client.get(f"/console/cases/{case_id}"))
    assert "Appelant non joint (répondeur, raccroché sans message)" in page and "Rappel en cours ou à refaire." in page
    with live_app.app_context(), database.session() as session:
        request = session.scalar(select(CallbackRequest))
        assert (request.status, request.attempts) == ("pending", 1)
        # The scheduler's due callbacks leave it alone: only the referent rings again, never another listener.
        assert pools_with_due_callbacks(session, clock.now + timedelta(days=1)) == []
    call_back(client, case_id)  # still in the wrap-up after that call
    assert "Votre téléphone est déjà en communication." in text(client.get(f"/console/cases/{case_id}"))
    # Wrap-up done, the referent tries again: the same request, its count kept.
    clock.now = at_paris(2026, 11, 24, 17, 55)
    assert call_back(client, case_id).status_code == 302
    assert len([c for c in rest.calls.values() if c.get("to") == REFERENT_PHONE]) == 2


def test_no_call_back_outside_the_callers_window_nor_without_a_number(live_app, clock, rest):
    case_id = consented_case(live_app, clock, rest, window="morning")
    client = referent_client(live_app, clock)
    page = text(client.get(f"/console/cases/{case_id}"))
    assert "Rappeler maintenant" not in page and "Le matin (9 h – 12 h)" in page
    assert call_back(client, case_id).status_code == 302
    assert [c for c in rest.calls.values() if c.get("to") == REFERENT_PHONE] == []


def test_a_case_without_a_number_cannot_be_called_back(live_app, clock, rest):
    call_id, _ = national_call(live_app, clock, EVENING)
    platform_coordinator(live_app)
    platform = live_app.test_client()
    sign_in(platform, PLATFORM, PASSWORD)
    path = f"/console/cases/relay/{call_id}"
    platform.post(path, data={**relay_fields(consent="no"), "csrf_token": csrf_token(platform, path)})
    client = referent_client(live_app, clock)
    case_id = case_ids(live_app)[-1]
    assert "L'appelant n'a pas laissé de numéro : il rappellera lui-même." in text(client.get(f"/console/cases/{case_id}"))
    call_back(client, case_id)
    assert "Aucun numéro n'est attaché à ce dossier." in text(client.get(f"/console/cases/{case_id}"))
    assert [c for c in rest.calls.values() if c.get("direction") == "outbound-api"] == []


def test_a_referents_call_back_is_a_conference_held_from_the_keypad_and_a_dropped_line_is_tried_again(
        live_app, clock, rest):
    case_id = consented_case(live_app, clock, rest)
    client = referent_client(live_app, clock)
    call_back(client, case_id)
    leg = ListenerLeg(SignedTwilio(live_app.test_client()), rest, referent_leg(rest))
    dial = leg.press("1")
    rest.join(leg.sid, dial.find("Dial"))
    person = PersonPhone(live_app, rest, dialled_person(rest, CALLER))
    person.answer("human")
    assert rest.hears(person.sid) == {leg.sid}
    rest.leave_conference(leg.sid, "hangup-on-star")  # * : the referent's keypad menu
    deliver(leg.tw, rest)
    menu = dial_ended(leg.tw, rest, leg, dial)
    assert rest.hears(person.sid) == {HOLD_MUSIC}
    kept = xml(leg.tw.post(path_of(menu.find("Gather").get("action")), leg.params(Digits="1")))
    assert "reste en attente" in " ".join(s.text or "" for s in kept.iter("Say"))
    rest.join(leg.sid, kept.find("Dial"))
    assert rest.hears(person.sid) == {HOLD_MUSIC} and rest.hears(leg.sid) == set()
    rest.hang_up(leg.sid)  # the referent's line drops while the caller is on hold
    deliver(leg.tw, rest)
    leg.status("completed")
    told = person.follow_redirect()
    words_told = " ".join(s.text or "" for s in told.iter("Say"))
    assert "a été coupée" in words_told and "Nous vous rappellerons" in words_told and CALLER[1:] not in words_told
    assert told.find("Hangup") is not None
    page = words(client.get(f"/console/cases/{case_id}"))
    assert "communication coupée côté écoutant, rappel à refaire" in page and "Rappel en cours ou à refaire." in page
    with live_app.app_context(), database.session() as session:
        request = session.scalar(select(CallbackRequest))
        assert (request.status, request.attempts, request.last_outcome) == ("pending", 1, "dropped")
