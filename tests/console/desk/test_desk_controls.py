"""The desk drives the call's conference: hold with the line's music, a binôme who joins muted then gets the floor,
a supervisor who listens, whispers or joins (the caller never hears a whisper), ending the call; each change shown
to the listener. Asserted on what each party hears in the loopback Twilio server, through signed webhooks."""

from __future__ import annotations

from sqlalchemy import select

from store.extension import database
from store.models import Call, CallEvent
from tests.support.calls import deliver, dial_ended, qapp, rung, tw  # noqa: F401 — fixtures
from tests.support.console import COORDINATOR_PASSWORD, audit_events, make_account, sign_in, text
from tests.support.desk import EVC, add_listener, call_in_progress, listener_login, post_form, press
from tests.support.twilio_conference import HOLD_MUSIC

DESK = "/console/desk"
SUPERVISOR_PHONE = "+32470999999"


def call_id(app, sid) -> int:
    with app.app_context(), database.session() as session:
        return session.scalar(select(Call.id).where(Call.sid == sid))


def kinds(app, sid) -> list[str]:
    with app.app_context(), database.session() as session:
        call = session.scalar(select(Call.id).where(Call.sid == sid))
        return list(session.scalars(select(CallEvent.kind).where(CallEvent.call_id == call).order_by(CallEvent.id)))


def coordinator(app, email, lines, name):
    make_account(app, email, COORDINATOR_PASSWORD, "coordinator", lines=lines, name=name)
    client = app.test_client()
    sign_in(client, email, COORDINATOR_PASSWORD)
    return client


def people(page: str) -> str:
    return page.split("Sur l'appel</h2>")[1].split("</section>")[0]


def test_hold_from_the_desk_plays_the_lines_music_and_resume_brings_the_caller_back(qapp, tw, rest, clock):
    noor = add_listener(qapp, "Noor", "+32470111111")
    desk = listener_login(qapp, noor, "noor@example.org")
    caller = call_in_progress(tw, rest)
    assert rest.hears(caller.sid) == {caller.leg.sid}

    post_form(desk, DESK, "/console/desk/hold")
    deliver(tw, rest)
    assert rest.hears(caller.sid) == {HOLD_MUSIC} and rest.hears(caller.leg.sid) == set()
    page = text(desk.get(DESK))
    assert "L'appelant·e est en attente, avec la musique de la ligne." in page
    assert "L'appelant·e — en attente, entend la musique" in people(page)
    assert "Reprendre l'appelant·e" in page and "Mettre en attente" not in page
    assert "Appelant·e en attente, avec musique (depuis le poste d'écoute)" in page  # what changed

    post_form(desk, DESK, "/console/desk/resume")
    deliver(tw, rest)
    assert rest.hears(caller.sid) == {caller.leg.sid} and rest.hears(caller.leg.sid) == {caller.sid}
    page = text(desk.get(DESK))
    assert "L'appelant·e est de nouveau avec vous." in page and "Appelant·e repris·e" in page
    assert ["desk.hold", "desk.resume"] == [e.action for e in audit_events(qapp) if e.action.startswith("desk.")]


