"""A transfer to another line of this engine reaches one of that line's free listeners directly — never its greeting
and menu — who hears whose call it is; with nobody free there, the listener is told and the caller stays with them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from routing.queueing import ListenerStatus
from store.extension import database
from store.models import Call
from tests.conftest import at_paris
from tests.support.calls import (Caller, ListenerLeg, add_listener, bridge, deliver, listener, path_of, qapp,  # noqa: F401
                                 rung, tw, xml)
from tests.support.transfers import Scene, said

UPP = "line:un-premier-pas"
UPP_NUMBER = "+33199009494"  # its public number: greeting and menu, never dialled by a transfer
INES = "+33622222222"  # a listener of Un premier pas (fictitious)
WHISPER_WARM = ("Appel transféré par le 3977. Un écoutant va vous présenter la situation avant de vous passer la "
                "personne.")
NOBODY = ("Personne n'est disponible en ce moment sur la ligne Un premier pas, Val-de-Marne. L'appelant est de "
          "nouveau avec vous.")


class PlatformScene(Scene):
    """Camille, of the 3977, has taken a caller from La Réunion (its centre closed at this hour)."""

    def __init__(self, app, tw, rest, clock, ines: ListenerStatus | None = ListenerStatus.AVAILABLE):
        self.app, self.tw, self.rest, self.clock = app, tw, rest, clock
        clock.now = at_paris(2026, 11, 24, 14, 0)  # Un premier pas is open too
        self.camille = add_listener(app, "Camille", "+33611111111", pools=("3977",))
        self.caller = Caller(tw, to="+33199003977")
        asked = self.caller.document.find("Gather")
        assert xml(tw.post(path_of(asked.get("action")), self.caller.params(Digits="97411"))).find("Enqueue") is not None
        self.leg = ListenerLeg(tw, rest, rung(rest)[-1])
        clock.now += timedelta(seconds=5)
        self.dial = self.leg.press("1")
        self.joined = bridge(tw, self.caller, self.dial, self.leg)
        self.ines = add_listener(app, "Inès", INES, status=ines, pools=("un-premier-pas",)) if ines else None
        with app.app_context(), database.session() as session:
            self.call_id = session.scalar(select(Call.id).where(Call.sid == self.caller.sid))

    def key_of(self, target_key: str) -> str:
        keys = [target.key for target in self.api("targets", self.call_id)]
        return str(keys.index(target_key) + 1)


def test_star_4_to_another_line_rings_one_of_its_listeners_who_hears_whose_call_it_is(qapp, tw, rest, clock):
    scene = PlatformScene(qapp, tw, rest, clock)
    caller, camille = scene.caller.sid, scene.leg.sid
    said_back = scene.keys("4", scene.key_of(UPP), "1")
    assert said(said_back).startswith("Nous appelons la ligne Un premier pas, Val-de-Marne.")
    assert scene.dialled()["To"] == INES and UPP_NUMBER not in {c["to"] for c in rest.calls.values()}
    assert scene.dialled()["From"] == "+33199003977"  # the 3977's number, as for any transfer
    assert listener(qapp, scene.ines).status == "on_call"  # reserved: no queue call for her meanwhile
    scene.answer_third_party()
    ines = scene.third_party()
    assert scene.announced(ines) == WHISPER_WARM
    assert rest.hears(camille) == {ines} and caller not in rest.heard_by(ines)
    scene.keys("4", "1")  # Camille leaves the caller with Inès
    assert rest.hears(caller) == {ines} and rest.hears(ines) == {caller}
    assert listener(qapp, scene.camille).status == "wrap_up"
    assert scene.events()[0] == f"transfer_started warm line {UPP}"
    rest.hang_up(caller)
    deliver(tw, rest)
    scene.third_party_status("completed", ines)
    assert listener(qapp, scene.ines).status == "wrap_up"  # her call is over: her wrap-up, as after any call


def test_a_cold_transfer_to_another_line_puts_the_caller_through_to_its_listener(qapp, tw, rest, clock):
    scene = PlatformScene(qapp, tw, rest, clock)
    caller, camille = scene.caller.sid, scene.leg.sid
    assert scene.api("start_transfer", scene.call_id, UPP, "cold").code == "started"
    assert said(scene.hold_document()) == ("Je vous mets en relation avec la ligne Un premier pas, Val-de-Marne. "
                                           "Restez en ligne.")
    assert scene.dialled()["To"] == INES
    scene.answer_third_party()
    ines = scene.third_party()
    assert scene.announced(ines) == "Appel transféré par le 3977. La personne est en ligne avec vous."
    assert rest.hears(caller) == {ines} and rest.hears(ines) == {caller}
    assert rest.conference_of(camille) is None


def test_nobody_free_on_the_other_line_the_listener_is_told_and_keeps_the_caller(qapp, tw, rest, clock):
    scene = PlatformScene(qapp, tw, rest, clock, ines=ListenerStatus.PAUSED)
    caller, camille = scene.caller.sid, scene.leg.sid
    said_back = scene.keys("4", scene.key_of(UPP), "2")
    assert said(said_back).startswith(NOBODY)
    assert not [c for c in rest.calls.values() if "/voice/transfer/status" in c["params"].get("StatusCallback", "")]
    assert rest.hears(caller) == {camille} and rest.hears(camille) == {caller}
    assert scene.events() == []
    outcome = scene.api("start_transfer", scene.call_id, UPP, "warm")  # the desk is told the same
    assert (outcome.ok, outcome.code) == (False, "nobody_available")
    assert rest.hears(caller) == {camille}


def test_the_other_line_s_listener_not_answering_gives_the_caller_back_and_frees_her(qapp, tw, rest, clock):
    scene = PlatformScene(qapp, tw, rest, clock)
    caller, camille = scene.caller.sid, scene.leg.sid
    scene.api("start_transfer", scene.call_id, UPP, "warm")
    clock.now += timedelta(seconds=30)
    scene.third_party_fails("no-answer")
    assert rest.hears(caller) == {camille} and rest.hears(camille) == {caller}
    assert scene.announced(camille) == ("Pas de réponse pour la ligne Un premier pas, Val-de-Marne. L'appelant est de "
                                        "nouveau avec vous.")
    assert listener(qapp, scene.ines).status == "available"  # free again for her own line's callers


def test_the_desk_says_nobody_is_free_on_the_other_line_and_the_caller_stays(qapp, tw, rest, clock):
    from tests.support.console import text
    from tests.support.desk import listener_login, post_form

    scene = PlatformScene(qapp, tw, rest, clock, ines=None)  # nobody at all on Un premier pas
    desk = listener_login(qapp, scene.camille, "camille@example.org")
    assert "la ligne Un premier pas, Val-de-Marne" in text(desk.get("/console/desk"))
    post_form(desk, "/console/desk", "/console/desk/transfer", target=UPP, mode="cold")
    deliver(tw, rest)
    page = text(desk.get("/console/desk"))
    assert "Personne n'est disponible sur cette ligne en ce moment : l'appelant reste avec vous." in page
    assert rest.hears(scene.caller.sid) == {scene.leg.sid}
    assert scene.events() == []
