"""Transfers from the desk: the listener picks a target of the directory (never types a number), warm or cold; the
caller waits with the line's music while the listener talks to the third party, then is left with them, or comes
back when the listener cancels. What each party hears, asserted in the loopback Twilio server."""

from __future__ import annotations

from tests.support.calls import deliver, listener, qapp, tw  # noqa: F401 — fixtures
from tests.support.console import audit_events, text
from tests.support.desk import listener_login, post_form
from tests.support.transfers import Scene
from tests.support.twilio_conference import HOLD_MUSIC

DESK = "/console/desk"


def transfer_section(page: str) -> str:
    return page.split("Transfert</h2>")[1].split("</section>")[0]


def test_a_warm_transfer_from_the_desk_leaves_the_caller_with_the_107(qapp, tw, rest, clock):
    scene = Scene(qapp, tw, rest, clock)
    desk = listener_login(qapp, scene.camille, "camille@example.org")
    section = transfer_section(text(desk.get(DESK)))
    assert "le 107, Télé-Accueil" in section and "le service d'interprétariat" in section
    assert "Accompagné : l'appelant·e attend en musique" in section

    post_form(desk, DESK, "/console/desk/transfer", target="service:be-107", mode="warm")
    deliver(tw, rest)
    assert rest.hears(scene.caller.sid) == {HOLD_MUSIC}
    page = text(desk.get(DESK))
    assert "Transfert lancé : l'appelant·e attend en musique." in page
    assert "Transfert vers le 107, Télé-Accueil : ça sonne." in transfer_section(page)
    assert "Laisser l'appelant·e avec le tiers" not in page and "Annuler le transfert" in page

    scene.answer_third_party()
    third = scene.third_party()
    assert rest.hears(scene.leg.sid) == {third}
    page = text(desk.get(DESK))
    assert "le tiers a répondu, vous lui parlez" in transfer_section(page)
    assert "Le tiers a répondu" in page  # what changed
    post_form(desk, DESK, "/console/desk/transfer/complete")
    deliver(tw, rest)
    assert rest.hears(scene.caller.sid) == {third} and rest.hears(third) == {scene.caller.sid}
    scene.listener_redirected()  # Twilio fetches where the listener's leg was sent: her wrap-up
    assert listener(qapp, scene.camille).status == "wrap_up"
    page = text(desk.get(DESK))
    assert "Transfert fait : l'appelant·e est avec le tiers." in page and "terminé, fin d'appel" in page
    assert scene.events() == ["transfer_started warm service service:be-107", "transfer_answered warm after 0 s",
                              "transfer_completed left"]
    audited = [(e.action, (e.after or {}).get("outcome")) for e in audit_events(qapp) if e.action.startswith("desk.")]
    assert audited == [("desk.transfer_start", "started"), ("desk.transfer_complete", "done")]


def test_cancelling_a_transfer_from_the_desk_brings_the_caller_back(qapp, tw, rest, clock):
    scene = Scene(qapp, tw, rest, clock)
    desk = listener_login(qapp, scene.camille, "camille@example.org")
    post_form(desk, DESK, "/console/desk/transfer", target="number:+3225550399", mode="warm")
    deliver(tw, rest)
    assert rest.hears(scene.caller.sid) == {HOLD_MUSIC}
    post_form(desk, DESK, "/console/desk/transfer/cancel")
    deliver(tw, rest)
    assert rest.hears(scene.caller.sid) == {scene.leg.sid}
    page = text(desk.get(DESK))
    assert "Transfert annulé : l'appelant·e est de nouveau avec vous." in page
    assert "sans suite : l'appelant·e est de nouveau avec vous." in transfer_section(page)
    # A key that is not one of the call's targets is refused: no number reaches the REST API from a form.
    post_form(desk, DESK, "/console/desk/transfer", target="number:+33612345678", mode="cold")
    assert "Cette destination n'est plus proposée" in text(desk.get(DESK))
    assert not any(call["to"] == "+33612345678" for call in rest.calls.values())
