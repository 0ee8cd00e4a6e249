"""Relays to centres in the reports: per line (by centre) and per centre (by relaying line), with the time until the
first call-back, on the page and in the CSV."""

from __future__ import annotations

from tests.conftest import SignedTwilio, at_paris
from tests.support.calls import ListenerLeg, path_of, xml
from tests.support.callbacks import PersonPhone, dialled_person
from tests.support.cases import (CALLER, PASSWORD, PLATFORM, REFERENT_94, REFERENT_PHONE, case_ids, national_call,
                                 platform_coordinator, referent, relay_fields)
from tests.support.console import csrf_token, make_account, sign_in, text, words

PERIOD = "from=2026-11-01&to=2026-11-30"


def relay(app, clock, rest, at, consent):
    call_id, sid = national_call(app, clock, at, caller=CALLER if consent == "yes" else "+33655555555")
    rest.add_inbound_call(sid, status="completed", from_number=CALLER)
    client = app.test_client()
    sign_in(client, PLATFORM, PASSWORD)
    path = f"/console/cases/relay/{call_id}"
    assert client.post(path, data={**relay_fields(consent=consent), "csrf_token": csrf_token(client, path)}).status_code == 302
    return case_ids(app)[-1]


def test_relays_and_the_time_until_the_first_call_back_per_line_and_per_centre(live_app, clock, rest):
    platform_coordinator(live_app)
    called = relay(live_app, clock, rest, at_paris(2026, 11, 24, 17, 15), "yes")
    relay(live_app, clock, rest, at_paris(2026, 11, 24, 17, 20), "no")
    referent(live_app, REFERENT_94, "3977-94")
    clock.now = at_paris(2026, 11, 24, 18, 45)  # 1 h 30 after the relay
    client = live_app.test_client()
    sign_in(client, REFERENT_94, PASSWORD)
    path = f"/console/cases/{called}"
    client.post(f"{path}/call-back", data={"csrf_token": csrf_token(client, path)})
    sid = next(s for s, c in rest.calls.items() if c.get("to") == REFERENT_PHONE)
    leg = ListenerLeg(SignedTwilio(live_app.test_client()), rest, sid)
    dial = leg.press("1").find("Dial")
    rest.join(leg.sid, dial)
    person = PersonPhone(live_app, rest, dialled_person(rest, CALLER))
    person.answer()
    person.hang_up()  # reached: they talked, and hung up
    xml(leg.tw.post(path_of(dial.get("action")), leg.params(DialCallStatus="completed")))

    platform = live_app.test_client()
    sign_in(platform, PLATFORM, PASSWORD)
    page = words(platform.get(f"/console/reports/lines/3977?{PERIOD}"))
    assert "Dossiers relayés aux centres et délai avant le premier rappel" in page
    assert "Centre d'écoute 3977 du Val-de-Marne 2 1 1 1 1,50 1,50" in page
    csv = text(platform.get(f"/console/reports/lines/3977/relays.csv?{PERIOD}"))
    assert csv.splitlines()[1] == "Centre d'écoute 3977 du Val-de-Marne;2;1;1;1;1,50;1,50"

    make_account(live_app, email="centre94@3977.example.org", password=PASSWORD, role="coordinator",
                 centres=("3977-94",), name="Coordination 94", language="en")
    centre = live_app.test_client()
    sign_in(centre, "centre94@3977.example.org", PASSWORD)
    page = words(centre.get(f"/console/reports/centres/3977-94?{PERIOD}"))
    assert "Relaying line" in page and "3977 2 1 1 1 1.50 1.50" in page
    assert text(centre.get(f"/console/reports/centres/3977-94/relays.csv?{PERIOD}")).splitlines()[1] == \
        "3977,2,1,1,1,1.50,1.50"
    assert centre.get(f"/console/reports/centres/3977-75?{PERIOD}").status_code == 403