def test_a_binome_joins_muted_then_gets_the_floor_and_sees_the_call_on_their_own_desk(qapp, tw, rest):
    noor = add_listener(qapp, "Noor", "+32470111111")
    desk = listener_login(qapp, noor, "noor@example.org")
    caller = call_in_progress(tw, rest)
    sam = add_listener(qapp, "Sam", "+32470222222")
    sam_desk = listener_login(qapp, sam, "sam@example.org")

    post_form(desk, DESK, "/console/desk/binome")
    assert "Un·e binôme est appelé·e" in text(desk.get(DESK))
    sam_leg = next(sid for sid in rung(rest) if rest.calls[sid]["to"] == "+32470222222")
    assert "Sam (binôme) — son téléphone sonne" in people(text(desk.get(DESK)))
    rest.answer_participant(sam_leg)
    deliver(tw, rest)
    assert caller.sid in rest.hears(sam_leg)  # Sam hears the caller...
    assert sam_leg not in rest.hears(caller.sid)  # ...but nobody hears Sam: muted
    page = text(desk.get(DESK))
    assert "Sam (binôme) — écoute, micro coupé" in people(page)
    sam_page = text(sam_desk.get(DESK))  # the binôme's own desk shows the call, without its controls
    assert f"Appel n° {call_id(qapp, caller.sid)} — en cours" in sam_page and "Vous (écoutant·e)" in people(sam_page)
    assert "Noor (écoutant·e)" in people(sam_page) and "Mettre en attente" not in sam_page
    assert post_form(sam_desk, DESK, "/console/desk/help").status_code == 302  # a binôme may ask for help
    token = sam_page.split('name="csrf_token" value="')[1].split('"')[0]
    refused = sam_desk.post(f"{DESK}/hold", data={"csrf_token": token, "call": str(call_id(qapp, caller.sid))})
    assert refused.status_code == 403

    leg_id = page.split('name="leg" value="')[1].split('"')[0]
    post_form(desk, DESK, "/console/desk/floor", leg=leg_id)
    deliver(tw, rest)
    assert sam_leg in rest.hears(caller.sid)  # the caller hears Sam now
    assert "Sam (binôme) — écoute" not in people(text(desk.get(DESK)))
    post_form(desk, DESK, "/console/desk/remove", leg=leg_id)
    deliver(tw, rest)
    assert sam_leg not in rest.hears(caller.sid) and "Sam (binôme)" not in people(text(desk.get(DESK)))
    assert {"conv_binome_invited", "conv_floor_given", "conv_removed"} <= set(kinds(qapp, caller.sid))


def test_a_supervisor_answers_a_help_request_by_whispering_and_the_caller_never_hears_it(qapp, tw, rest):
    noor = add_listener(qapp, "Noor", "+32470111111")
    desk = listener_login(qapp, noor, "noor@example.org")
    evc = coordinator(qapp, "evc@example.org", [EVC], "Camille")
    other = coordinator(qapp, "evc2@example.org", [EVC], "Dominique")
    caller = call_in_progress(tw, rest)
    post_form(desk, DESK, "/console/desk/help")
    ref = call_id(qapp, caller.sid)

    response = post_form(evc, DESK, f"/console/desk/calls/{ref}/supervise", mode="whisper", phone="0470 99 99 99")
    assert response.status_code == 302
    assert "seul·e l'écoutant·e vous entendra" in text(evc.get(DESK))
    supervisor_leg = next(sid for sid in rung(rest) if rest.calls[sid]["to"] == SUPERVISOR_PHONE)
    rest.answer_participant(supervisor_leg)
    deliver(tw, rest)
    assert supervisor_leg not in rest.hears(caller.sid)  # a whisper: the caller never hears it
    assert supervisor_leg in rest.hears(caller.leg.sid)  # the listener does
    page = text(desk.get(DESK))
    assert "Camille (superviseur·e) — parle à l'écoutant·e seulement" in people(page)
    assert "Un·e superviseur·e répond (souffle à l'écoutant·e)" in page
    assert "Aucune demande d'aide." in text(evc.get(DESK))  # answered: the alert is gone
    assert 'value="+32470999999"' in text(evc.get(DESK))  # their number, remembered for the next call

    # A second supervisor at once is refused; the first one joins: now the caller hears them too.
    post_form(other, DESK, f"/console/desk/calls/{ref}/supervise", mode="join", phone="+32470888888")
    assert "Un·e autre superviseur·e est déjà sur cet appel." in text(other.get(DESK))
    post_form(evc, DESK, f"/console/desk/calls/{ref}/supervise", mode="join", phone="+32470999999")
    deliver(tw, rest)
    assert supervisor_leg in rest.hears(caller.sid)
    assert "Camille (superviseur·e) — en ligne avec tous" in people(text(desk.get(DESK)))
    assert [k for k in kinds(qapp, caller.sid) if k.startswith("desk_")] == [
        "desk_help_asked", "desk_help_answered", "desk_help_answered"]
    for secret in (caller.number, caller.number[1:]):
        assert secret not in text(desk.get(DESK)) and secret not in text(evc.get(DESK))


