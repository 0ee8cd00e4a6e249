"""Issue 14 §4: a line's report counts, from the calls' events, what happened during its conversations — hold time,
binôme and supervisor use, help asked, difficult calls and debriefs, transfers by target (started, answered,
completed, returned) — and a département centre's report the transfers it received; the same rows in the CSV."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from ivr import transfers
from tests.support.calls import deliver, dial_ended, qapp, rung, tw  # noqa: F401 — fixtures
from tests.support.console import COORDINATOR_PASSWORD, make_account, sign_in, text
from tests.support.desk import EVC, add_listener, call_in_progress, listener_login, post_form, press

DESK = "/console/desk"
DAY = {"from": "2026-11-24", "to": "2026-11-24"}
REPORT = f"/console/reports/lines/{EVC}"


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig")), delimiter=";"))


def test_the_line_report_counts_hold_binome_supervisor_difficult_calls_and_transfers(qapp, tw, rest, clock):
    noor = add_listener(qapp, "Noor", "+32470111111")
    desk = listener_login(qapp, noor, "noor@example.org")
    make_account(qapp, "evc@example.org", COORDINATOR_PASSWORD, "coordinator", lines=[EVC], name="Camille")
    evc = qapp.test_client()
    sign_in(evc, "evc@example.org", COORDINATOR_PASSWORD)
    first_call(qapp, tw, rest, clock, desk, evc)
    second_call(qapp, tw, rest)

    page = text(evc.get(REPORT, query_string=DAY))
    conversation = page.split('<table id="table-conversation">')[1].split("</table>")[0]
    shown = dict(re.findall(r'<th scope="row">([^<]+)</th><td>([^<]*)</td>', conversation))
    # Both callers waited with music: the first on hold, the second during the warm transfer.
    assert shown["Appels pris par un·e écoutant·e"] == "2" and shown["Appels mis en attente"] == "2"
    assert shown["Appels pris en binôme (proposés à deux écoutant·es à la fois)"] == "0"  # Sam was invited
    assert shown["Appels avec un·e binôme"] == "1" and shown["Appels où un·e superviseur·e a soufflé à l'écoutant·e"] == "1"
    assert shown["Appels difficiles"] == "1" and shown["Débriefings faits"] == "1" and shown["Aides demandées par les écoutant·es"] == "0"
    rows = {row[0]: row[1] for row in csv_rows(evc.get(f"{REPORT}/conversation.csv", query_string=DAY))[1:]}
    assert rows["Temps d'attente musicale, au total (s)"] == "40"  # the transfers' holds took no time here
    assert rows["Temps d'attente musicale, par appel mis en attente (s)"] == "20"
    assert rows["Appels rejoints par un·e superviseur·e"] == "0"
    transfers_csv = csv_rows(evc.get(f"{REPORT}/transfers.csv", query_string=DAY))
    assert transfers_csv[0] == ["Destination", "Lancés", "Répondus", "Menés à bien", "Revenus à l'écoutant·e",
                                "Appelant·e parti·e"]
    assert transfers_csv[1:] == [["le service d'interprétariat", "1", "0", "0", "1", "0"],
                                 ["le 107, Télé-Accueil", "1", "1", "1", "0", "0"]]


def first_call(qapp, tw, rest, clock, desk, evc) -> None:
    """40 s on hold, a binôme, a supervisor who whispers, marked difficult, its debrief done."""
    first = call_in_progress(tw, rest)
    post_form(desk, DESK, "/console/desk/hold")
    deliver(tw, rest)
    clock.now += timedelta(seconds=40)
    post_form(desk, DESK, "/console/desk/resume")
    deliver(tw, rest)
    add_listener(qapp, "Sam", "+32470222222")  # the binôme Noor calls in
    post_form(desk, DESK, "/console/desk/binome")
    rest.answer_participant(next(sid for sid in rung(rest) if rest.calls[sid]["to"] == "+32470222222"))
    deliver(tw, rest)
    post_form(evc, DESK, f"/console/desk/calls/{first_call_id(qapp, first)}/supervise", mode="whisper",
              phone="+32470999999")
    rest.answer_participant(next(sid for sid in rung(rest) if rest.calls[sid]["to"] == "+32470999999"))
    deliver(tw, rest)
    post_form(desk, DESK, "/console/desk/difficult")
    post_form(desk, DESK, "/console/desk/end")
    deliver(tw, rest)
    press(tw, first.leg, dial_ended(tw, rest, first.leg, first.dial), "0")
    post_form(evc, f"/console/lines/{EVC}/live", f"/console/desk/calls/{first_call_id(qapp, first)}/debrief")


def second_call(qapp, tw, rest) -> None:
    """A warm transfer to the 107, answered and completed; a third one, to the interpreter, cancelled."""
    lou = add_listener(qapp, "Lou", "+32470333333")
    second = call_in_progress(tw, rest)
    with qapp.app_context():  # as the desk's transfer buttons call it
        assert transfers.start_transfer(first_call_id(qapp, second), "number:+3225550399", "warm").ok
        deliver(tw, rest)
        assert transfers.cancel_transfer(first_call_id(qapp, second)).code == "cancelled"
        deliver(tw, rest)
        assert transfers.start_transfer(first_call_id(qapp, second), "service:be-107", "warm", listener_id=lou).ok
        deliver(tw, rest)
        third_party = next(sid for sid, call in rest.calls.items() if call["to"] == "+3225550107")
        rest.answer_participant(third_party)
        deliver(tw, rest)
        params = rest.calls[third_party]["params"]
        tw.post(params["StatusCallback"].split("ivr.example.org", 1)[1],
                {"CallSid": third_party, "CallStatus": "in-progress", "From": params["From"], "To": params["To"],
                 "Direction": "outbound-api"})
        assert transfers.complete_transfer(first_call_id(qapp, second)).ok


def first_call_id(app, caller) -> int:
    from sqlalchemy import select

    from store.extension import database
    from store.models import Call

    with app.app_context(), database.session() as session:
        return session.scalar(select(Call.id).where(Call.sid == caller.sid))


def test_a_centre_report_counts_the_transfers_it_received_from_the_lines(app, clock):
    """The transfers' own events (as ivr/transfers.py records them) on a 3977 call put through to the Val-de-Marne
    centre, and one that came back: the centre's report and CSV count them, another centre's do not."""
    from sqlalchemy import select

    from store.calls import record
    from store.extension import database
    from store.models import Call, LineRow, Transfer

    with app.app_context(), database.session() as session:
        line_id = session.scalar(select(LineRow.id).where(LineRow.slug == "3977"))
        for outcome in ("transfer_completed", "transfer_returned"):
            call = Call(sid=f"CA{outcome}", line_id=line_id, started_at=clock.now, department="94")
            session.add(call)
            session.flush()
            record(session, call, clock.now, "transfer_started", "warm centre centre:3977-94")
            if outcome == "transfer_completed":
                record(session, call, clock.now, "transfer_answered", "warm after 9 s")
            record(session, call, clock.now, outcome, "left" if outcome == "transfer_completed" else "no-answer")
            session.add(Transfer(conversation_id=1, call_id=call.id, target_key="centre:3977-94", target_kind="centre",
                                 label_fr="le centre du Val-de-Marne", label_en="the Val-de-Marne centre",
                                 mode="warm", status="completed", started_at=clock.now, deadline_at=clock.now))
        session.commit()
    make_account(app, "national@example.org", COORDINATOR_PASSWORD, "coordinator", centres=["3977-94", "3977-75"],
                 name="Plateforme")
    client = app.test_client()
    sign_in(client, "national@example.org", COORDINATOR_PASSWORD)
    rows = csv_rows(client.get("/console/reports/centres/3977-94/transfers.csv", query_string=DAY))
    assert rows[1:] == [["le centre du Val-de-Marne", "2", "1", "1", "1", "0"]]
    assert "Transferts reçus des lignes" in text(client.get("/console/reports/centres/3977-94", query_string=DAY))
    assert csv_rows(client.get("/console/reports/centres/3977-75/transfers.csv", query_string=DAY))[1:] == []
