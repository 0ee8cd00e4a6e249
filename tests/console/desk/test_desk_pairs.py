"""On a line that offers every call to a pair, the desk shows the second listener as the binôme: ringing, then
listening muted, and given the floor from the first listener's desk; the binôme's own desk shows the call."""

from __future__ import annotations

from sqlalchemy import select

from store.extension import database
from store.models import Call
from tests.support.calls import Caller, bridge, deliver, qapp, rung, tw  # noqa: F401 — fixtures
from tests.support.console import text
from tests.support.desk import add_listener, listener_login, post_form
from tests.support.pairs import leg_to, offer_to_pairs

NOOR, SAM = "+32470111111", "+32470222222"
DESK = "/console/desk"


def call_id(app, sid) -> int:
    with app.app_context(), database.session() as session:
        return session.scalar(select(Call.id).where(Call.sid == sid))


def people(page: str) -> str:
    """The desk's "on the call" section."""
    return page.split("Sur l'appel</h2>")[1].split("</section>")[0]


def test_the_second_of_a_pair_shows_as_the_binome_on_both_desks_and_gets_the_floor(qapp, tw, rest):
    offer_to_pairs(qapp)
    noor, sam = add_listener(qapp, "Noor", NOOR), add_listener(qapp, "Sam", SAM)
    desk, sam_desk = listener_login(qapp, noor, "noor@example.org"), listener_login(qapp, sam, "sam@example.org")
    caller = Caller(tw)
    assert len(rung(rest)) == 2
    first, second = leg_to(tw, rest, NOOR), leg_to(tw, rest, SAM)
    dial = first.press("1")
    bridge(tw, caller, dial, first)
    assert "Sam (binôme) — son téléphone sonne" in people(text(desk.get(DESK)))
    document = second.answer()
    rest.join(second.sid, document.find("Dial"))
    deliver(tw, rest)
    page = text(desk.get(DESK))
    assert "Sam (binôme) — écoute, micro coupé" in people(page)
    sam_page = text(sam_desk.get(DESK))
    assert f"Appel n° {call_id(qapp, caller.sid)} — en cours" in sam_page and "Noor (écoutant·e)" in people(sam_page)
    leg_id = page.split('name="leg" value="')[1].split('"')[0]
    post_form(desk, DESK, "/console/desk/floor", leg=leg_id)
    deliver(tw, rest)
    assert second.sid in rest.hears(caller.sid)  # the caller hears Sam now
