"""The presence line: a listener calls from their own phone, proves it with a PIN, and chooses their status."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from routing.queueing import ListenerStatus
from store.extension import database
from store.directory import load_documents
from store.listeners import create_listener, set_status
from store.models import Listener, ListenerStatusChange, QueuedCaller
from tests.conftest import AUTH_TOKEN, PUBLIC_URL, SignedTwilio, make_test_app
from tests.support.twilio_server import TwilioTestServer

LISTENER_PHONE = "+33612345678"
PRESENCE_NUMBER = "+33199000555"
PIN = "2468"
CALL_SID = "CA" + "b" * 32
POOL = "france-victimes"


def add_listener(app, name="Camille Martin", phone=LISTENER_PHONE, languages=("fr",), status=None) -> int:
    with app.app_context(), database.session() as session:
        now = app.config["CLOCK"]()
        listener = create_listener(session, name, phone, [POOL], PIN, now, languages=languages)
        if status is not None:
            set_status(session, listener, status, now, "set up by the test")
        session.commit()
        return listener.id


def listener_row(app, listener_id: int) -> tuple[Listener, list[ListenerStatusChange]]:
    with app.app_context(), database.session() as session:
        listener = session.get(Listener, listener_id)
        changes = session.scalars(select(ListenerStatusChange).where(ListenerStatusChange.listener_id == listener_id)
                                  .order_by(ListenerStatusChange.id)).all()
        return listener, list(changes)


class PresenceCall:
    """One call to the presence line, following the Gather actions and Redirects Twilio would follow."""

    def __init__(self, twilio: SignedTwilio, caller: str = LISTENER_PHONE, sid: str = CALL_SID):
        self.twilio = twilio
        self.params = {"CallSid": sid, "AccountSid": "AC" + "1" * 32, "From": caller, "To": PRESENCE_NUMBER,
                       "CallStatus": "in-progress", "Direction": "inbound"}
        self.document: ET.Element | None = None

    def post(self, path: str, **extra) -> ET.Element:
        response = self.twilio.post(path, {**self.params, **extra})
        assert response.status_code == 200
        assert response.mimetype == "text/xml"
        self.document = ET.fromstring(response.data)
        assert len(self.document) > 0, "an empty document is silence"
        return self.document

    def start(self) -> ET.Element:
        return self.post("/voice/presence/incoming")

    def _path(self, url: str) -> str:
        assert url.startswith(PUBLIC_URL), url
        parts = urlsplit(url)
        return f"{parts.path}?{parts.query}" if parts.query else parts.path

    def press(self, digits: str) -> ET.Element:
        gather = self.document.find("Gather")
        assert gather is not None, "nothing is listening for keys"
        return self.post(self._path(gather.get("action")), Digits=digits)

    def stay_silent(self) -> ET.Element:
        redirect = self.document.find("Redirect")
        assert redirect is not None
        return self.post(self._path(redirect.text))

    @property
    def heard(self) -> str:
        return " ".join(say.text for say in self.document.iter("Say"))

    @property
    def hung_up(self) -> bool:
        return self.document.find("Hangup") is not None and self.document.find("Gather") is None

    def choice_url(self) -> str:
        return self._path(self.document.find("Gather").get("action"))


def test_listener_with_the_right_pin_hears_their_status_first_then_goes_available(app, twilio):
    listener_id = add_listener(app)
    call = PresenceCall(twilio)
    call.start()
    assert "Bonjour Camille. Tapez votre code personnel, puis dièse." in call.heard
    assert "Martin" not in call.heard
    gather = call.document.find("Gather")
    assert gather.get("finishOnKey") == "#" and gather.get("timeout") == "10"

    call.press(PIN)
    assert call.heard.startswith("Vous êtes actuellement hors ligne.")
    assert "Pour vous rendre disponible, tapez 1." in call.heard
    assert call.document.find("Gather").get("numDigits") == "1"

    call.press("1")
    assert call.heard == "C'est noté : vous êtes maintenant disponible. Au revoir."
    assert call.hung_up
    listener, changes = listener_row(app, listener_id)
    assert listener.status == "available"
    assert [(c.previous, c.status, c.reason) for c in changes] == [("offline", "available", "chosen by phone")]


@pytest.mark.parametrize("key, before, after, word", [
    ("2", ListenerStatus.AVAILABLE, "paused", "en pause"),
    ("3", ListenerStatus.AVAILABLE, "offline", "hors ligne"),
    ("3", ListenerStatus.PAUSED, "offline", "hors ligne"),
    ("1", ListenerStatus.PAUSED, "available", "disponible"),
])
def test_listener_can_pause_log_off_or_come_back_by_phone(app, twilio, key, before, after, word):
    listener_id = add_listener(app, status=before)
    call = PresenceCall(twilio)
    call.start()
    call.press(PIN)
    call.press(key)
    assert call.heard == f"C'est noté : vous êtes maintenant {word}. Au revoir."
    listener, changes = listener_row(app, listener_id)
    assert listener.status == after
    assert changes[-1].reason == "chosen by phone"


def test_three_wrong_pins_lock_the_call_and_change_nothing(app, twilio, caplog):
    listener_id = add_listener(app)
    call = PresenceCall(twilio)
    call.start()
    with caplog.at_level(logging.WARNING):
        call.press("1111")
        assert call.heard == "Code incorrect. Tapez votre code personnel, puis dièse."
        call.press("2222")
        assert "Code incorrect." in call.heard and not call.hung_up
        call.press("3333")
    assert call.heard == "Trop d'essais. Au revoir."
    assert call.hung_up
    listener, changes = listener_row(app, listener_id)
    assert listener.status == "offline" and changes == []
    warnings = [r.getMessage() for r in caplog.records if "wrong PIN" in r.getMessage()]
    assert warnings == [f"presence: wrong PIN for listener {listener_id}"] * 3
    assert not any("612345678" in r.getMessage() for r in caplog.records)


def test_silence_instead_of_a_pin_counts_as_a_try_so_the_call_ends(app, twilio):
    add_listener(app)
    call = PresenceCall(twilio)
    call.start()
    call.stay_silent()
    call.stay_silent()
    call.stay_silent()
    assert call.heard == "Trop d'essais. Au revoir." and call.hung_up


@pytest.mark.parametrize("caller", ["+33698765432", "anonymous", "+266696687", ""])
def test_unknown_or_withheld_number_is_refused_politely_and_changes_nothing(app, twilio, caller):
    listener_id = add_listener(app)
    call = PresenceCall(twilio, caller=caller)
    call.start()
    assert call.heard == "Ce numéro n'est pas celui d'un écoutant inscrit. Au revoir."
    assert call.hung_up
    # Even with a correct PIN typed at the next step, the number is what identifies the listener.
    call.post("/voice/presence/pin?tries=0", Digits=PIN)
    assert call.hung_up and "Camille" not in call.heard
    listener, changes = listener_row(app, listener_id)
    assert listener.status == "offline" and changes == []


def _token(secret: str, salt: str, listener_id: int, sid: str) -> str:
    return URLSafeTimedSerializer(secret, salt=salt).dumps({"l": listener_id, "c": sid})


@pytest.mark.parametrize("forgery", ["none", "garbage", "other key", "other salt", "other call", "other listener"])
def test_skipping_the_pin_step_straight_to_the_choice_changes_nothing(app, twilio, forgery):
    listener_id = add_listener(app)
    from ivr.presence import TOKEN_SALT

    token = {
        "none": None,
        "garbage": "eyJsIjoxfQ.abc.def",
        "other key": _token("not-our-token", TOKEN_SALT, listener_id, CALL_SID),
        "other salt": _token(AUTH_TOKEN, "some.other.salt", listener_id, CALL_SID),
        "other call": _token(AUTH_TOKEN, TOKEN_SALT, listener_id, "CA" + "c" * 32),
        "other listener": _token(AUTH_TOKEN, TOKEN_SALT, listener_id + 1, CALL_SID),
    }[forgery]
    call = PresenceCall(twilio)
    query = "n=0" + (f"&t={token}" if token else "")
    call.post(f"/voice/presence/choice?{query}", Digits="1")
    assert call.heard == "Au revoir." and call.hung_up
    listener, changes = listener_row(app, listener_id)
    assert listener.status == "offline" and changes == []


def test_a_pin_proof_older_than_five_minutes_is_refused(app, twilio, clock):
    listener_id = add_listener(app)
    call = PresenceCall(twilio)
    call.start()
    call.press(PIN)
    clock.now += timedelta(seconds=301)
    call.press("1")
    assert call.heard == "Au revoir."
    assert listener_row(app, listener_id)[0].status == "offline"


def test_a_pin_proof_from_one_call_does_not_work_in_another(app, twilio):
    listener_id = add_listener(app)
    first = PresenceCall(twilio)
    first.start()
    first.press(PIN)
    replay = PresenceCall(twilio, sid="CA" + "d" * 32)
    replay.post(first.choice_url(), Digits="1")
    assert replay.heard == "Au revoir."
    assert listener_row(app, listener_id)[0].status == "offline"


def test_unsigned_presence_requests_are_refused(app, client):
    add_listener(app)
    for path in ("/voice/presence/incoming", "/voice/presence/pin", "/voice/presence/choice"):
        response = client.post(path, data={"From": LISTENER_PHONE, "Digits": PIN}, base_url=PUBLIC_URL)
        assert response.status_code == 403


def test_listener_on_a_call_pressing_1_hears_they_are_busy_and_stays_on_call(app, twilio):
    listener_id = add_listener(app, status=ListenerStatus.ON_CALL)
    call = PresenceCall(twilio)
    call.start()
    call.press(PIN)
    assert call.heard.startswith("Vous êtes actuellement en communication.")
    call.press("1")
    assert call.heard == ("Vous êtes en communication : votre choix sera possible à la fin de l'appel. "
                          "Au revoir.")
    assert call.hung_up
    listener, changes = listener_row(app, listener_id)
    assert listener.status == "on_call"
    assert [c.reason for c in changes] == ["set up by the test"]


def test_pressing_9_repeats_and_three_wrong_keys_end_the_call_unchanged(app, twilio):
    listener_id = add_listener(app)
    call = PresenceCall(twilio)
    call.start()
    call.press(PIN)
    call.press("9")
    assert call.heard.startswith("Vous êtes actuellement hors ligne. Pour vous rendre disponible")
    call.press("7")
    assert call.heard.startswith("Ce choix n'est pas valide. Pour vous rendre disponible")
    call.stay_silent()
    assert call.heard.startswith("Nous n'avons pas entendu de choix.")
    call.press("*")
    assert call.heard == "Au revoir." and call.hung_up
    assert listener_row(app, listener_id)[0].status == "offline"


def test_english_speaking_listener_hears_english(app, twilio):
    listener_id = add_listener(app, name="Sam Taylor", languages=("en", "fr"))
    call = PresenceCall(twilio)
    call.start()
    assert call.heard == "Hello Sam. Enter your PIN, then hash."
    assert call.document.find("Gather/Say").get("language") == "en-GB"
    call.press("0000")
    assert call.heard == "Wrong PIN. Enter your PIN, then hash."
    call.press(PIN)
    assert call.heard.startswith("You are currently offline. To become available, press 1.")
    call.press("2")
    assert call.heard == "Done: you are now on a break. Goodbye."
    assert listener_row(app, listener_id)[0].status == "paused"


@pytest.fixture
def dispatching_app(database_url, clock, shipped_directory):
    """The app dispatching inline, its REST calls going to a local Twilio-compatible server."""
    server = TwilioTestServer("AC" + "2" * 32, AUTH_TOKEN).start()
    app = make_test_app(database_url, clock, DISPATCH_MODE="inline", TWILIO_API_BASE_URL=server.base_url,
                        TWILIO_ACCOUNT_SID=server.account_sid, TWILIO_AUTH_TOKEN=AUTH_TOKEN)
    with app.app_context(), database.session() as session:
        load_documents(session, shipped_directory)
        session.commit()
    yield app, server
    server.stop()
    with app.app_context():
        database.engine.dispose()


def test_listener_going_available_by_phone_is_offered_the_waiting_caller(dispatching_app, clock):
    app, server = dispatching_app
    listener_id = add_listener(app)
    with app.app_context(), database.session() as session:
        session.add(QueuedCaller(call_sid="CA" + "e" * 32, pool=POOL, enqueued_at=clock.now - timedelta(minutes=2),
                                 last_heard_at=clock.now - timedelta(seconds=30), language="fr"))
        session.commit()
    call = PresenceCall(SignedTwilio(app.test_client()))
    call.start()
    call.press(PIN)
    assert not server.calls, "nobody is dialled before the listener says they are available"
    call.press("1")
    assert call.heard == "C'est noté : vous êtes maintenant disponible. Au revoir."
    assert not server.calls, "not dialled while this call of theirs still says goodbye"
    status = call.twilio.post("/voice/status", {**call.params, "CallStatus": "completed", "CallDuration": "40"})
    assert status.status_code == 200  # the number's status callback: this call is over
    dialled = [c["params"] for c in server.calls.values()]
    assert len(dialled) == 1
    assert dialled[0]["To"] == LISTENER_PHONE
    assert dialled[0]["From"] == "+33199000116"  # the line's number, not the caller's
    assert dialled[0]["Url"].startswith(PUBLIC_URL + "/voice/listener/offer?offer=")
    listener, changes = listener_row(app, listener_id)
    assert listener.status == "ringing"
    assert [c.reason for c in changes] == ["chosen by phone", "offered a call"]


def test_listener_going_available_with_nobody_waiting_dials_no_one(dispatching_app):
    app, server = dispatching_app
    add_listener(app)
    call = PresenceCall(SignedTwilio(app.test_client()))
    call.start()
    call.press(PIN)
    call.press("1")
    assert "disponible" in call.heard
    assert server.calls == {}
