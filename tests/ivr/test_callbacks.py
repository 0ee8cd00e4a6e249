"""Callback requests: only with consent, the number protected, called back within the window, listener first."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from sqlalchemy import select

from routing.queueing import ListenerStatus
from store.crypto import decrypt_number
from phones.numbers import number_hash
from store.directory import load_documents
from store.extension import database
from store.listeners import set_status
from store.models import Base, CallbackAttempt, EmailOutbox
from tests.conftest import PEPPER, SignedTwilio, at_paris
from tests.support.callbacks import (
    CONFIG,
    LINE_3977,
    MOBILE,
    MONDAY_MORNING,
    SATURDAY_EVENING,
    ListenerPhone,
    PersonPhone,
    add_referent,
    dialled_person,
    dispatch,
    request_callback,
    first_attempt_unanswered,
    requests_held,
)

MOBILE_FORMS = ("+33612345678", "0612345678", "612345678", "06 12 34 56 78")


def dump(app) -> str:
    with app.app_context(), database.session() as session:
        rows = []
        for table in Base.metadata.sorted_tables:
            rows.extend(" ".join(str(v) for v in row) for row in session.execute(table.select()))
        return "\n".join(rows)


# --- asking ------------------------------------------------------------------------------------------------------


def test_closed_3977_offers_a_callback_and_keeps_the_number_encrypted_with_consent(app, call):
    # 1 yes, 1 that's my number, 2 mornings, 2 no message
    transcript = call(LINE_3977, at=SATURDAY_EVENING, caller=MOBILE, presses=["#", "1", "1", "2", "2"])
    said = transcript.said()
    assert "Souhaitez-vous qu'un écoutant vous rappelle" in said
    assert "au 06 12 34 56 78" in said
    assert "Un écoutant vous rappellera, le matin, en affichant le numéro 39 77" in said
    [request] = requests_held(app)
    assert request.window == "morning" and request.message_allowed is False and request.status == "pending"
    assert decrypt_number(CONFIG, request.number_encrypted) == MOBILE
    assert request.number_hash == number_hash(MOBILE, PEPPER)
    everything = dump(app)
    for form in MOBILE_FORMS:
        assert form not in everything  # only the ciphertext and the keyed hash are stored


def test_withheld_caller_types_the_number_and_hears_it_read_back(app, call):
    transcript = call(LINE_3977, at=SATURDAY_EVENING, caller="anonymous",
                      presses=["#", "1", "0612345678#", "1", "1", "1"])
    said = transcript.said()
    assert "Tapez le numéro auquel nous pouvons vous rappeler" in said
    assert "Vous avez tapé le 06 12 34 56 78" in said
    [request] = requests_held(app)
    assert decrypt_number(CONFIG, request.number_encrypted) == MOBILE
    assert request.window == "asap" and request.message_allowed is True


def test_caller_may_give_another_number_than_caller_id(app, call):
    call(LINE_3977, at=SATURDAY_EVENING, caller="+33145454545", presses=["#", "1", "2", "0612345678#", "1", "3", "2"])
    [request] = requests_held(app)
    assert decrypt_number(CONFIG, request.number_encrypted) == MOBILE
    assert request.window == "afternoon"


@pytest.mark.parametrize("typed, heard", [
    ("112#", "numéro d'urgence"),
    ("17#", "numéro d'urgence"),
    ("3919#", "trop court"),
    ("0899123456#", "surtaxé"),
    ("00447911123456#", "numéros de ce pays"),
    ("0612#", "trop court"),
    ("0199003977#", "celui de notre ligne"),
])
def test_numbers_that_cannot_be_called_back_are_refused_with_a_clear_reason(app, call, typed, heard):
    transcript = call(LINE_3977, at=SATURDAY_EVENING, caller="anonymous", presses=["#", "1", typed])
    assert heard in transcript.said()
    assert requests_held(app) == []


def test_after_three_invalid_numbers_the_caller_is_told_how_to_call_again(app, call):
    transcript = call(LINE_3977, at=SATURDAY_EVENING, caller="anonymous",
                      presses=["#", "1", "112#", "12#", "0899123456#"])
    said = transcript.said()
    assert "Nous n'avons pas pu enregistrer votre numéro. Vous pouvez nous rappeler au 39 77" in said
    assert transcript.of("hangup")
    assert requests_held(app) == []


def test_refusal_leaves_no_trace_of_the_number_not_even_its_hash(app, call, caplog):
    caplog.set_level("DEBUG")
    transcript = call(LINE_3977, at=SATURDAY_EVENING, caller=MOBILE, presses=["#", "2"])
    said = transcript.said()
    assert "votre numéro ne sera pas conservé, et personne ne pourra donc vous rappeler" in said
    assert "Vous pouvez nous rappeler au 39 77, nous rouvrons demain à 9 heures" in said
    assert requests_held(app) == []
    everything = dump(app)
    for form in MOBILE_FORMS:
        assert form not in everything
    assert number_hash(MOBILE, PEPPER) not in everything
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not any(form in logged for form in MOBILE_FORMS)


def test_no_answer_to_the_offer_means_no_consent(app, call):
    transcript = call(LINE_3977, at=SATURDAY_EVENING, caller=MOBILE, presses=["#"])
    assert "ne sera pas conservé" in transcript.said()
    assert requests_held(app) == []


def test_a_second_request_from_the_same_number_is_merged_not_dialled_twice(app, call, clock):
    call(LINE_3977, at=SATURDAY_EVENING, caller=MOBILE, presses=["#", "1", "1", "2", "2"])
    first = requests_held(app)[0]
    transcript = call(LINE_3977, at=SATURDAY_EVENING + timedelta(minutes=20), caller=MOBILE,
                      presses=["#", "1", "1", "3", "1"])
    assert "votre demande précédente est mise à jour" in transcript.said()
    [merged] = requests_held(app)
    assert merged.id == first.id and merged.requested_at == first.requested_at  # keeps its place
    assert merged.window == "afternoon" and merged.message_allowed is True


def test_callback_request_queues_an_email_for_the_line_when_it_has_an_address(app, call, shipped_directory):
    with app.app_context(), database.session() as session:
        from directory_data.loader import DirectoryFiles

        docs = [{**d, "after_hours_email": "referents@example.org"} if d["id"] == "3977" else d
                for d in shipped_directory.lines]
        load_documents(session, DirectoryFiles(docs, shipped_directory.centres))
        session.commit()
    call(LINE_3977, at=SATURDAY_EVENING, caller=MOBILE, presses=["#", "1", "1", "2", "2"])
    [request] = requests_held(app)
    with app.app_context(), database.session() as session:
        [email] = session.scalars(select(EmailOutbox)).all()
    assert email.kind == "callback_request" and email.callback_id == request.id


# --- calling back ---------------------------------------------------------------------------------------------


@pytest.fixture
def cbapp(live_app):
    return live_app


def test_callback_reached_on_the_second_attempt_listener_first_line_number_shown(cbapp, rest, clock):
    request_callback(cbapp, clock, window_keys=("1", "2"))  # as soon as possible, no message
    add_referent(cbapp)
    clock.now = MONDAY_MORNING
    assert dispatch(cbapp) == ["3977"]
    sid, first_person = first_attempt_unanswered(cbapp, rest)
    [request] = requests_held(cbapp)
    assert request.status == "pending" and request.attempts == 1 and request.last_outcome == "no_answer"
    assert request.next_attempt_at == MONDAY_MORNING + timedelta(minutes=60)

    clock.now = MONDAY_MORNING + timedelta(minutes=30)
    dispatch(cbapp)
    assert len(rest.calls) == 2  # the listener and the person: nobody before the retry delay

    clock.now = MONDAY_MORNING + timedelta(minutes=61)
    dispatch(cbapp)
    assert len(rest.calls) == 3
    second = ListenerPhone(cbapp, rest, list(rest.calls)[2])
    whisper = second.answer()
    assert "Tentative 2 sur 3" in whisper.find("Gather/Say").text
    dial = second.post(whisper.find("Gather").get("action"), Digits="1")
    rest.join(second.sid, dial.find("Dial"))
    person = PersonPhone(cbapp, rest, [s for s in rest.calls if s not in (sid, second.sid, first_person)][0])
    answered = person.answer("human")
    assert answered.find("Hangup") is None and answered.find("Dial/Conference") is not None  # a person: bridged
    person.hang_up()  # the anchor: the conference ends with them
    assert second.sid in rest.dial_ended
    after = second.post(dial.find("Dial").get("action"), DialCallStatus="completed", CallStatus="in-progress")
    assert "Si ce n'était pas la bonne personne" in after.find("Gather/Say").text
    second.hang_up()
    [request] = requests_held(cbapp)
    assert request.status == "reached" and request.attempts == 2 and request.closed_at is not None
    with cbapp.app_context(), database.session() as session:
        outcomes = [a.outcome for a in session.scalars(select(CallbackAttempt).order_by(CallbackAttempt.id))]
    assert outcomes == ["no_answer", "reached"]


def test_a_machine_answering_is_hung_up_on_never_a_voicemail(cbapp, rest, clock):
    request_callback(cbapp, clock)
    add_referent(cbapp)
    clock.now = MONDAY_MORNING
    dispatch(cbapp)
    phone = ListenerPhone(cbapp, rest, list(rest.calls)[0])
    phone.post(phone.answer().find("Gather").get("action"), Digits="1")
    person = PersonPhone(cbapp, rest, dialled_person(rest))
    answered = person.answer("machine_end_beep")
    assert answered.find("Hangup") is not None and answered.find("Dial") is None  # never into the conference
    person.ends("completed")
    [request] = requests_held(cbapp)
    assert request.last_outcome == "machine" and request.status == "pending"


def test_never_called_back_outside_the_chosen_window(cbapp, rest, clock):
    request_callback(cbapp, clock, window_keys=("2", "2"))  # mornings only
    add_referent(cbapp)
    clock.now = at_paris(2026, 11, 30, 14, 0)  # Monday afternoon: open, but not the window
    dispatch(cbapp)
    assert rest.calls == {}
    clock.now = at_paris(2026, 11, 28, 21, 30)  # in no window at all, line closed
    dispatch(cbapp)
    assert rest.calls == {}
    clock.now = at_paris(2026, 12, 1, 9, 15)  # Tuesday morning
    dispatch(cbapp)
    assert len(rest.calls) == 1


def test_attempts_are_bounded_then_the_request_expires(cbapp, rest, clock):
    request_callback(cbapp, clock)
    add_referent(cbapp)
    clock.now = MONDAY_MORNING
    for attempt in range(3):
        dispatch(cbapp)
        phone = ListenerPhone(cbapp, rest, list(rest.calls)[2 * attempt])
        phone.post(phone.answer().find("Gather").get("action"), Digits="1")
        PersonPhone(cbapp, rest, list(rest.calls)[2 * attempt + 1]).ends("busy")
        phone.hang_up()
        clock.now += timedelta(minutes=125)  # past the retry delay and the wrap-up
    [request] = requests_held(cbapp)
    assert request.status == "expired" and request.attempts == 3
    dispatch(cbapp)
    assert len(rest.calls) == 6


def test_listener_can_record_that_the_caller_no_longer_wants_a_callback(cbapp, rest, clock):
    request_callback(cbapp, clock)
    add_referent(cbapp)
    clock.now = MONDAY_MORNING
    dispatch(cbapp)
    phone = ListenerPhone(cbapp, rest, list(rest.calls)[0])
    dial = phone.post(phone.answer().find("Gather").get("action"), Digits="1")
    rest.join(phone.sid, dial.find("Dial"))
    person = PersonPhone(cbapp, rest, dialled_person(rest))
    person.answer()
    person.hang_up()
    after = phone.post(dial.find("Dial").get("action"), DialCallStatus="completed", CallStatus="in-progress")
    phone.post(after.find("Gather").get("action"), Digits="2")
    [request] = requests_held(cbapp)
    assert request.status == "cancelled"


def test_a_callback_keeps_its_place_among_live_callers(cbapp, rest, clock):
    request_callback(cbapp, clock)  # asked on Saturday evening
    clock.now = MONDAY_MORNING
    # A live caller now waits in the 3977 queue too; a referent is paused so the caller is queued.
    referent = add_referent(cbapp)
    with cbapp.app_context(), database.session() as session:
        from store.models import Listener

        set_status(session, session.get(Listener, referent), ListenerStatus.PAUSED, clock.now, "chosen by test")
        session.commit()
    tw = SignedTwilio(cbapp.test_client())
    tw.post("/voice/incoming", {"CallSid": "CA" + "e" * 32, "From": "anonymous", "To": LINE_3977})
    tw.post("/voice/department", {"CallSid": "CA" + "e" * 32, "From": "anonymous", "To": LINE_3977,
                                  "Digits": "#"}, query={"l": "fr", "r": "0"})
    with cbapp.app_context(), database.session() as session:
        from store.models import Listener

        set_status(session, session.get(Listener, referent), ListenerStatus.AVAILABLE, clock.now, "chosen by test")
        session.commit()
    dispatch(cbapp)
    [sid] = rest.calls
    assert "/voice/callback/listener" in rest.calls[sid]["params"]["Url"]  # Saturday's request goes first
