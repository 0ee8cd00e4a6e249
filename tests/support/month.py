"""A month of calls on the Belgian line, played through the signed webhooks, for the reports' tests."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from ivr.simulator import CallSimulator
from routing.queueing import ListenerStatus
from store.extension import database
from store.listeners import set_status
from store.models import Listener
from tests.conftest import SignedTwilio, at_brussels
from tests.support.calls import ListenerLeg, add_listener, bridge, caller_hangs_up, path_of, rung, xml

EVC = "+3225550300"
FRANCE_VICTIMES = "+33199000116"
NATIONAL_3977 = "+33199003977"
CALLER_A = "+32470000001"
CALLER_B = "+32470000002"
NOVEMBER = {"from": "2026-11-02", "to": "2026-11-29"}  # four weeks, Monday to Sunday


class QueueCaller:
    """A caller's leg driven through the queue webhooks as Twilio drives it."""

    def __init__(self, tw: SignedTwilio, number: str, to: str = EVC):
        self.tw, self.number, self.to = tw, number, to
        self.sid = "CA" + uuid.uuid4().hex
        self.enqueue = xml(tw.post("/voice/incoming", self.params())).find("Enqueue")
        assert self.enqueue is not None, "the caller should have been queued"

    def params(self, **extra):
        return {"CallSid": self.sid, "From": self.number, "To": self.to, "CallStatus": "in-progress", **extra}

    def queue_result(self, result: str):
        return xml(self.tw.post(path_of(self.enqueue.get("action")), self.params(QueueResult=result)))


def simulate(app, clock, to: str, at: datetime, caller: str = CALLER_A, **options):
    clock.now = at
    with app.app_context():
        return CallSimulator(app, to=to, caller=caller, clock=clock, **options).run()


def answered(app, tw, rest, clock, at: datetime, caller: str, wait: int, talk: int) -> None:
    """A caller queued, the listener's phone rung, 1 pressed after ``wait`` s, bridged, ``talk`` s of conversation."""
    clock.now = at
    leg_count = len(rest.calls)
    queued = QueueCaller(tw, caller)
    assert len(rest.calls) == leg_count + 1, "the listener's phone should ring"
    leg = ListenerLeg(tw, rest, rung(rest)[-1])
    clock.now = at + timedelta(seconds=wait)
    dial = leg.press("1")
    bridge(tw, queued, dial, leg)
    clock.now += timedelta(seconds=talk)
    caller_hangs_up(tw, rest, queued)
    assert leg.status("completed", talk).status_code == 200


def abandoned(tw, clock, at: datetime, caller: str, wait: int) -> None:
    clock.now = at
    queued = QueueCaller(tw, caller)
    clock.now = at + timedelta(seconds=wait)
    queued.queue_result("hangup")


def shift(app, *args: str) -> None:
    from app import cli

    result = app.test_cli_runner().invoke(cli, ["listeners", "shift", *args])
    assert result.exit_code == 0, result.output


def play_evc_month(live_app, rest, clock):
    """November 2026 on Écoute Violences Conjugales, played through the signed webhooks; returns the app."""
    app, tw = live_app, SignedTwilio(live_app.test_client())
    simulate(app, clock, EVC, at_brussels(2026, 11, 1, 12, 0))  # Sunday before the period: left out
    simulate(app, clock, EVC, at_brussels(2026, 11, 3, 20, 0))  # Tuesday evening: closed, the 107 answers
    simulate(app, clock, EVC, at_brussels(2026, 11, 11, 10, 0))  # Armistice, a Belgian holiday: the 107 again
    simulate(app, clock, EVC, at_brussels(2026, 11, 16, 10, 20), caller="anonymous")  # nobody logged in: the room
    clock.now = at_brussels(2026, 11, 17, 9, 0)
    camille = add_listener(app, "Camille", "+32470111111")
    answered(app, tw, rest, clock, at_brussels(2026, 11, 17, 10, 5), CALLER_B, wait=30, talk=600)
    # Camille is in wrap-up: the next caller waits, then hangs up after 90 s.
    abandoned(tw, clock, at_brussels(2026, 11, 17, 10, 11), CALLER_A, wait=90)
    answered(app, tw, rest, clock, at_brussels(2026, 11, 24, 10, 40), CALLER_B, wait=75, talk=300)
    with app.app_context(), database.session() as session:
        set_status(session, session.get(Listener, camille), ListenerStatus.OFFLINE, clock.now, "end of test day")
        session.commit()
    simulate(app, clock, EVC, at_brussels(2026, 11, 30, 10, 0))  # the Monday after the period: left out
    # Camille works Tuesday mornings only: Monday to Friday 9–19 are otherwise open with nobody.
    shift(app, "Camille", "--day", "tue", "--from", "09:00", "--to", "13:00", "--timezone", "Europe/Brussels")
    clock.now = at_brussels(2026, 11, 30, 12, 0)
    return app
