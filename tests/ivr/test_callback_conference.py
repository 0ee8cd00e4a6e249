"""A safe callback, once the listener pressed 1 and a person answered, is a conference like a queue call: the person
is its anchor, the listener holds it (the person hears the line's music) from the desk or the keypad, the person
hanging up frees the listener to wrap-up, and the listener's line dropping tells the person they will be called back
— the request is tried again. Asserted on what each party hears in the loopback Twilio server."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from phones.numbers import national
from store.extension import database
from store.models import CallbackAttempt, Conversation
from tests.support.callbacks import MOBILE, called_back, dispatch, requests_held
from tests.support.calls import deliver, dial_ended, listener, path_of, xml
from tests.support.conversation import call_events, registry, said
from tests.support.console import text
from tests.support.desk import listener_login, post_form, press
from tests.support.twilio_conference import HOLD_MUSIC

DESK = "/console/desk"


def conversation(app) -> Conversation:
    with app.app_context(), database.session() as session:
        return session.scalars(select(Conversation).order_by(Conversation.id.desc())).first()


def test_a_callback_answered_by_a_person_is_a_conference_with_the_person_as_its_anchor(live_app, rest, clock, caplog):
    caplog.set_level(logging.INFO)
    referent, leg, dial, person, joined = called_back(live_app, rest, clock)
    assert national(MOBILE)[1:] not in caplog.text  # the engine's own log lines never carry the number
    noun = joined.find("Dial/Conference")
    assert noun.text == dial.find("Dial/Conference").text and noun.text.startswith("hl-cb")
    assert MOBILE[1:] not in noun.text and national(MOBILE) not in noun.text  # named by internal ids only
    assert noun.get("endConferenceOnExit") == "true" and noun.get("participantLabel") == "caller"
    assert dial.find("Dial").get("hangupOnStar") == "true"  # the keypad's * menu, as on a queue call
    assert rest.hears(person.sid) == {leg.sid} and rest.hears(leg.sid) == {person.sid}
    found = conversation(live_app)
    assert found.status == "live" and found.callback_attempt_id is not None and found.offer_id is None
    legs = registry(live_app)
    assert legs["caller"].joined_at is not None and legs["listener"].joined_at is not None
    assert listener(live_app, referent).status == "on_call"


def test_the_listener_holds_a_callback_from_the_desk_and_the_person_hears_the_music(live_app, rest, clock):
    referent, leg, dial, person, _ = called_back(live_app, rest, clock)
    desk = listener_login(live_app, referent, "referent@example.org")
    page = text(desk.get(DESK))
    assert "Rappel · appel n°" in page and "La personne rappelée" in page
    assert MOBILE not in page and national(MOBILE) not in page and "06 12 34 56 78" not in page
    post_form(desk, DESK, "/console/desk/hold")
    deliver(leg.tw, rest)
    assert rest.hears(person.sid) == {HOLD_MUSIC} and rest.hears(leg.sid) == set()
    held = text(desk.get(DESK))
    assert "La personne rappelée — en attente" in held
    assert "La personne rappelée est en attente, avec la musique de la ligne." in held  # what the hold did
    assert "La personne rappelée est en attente et entend la musique" in held and "Reprendre la personne rappelée" in held
    assert "Appelant·e en attente" not in held and "Personne rappelée en attente, avec musique" in held  # its history
    post_form(desk, DESK, "/console/desk/resume")
    deliver(leg.tw, rest)
    assert rest.hears(person.sid) == {leg.sid}
    resumed = text(desk.get(DESK))
    assert "La personne rappelée est de nouveau avec vous." in resumed and "Personne rappelée reprise" in resumed
    assert "Reprendre l'appelant" not in held + resumed and "L'appelant·e est" not in held + resumed
    for page in (held, resumed):  # the call's whole panel, its transfer form too ("Transférer la personne rappelée vers")
        assert "appelant" not in page.split('id="desk-region"')[1].split('class="hint"')[0].lower()
    assert "conv_hold" in call_events(live_app) and "conv_resume" in call_events(live_app)


def test_the_keypad_menu_works_on_a_callback(live_app, rest, clock):
    referent, leg, dial, person, joined = called_back(live_app, rest, clock)
    rest.leave_conference(leg.sid, "hangup-on-star")  # * : the listener leaves the conference for the menu
    deliver(leg.tw, rest)
    menu = dial_ended(leg.tw, rest, leg, dial)
    assert "tapez 1" in said(menu) and menu.find("Gather").get("action").startswith(
        "https://ivr.example.org/voice/callback/menu?attempt=")
    assert rest.hears(person.sid) == {HOLD_MUSIC}  # on hold with music while the listener is in the menu
    back = press(leg.tw, leg, menu, "2")  # a binôme: nobody else is free
    assert "Aucun binôme" in said(back)
    rest.join(leg.sid, back.find("Dial"))
    deliver(leg.tw, rest)
    assert rest.hears(person.sid) == {leg.sid} and rest.hears(leg.sid) == {person.sid}
    rest.leave_conference(leg.sid, "hangup-on-star")
    menu = dial_ended(leg.tw, rest, leg, back)
    ended = press(leg.tw, leg, menu, "9")  # end the call for everyone
    deliver(leg.tw, rest)
    assert person.sid in rest.dial_ended
    goodbye = person.dial_ended(joined)
    assert "Merci d'avoir pris cet appel" in said(goodbye) and goodbye.find("Hangup") is not None
    outcome = xml(leg.tw.post(path_of(ended.find("Redirect").text), leg.params(CallStatus="in-progress")))
    assert outcome.find("Gather") is not None  # reached: the listener may still say it was the wrong person
    [request] = requests_held(live_app)
    assert request.status == "reached"


def test_the_person_hanging_up_ends_the_conference_and_frees_the_listener_to_wrap_up(live_app, rest, clock):
    referent, leg, dial, person, _ = called_back(live_app, rest, clock)
    clock.now += timedelta(minutes=12)
    person.hang_up()
    assert leg.sid in rest.dial_ended  # the person is the anchor: the listener's Dial ends with the conference
    after = dial_ended(leg.tw, rest, leg, dial)
    assert "Si ce n'était pas la bonne personne" in said(after)
    leg.status("completed", 760)
    assert listener(live_app, referent).status == "wrap_up"
    assert conversation(live_app).status == "ended" and conversation(live_app).ended_by == "caller"
    [request] = requests_held(live_app)
    assert request.status == "reached" and request.attempts == 1


def test_the_listener_dropping_tells_the_person_they_will_be_called_back_and_the_callback_is_retried(
        live_app, rest, clock):
    referent, leg, dial, person, _ = called_back(live_app, rest, clock)
    clock.now += timedelta(minutes=4)
    rest.hang_up(leg.sid)  # the referent's phone drops mid-call
    deliver(leg.tw, rest)
    assert leg.status("completed", 240).status_code == 200
    told = person.follow_redirect()  # moved out of the conference: never left alone in silence
    words = said(told)
    assert "a été coupée" in words and "Nous vous rappellerons" in words
    assert not any(ch.isdigit() for ch in words)  # no number spoken
    assert told.find("Hangup") is not None
    [request] = requests_held(live_app)
    assert request.status == "pending" and request.attempts == 1 and request.last_outcome == "dropped"
    assert request.next_attempt_at is not None and request.next_attempt_at > clock.now
    with live_app.app_context(), database.session() as session:
        assert session.scalar(select(CallbackAttempt.outcome)) == "dropped"
    assert listener(live_app, referent).status == "wrap_up"
    assert conversation(live_app).ended_by == "dropped"
    clock.now = request.next_attempt_at + timedelta(minutes=1)
    dispatch(live_app)
    assert len(rest.calls) == 3  # tried again, listener first, by the request's own rules


def test_a_callback_transferred_cold_puts_the_person_through_and_frees_the_listener(live_app, rest, clock):
    from ivr import transfers

    referent, leg, dial, person, _ = called_back(live_app, rest, clock)
    call_id = conversation(live_app).call_id
    with live_app.app_context():
        # Not another line of the engine (nobody is free on Un premier pas): the 3919.
        target = next(target for target in transfers.targets(call_id) if target.pool is None)
        assert transfers.start_transfer(call_id, target.key, "cold").code == "started"
    deliver(leg.tw, rest)
    assert rest.hears(person.sid) == {HOLD_MUSIC}
    [third] = [sid for sid, call in rest.calls.items() if "/voice/transfer/status" in call["params"].get(
        "StatusCallback", "")]
    rest.answer_participant(third)
    deliver(leg.tw, rest)
    params = rest.calls[third]["params"]
    assert leg.tw.post(path_of(params["StatusCallback"]), {"CallSid": third, "CallStatus": "in-progress",
                                                          "From": params["From"], "To": params["To"]}).status_code == 200
    deliver(leg.tw, rest)
    assert rest.hears(person.sid) == {third} and rest.hears(third) == {person.sid}
    redirected = rest.calls[leg.sid]["redirects"][-1]
    assert "/voice/callback/over?attempt=" in redirected  # the listener leaves the call to its outcome
    outcome = xml(leg.tw.post(path_of(redirected), leg.params(CallStatus="in-progress")))
    assert "Si ce n'était pas la bonne personne" in said(outcome)
    leg.status("completed", 300)
    assert listener(live_app, referent).status == "wrap_up"
    [request] = requests_held(live_app)
    assert request.status == "reached"
    assert rest.hears(person.sid) == {third}  # still talking with the third party


def test_a_callback_marked_difficult_on_the_desk_gives_the_longer_wrap_up(live_app, rest, clock):
    from store.extension import directory

    referent, leg, dial, person, _ = called_back(live_app, rest, clock)
    desk = listener_login(live_app, referent, "referent@example.org")
    post_form(desk, DESK, "/console/desk/difficult")
    person.hang_up()
    dial_ended(leg.tw, rest, leg, dial)
    leg.status("completed", 600)
    with live_app.app_context(), database.session() as session:
        settings = directory.get(session, clock.now).lines_by_slug["3977"].queue
    assert settings.difficult_wrapup > settings.wrapup_seconds(None)
    ends = listener(live_app, referent).wrapup_until
    assert (ends - clock.now).total_seconds() == settings.difficult_wrapup
    page = text(desk.get(DESK))
    assert "Rappel · appel n°" in page and MOBILE not in page  # its wrap-up still shows the callback


def test_help_asked_from_the_keypad_on_a_callback_alerts_the_lines_supervisors_who_can_listen(live_app, rest, clock):
    from tests.support.console import COORDINATOR_PASSWORD, make_account, sign_in

    referent, leg, dial, person, _ = called_back(live_app, rest, clock)
    make_account(live_app, "coord3977@example.org", COORDINATOR_PASSWORD, "coordinator", lines=["3977"],
                 name="Coordination")
    supervisor = live_app.test_client()
    sign_in(supervisor, "coord3977@example.org", COORDINATOR_PASSWORD)
    rest.leave_conference(leg.sid, "hangup-on-star")
    menu = dial_ended(leg.tw, rest, leg, dial)
    back = press(leg.tw, leg, menu, "3")
    assert "Votre demande d'aide est transmise" in said(back)
    page = text(supervisor.get(DESK))
    help_section = page.split("Demandes d'aide</h2>")[1].split("</section>")[0]
    assert "Rappel · appel n°" in help_section and MOBILE not in page and national(MOBILE) not in page
