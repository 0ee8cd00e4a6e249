"""The desk names a transfer's third party by the label the transfer gave it (its target, as said), never by an
internal leg number nor by a phone number — and Twilio knows the participant by the same label."""

from __future__ import annotations

from tests.support.calls import deliver, qapp, tw  # noqa: F401 — fixtures
from tests.support.desk import listener_login, post_form
from tests.support.transfers import INTERPRETER, THE_107, Scene

DESK = "/console/desk"


def _people(desk) -> list[str]:
    return [person["text"] for person in desk.get("/console/desk.json").get_json()["call"]["people"]]


def test_the_desk_shows_the_third_party_by_the_label_given_never_a_leg_number(qapp, tw, rest, clock):
    scene = Scene(qapp, tw, rest, clock)
    desk = listener_login(qapp, scene.camille, "camille@example.org")
    post_form(desk, DESK, "/console/desk/transfer", target="service:be-107", mode="warm")
    deliver(tw, rest)
    assert scene.dialled()["Label"] == "le 107, Télé-Accueil"  # the participant's label at Twilio
    scene.answer_third_party()
    people = _people(desk)
    assert "Tiers le 107, Télé-Accueil" in people, people
    assert not any("leg-" in words or "transfer-" in words or THE_107 in words for words in people)


def test_a_label_that_is_a_phone_number_is_never_shown(qapp, tw, rest, clock):
    from ivr import call_control

    scene = Scene(qapp, tw, rest, clock)
    with qapp.app_context():
        outcome = call_control.add_participant(scene.conversation().id, INTERPRETER, label=INTERPRETER)
    deliver(tw, rest)
    assert outcome.ok
    [params] = [call["params"] for call in rest.calls.values() if call["to"] == INTERPRETER]
    assert params["Label"] == "third_party"
    desk = listener_login(qapp, scene.camille, "camille@example.org")
    assert not any(INTERPRETER in words for words in _people(desk))
