"""A call marked difficult from the desk: the listener's wrap-up becomes the line's longer one (queue.difficult_wrapup),
the line's coordinators see it on their live board to offer a debrief and mark it done; recorded and audited."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ivr.sweep import sweep
from store.extension import database
from store.models import Call, CallEvent, Listener
from tests.support.calls import qapp, tw  # noqa: F401 — fixtures
from tests.support.console import COORDINATOR_PASSWORD, audit_events, make_account, sign_in, text
from tests.support.desk import EVC, add_listener, call_in_progress, caller_hangs_up, listener_login, post_form, press

DESK = "/console/desk"
BOARD = f"/console/lines/{EVC}/live"
DIFFICULT_WRAPUP = 600  # the Belgian line's queue.difficult_wrapup
USUAL_WRAPUP = 60  # its queue.wrapup.default


def listener(app, listener_id) -> Listener:
    with app.app_context(), database.session() as session:
        return session.get(Listener, listener_id)


def call_id(app, sid) -> int:
    with app.app_context(), database.session() as session:
        return session.scalar(select(Call.id).where(Call.sid == sid))


def desk_events(app, sid) -> list[tuple[str, str]]:
    with app.app_context(), database.session() as session:
        call = session.scalar(select(Call.id).where(Call.sid == sid))
        return [(e.kind, e.detail) for e in session.scalars(select(CallEvent).where(CallEvent.call_id == call)
                                                            .order_by(CallEvent.id)) if e.kind.startswith("desk_")]


def said(document) -> str:
    return " ".join(s.text or "" for s in document.iter("Say"))


def coordinator(app, email, lines):
    make_account(app, email, COORDINATOR_PASSWORD, "coordinator", lines=lines, name=email.split("@")[0])
    client = app.test_client()
    sign_in(client, email, COORDINATOR_PASSWORD)
    return client


def debriefs_section(page: str) -> str:
    return page.split("débriefing à proposer</h")[1].split("</section>")[0]


def test_a_call_marked_difficult_during_the_conversation_gets_the_lines_longer_wrap_up(qapp, tw, rest, clock):
    noor = add_listener(qapp, "Noor", "+32470111111")
    desk = listener_login(qapp, noor, "noor@example.org")
    caller = call_in_progress(tw, rest)
    assert post_form(desk, DESK, "/console/desk/difficult").status_code == 302
    page = text(desk.get(DESK))
    assert "Appel marqué comme difficile." in page  # the notice after the POST
    assert "vous aurez une fin d'appel plus longue" in page and "Marquer comme appel difficile" not in page

    clock.now += timedelta(minutes=6)
    ended_at = clock.now
    menu = caller_hangs_up(tw, rest, caller)
    clock.now += timedelta(seconds=20)
    done = press(tw, caller.leg, menu, "1")  # classified on the keypad, as after any call
    assert f"Vous avez encore {DIFFICULT_WRAPUP - 20} secondes avant le prochain appel." in said(done)
    assert listener(qapp, noor).wrapup_until == ended_at + timedelta(seconds=DIFFICULT_WRAPUP)
    page = text(desk.get(DESK))
    assert "terminé, fin d'appel jusqu'à 10:16" in page  # 10:00 + 6 min + 10 min, in Brussels
    assert desk_events(qapp, caller.sid) == [("desk_difficult", f"listener {noor}")]
    assert [e.action for e in audit_events(qapp) if e.action.startswith("desk.")] == ["desk.difficult"]


def test_marking_a_call_difficult_during_its_wrap_up_lengthens_the_wrap_up_at_once(qapp, tw, rest, clock):
    noor = add_listener(qapp, "Noor", "+32470111111")
    desk = listener_login(qapp, noor, "noor@example.org")
    caller = call_in_progress(tw, rest)
    clock.now += timedelta(minutes=4)
    ended_at = clock.now
    press(tw, caller.leg, caller_hangs_up(tw, rest, caller), "0")  # not classified: the usual wrap-up
    assert listener(qapp, noor).wrapup_until == ended_at + timedelta(seconds=USUAL_WRAPUP)
    page = text(desk.get(DESK))
    assert "terminé, fin d'appel jusqu'à 10:05" in page and "Demander de l'aide" not in page

    clock.now += timedelta(seconds=30)
    post_form(desk, DESK, "/console/desk/difficult")
    assert listener(qapp, noor).wrapup_until == ended_at + timedelta(seconds=DIFFICULT_WRAPUP)
    assert listener(qapp, noor).status == "wrap_up"
    assert "terminé, fin d'appel jusqu'à 10:14" in text(desk.get(DESK))
    # Once the wrap-up is over the desk has no call any more: nothing to mark twice.
    clock.now = ended_at + timedelta(seconds=DIFFICULT_WRAPUP + 20)
    with qapp.app_context():
        sweep(qapp)
    assert "Aucun appel en cours." in text(desk.get(DESK))


def test_the_coordinator_sees_the_difficult_call_on_the_live_board_and_marks_the_debrief_done(qapp, tw, rest, clock):
    noor = add_listener(qapp, "Noor Haddad", "+32470111111")
    desk = listener_login(qapp, noor, "noor@example.org")
    evc = coordinator(qapp, "evc@example.org", [EVC])
    upp = coordinator(qapp, "upp@example.org", ["un-premier-pas"])
    caller = call_in_progress(tw, rest)
    reference = f"Appel n° {call_id(qapp, caller.sid)}"
    assert "Aucun débriefing à proposer." in text(evc.get(BOARD))
    clock.now += timedelta(minutes=3)
    post_form(desk, DESK, "/console/desk/difficult")

    board = text(evc.get(BOARD))
    due = debriefs_section(board)
    assert f"{reference}, Écoute Violences Conjugales — pris par Noor Haddad, marqué difficile à 10:03" in due
    assert "Débriefings à proposer : 1" in board
    assert reference not in text(upp.get(DESK))  # another line's coordinator is not told
    assert upp.post(f"{DESK}/calls/{call_id(qapp, caller.sid)}/debrief",
                    data={"csrf_token": "x"}).status_code in (400, 403)

    clock.now += timedelta(minutes=30)  # the call ended long ago: the debrief is still due
    press(tw, caller.leg, caller_hangs_up(tw, rest, caller), "0")
    assert reference in debriefs_section(text(evc.get(BOARD)))
    response = post_form(evc, BOARD, f"/console/desk/calls/{call_id(qapp, caller.sid)}/debrief")
    assert response.status_code == 302 and response.headers["Location"].endswith(BOARD)
    board = text(evc.get(BOARD))
    assert "Débriefing noté : l'appel quitte la liste." in board
    assert reference not in debriefs_section(board) and "Aucun débriefing à proposer." in board
    assert desk_events(qapp, caller.sid) == [("desk_difficult", f"listener {noor}"),
                                            ("desk_debrief_done", "evc@example.org")]
    audited = [(e.action, e.account_email) for e in audit_events(qapp) if e.action.startswith("desk.")]
    assert audited == [("desk.difficult", "noor@example.org"), ("desk.debrief_done", "evc@example.org")]


def test_the_listener_classifies_the_call_from_the_desk_during_its_wrap_up(qapp, tw, rest, clock):
    from store.models import CallCategory

    noor = add_listener(qapp, "Noor", "+32470111111")
    desk = listener_login(qapp, noor, "noor@example.org")
    caller = call_in_progress(tw, rest)
    clock.now += timedelta(minutes=3)
    press(tw, caller.leg, caller_hangs_up(tw, rest, caller), "0")  # skipped on the keypad
    assert "pas encore classé" in text(desk.get(DESK))
    post_form(desk, DESK, "/console/desk/category", category="professionnel")
    page = text(desk.get(DESK))
    assert "Appel classé." in page and "<dd>Professionnel</dd>" in page
    with qapp.app_context(), database.session() as session:
        row = session.scalar(select(CallCategory).where(CallCategory.call_id == call_id(qapp, caller.sid)))
        assert (row.category, row.via, row.listener_id) == ("professionnel", "console", noor)
    assert post_form(desk, DESK, "/console/desk/category", category="not-a-category").status_code == 400