def test_the_listener_ends_the_call_from_the_desk_and_goes_to_wrap_up(qapp, tw, rest):
    noor = add_listener(qapp, "Noor", "+32470111111")
    desk = listener_login(qapp, noor, "noor@example.org")
    caller = call_in_progress(tw, rest)
    post_form(desk, DESK, "/console/desk/end")
    deliver(tw, rest)
    assert caller.leg.sid in rest.dial_ended  # the conference ended for everyone, the caller first
    menu = dial_ended(tw, rest, caller.leg, caller.dial)
    assert menu.find("Gather") is not None  # the wrap-up menu, as after any call
    page = text(desk.get(DESK))
    assert "terminé, fin d'appel jusqu'à" in page and "Terminer l'appel" not in page
    assert "Appel terminé (depuis le poste d'écoute)" in page


def test_help_asked_on_the_keypad_alerts_the_supervisors_like_the_desks_button(qapp, tw, rest):
    noor = add_listener(qapp, "Noor", "+32470111111")
    evc = coordinator(qapp, "evc@example.org", [EVC], "Camille")
    caller = call_in_progress(tw, rest)
    menu = dial_ended(tw, rest, caller.leg, caller.dial)  # * pressed: the listener's Dial ends, the menu plays
    press(tw, caller.leg, menu, "3")
    assert "desk_help_asked" in kinds(qapp, caller.sid)
    help_section = text(evc.get(DESK)).split("Demandes d'aide</h2>")[1].split("</section>")[0]
    assert f"Appel n° {call_id(qapp, caller.sid)}" in help_section
    del noor


def test_a_coordinator_of_another_line_cannot_listen_to_the_call_nor_see_it(qapp, tw, rest):
    noor = add_listener(qapp, "Noor", "+32470111111")
    desk = listener_login(qapp, noor, "noor@example.org")
    upp = coordinator(qapp, "upp@example.org", ["un-premier-pas"], "Lou")
    caller = call_in_progress(tw, rest)
    post_form(desk, DESK, "/console/desk/help")
    page = text(upp.get(DESK))
    assert f"Appel n° {call_id(qapp, caller.sid)}" not in page and "Aucune demande d'aide." in page
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    before = set(rest.calls)
    refused = upp.post(f"{DESK}/calls/{call_id(qapp, caller.sid)}/supervise",
                       data={"csrf_token": token, "mode": "listen", "phone": "+33612345678"})
    assert refused.status_code == 403 and set(rest.calls) == before  # no phone rang
    assert "desk_help_answered" not in kinds(qapp, caller.sid)


def test_the_supervisors_desk_speaks_english_to_an_english_speaking_coordinator(qapp, tw, rest):
    noor = add_listener(qapp, "Noor", "+32470111111")
    desk = listener_login(qapp, noor, "noor@example.org")
    make_account(qapp, "evc@example.org", COORDINATOR_PASSWORD, "coordinator", lines=[EVC], name="Camille",
                 language="en")
    evc = qapp.test_client()
    sign_in(evc, "evc@example.org", COORDINATOR_PASSWORD)
    caller = call_in_progress(tw, rest)
    post_form(desk, DESK, "/console/desk/help")
    page = text(evc.get(DESK))
    assert "Call supervision" in page and "The listener asks for help." in page
    assert f"Whisper to the listener (Call no. {call_id(qapp, caller.sid)})" in page
    assert "Noor (listener)" in page and "Debriefs to offer: 0" in page
