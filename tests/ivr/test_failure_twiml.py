"""What each kind of leg hears when a webhook fails (the database down, a bug, a 404): the right TwiML for the leg.

A queue's wait document leaves the queue (a <Dial> is invalid there), a whisper, a bridging hook or a status
callback stays silent, a listener hears an apology and is hung up on (never put through to the emergency number from
their own phone), and a caller is put through to the line's emergency fallback showing the line's number, never
their own.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy.orm import sessionmaker

from ivr import prompts
from ivr.twiml import CALLER, LEAVE, LISTENER, MUSIC, SILENT, fallback_kind_for, never_fail
from routing.queueing import ListenerStatus
from store.db import make_engine
from store.extension import database
from store.listeners import create_listener, set_status
from tests.conftest import PUBLIC_URL, SignedTwilio, at_brussels, make_test_app

EVC = "+3225550300"  # Écoute Violences Conjugales (BE): its own emergency fallback is the 107
EVC_FALLBACK = "+3225550107"
FV_SECOND = "+33199000108"  # France Victimes' second number
FV_FALLBACK = "+33199000100"
CALLER_NUMBER = "+33612345678"
CONFIGURED_FALLBACK = "+33199000999"  # EMERGENCY_FALLBACK in tests.conftest.make_test_app

WAIT_DOCUMENT_VERBS = {"Play", "Say", "Pause", "Gather", "Redirect", "Leave", "Hangup"}

# Every webhook under /voice/ guarded by never_fail, with the query its view needs to reach the database.
LEAVE_ENDPOINTS = [
    ("/voice/queue/wait", {"qc": "1"}),
    ("/voice/queue/key", {"qc": "1"}),
]
SILENT_ENDPOINTS = [
    ("/voice/whisper", {"line": "ecoute-violences-conjugales"}),
    ("/voice/conference/events", {"cv": "1"}),
    ("/voice/conference/participant-status", {"cv": "1", "leg": "1"}),
    ("/voice/conference/binome-whisper", {"cv": "1", "leg": "1"}),
    ("/voice/status", None),
    ("/voice/listener/status", {"offer": "1"}),
    ("/voice/callback/listener-status", {"attempt": "1"}),
    ("/voice/callback/person-status", {"attempt": "1"}),
    ("/voice/transfer/status", {"tr": "1"}),
    ("/voice/transfer/whisper", {"tr": "1"}),
    ("/voice/transfer/told", {"tr": "1"}),
    ("/voice/transfer/sentence", {"tr": "1"}),
]
LISTENER_ENDPOINTS = [
    ("/voice/listener/offer", {"offer": "1"}),
    ("/voice/conference/binome-released", {"cv": "1"}),
    ("/voice/listener/accept", {"offer": "1"}),
    ("/voice/listener/after", {"offer": "1"}),
    ("/voice/listener/wrapup", {"offer": "1"}),
    ("/voice/listener/menu", {"offer": "1"}),
    ("/voice/listener/over", {"offer": "1"}),
    ("/voice/listener/transfer", {"offer": "1"}),
    ("/voice/callback/listener", {"attempt": "1"}),
    ("/voice/callback/accept", {"attempt": "1"}),
    ("/voice/callback/transfer", {"attempt": "1"}),
    ("/voice/callback/dialled", {"attempt": "1"}),
    ("/voice/callback/outcome", {"attempt": "1"}),
    ("/voice/callback/after", {"attempt": "1"}),
    ("/voice/callback/menu", {"attempt": "1"}),
    ("/voice/callback/over", {"attempt": "1"}),
    ("/voice/callback/answered", {"attempt": "1"}),
    ("/voice/callback/person-after", {"attempt": "1"}),
    ("/voice/callback/dropped", {"attempt": "1"}),
    ("/voice/presence/incoming", None),
    ("/voice/presence/pin", None),
    ("/voice/presence/choice", {"t": "x"}),
    ("/voice/coordinator/pin", None),
    ("/voice/coordinator/choose", {"t": "x"}),
    ("/voice/coordinator/act", {"t": "x", "line": "x"}),
    ("/voice/coordinator/until", {"t": "x", "line": "x"}),
    ("/voice/coordinator/time", {"t": "x", "line": "x"}),
]
CALLER_ENDPOINTS = [
    ("/voice/incoming", None),
    ("/voice/menu", None),
    ("/voice/department", None),
    ("/voice/route", None),
    ("/voice/dial-result", None),
    ("/voice/queue-result", None),
    ("/voice/callback/consent", None),
    ("/voice/callback/caller-id", None),
    ("/voice/callback/typed", None),
    ("/voice/callback/readback", None),
    ("/voice/callback/window", None),
    ("/voice/callback/message", None),
    ("/voice/orientation/department", None),
    ("/voice/orientation/repeat", None),
    ("/voice/conference/caller", {"cv": "1"}),
    ("/voice/conference/caller-after", {"cv": "1"}),
    ("/voice/conference/requeue", {"cv": "1"}),
]
MUSIC_ENDPOINTS = [
    ("/voice/conference/hold", {"cv": "1"}),
    ("/voice/conference/wait", {"cv": "1"}),
    ("/voice/transfer/hold", {"tr": "1"}),
    ("/voice/transfer/parked", {"tr": "1"}),
]
ALL_ENDPOINTS = (
    [(path, query, LEAVE) for path, query in LEAVE_ENDPOINTS]
    + [(path, query, SILENT) for path, query in SILENT_ENDPOINTS]
    + [(path, query, LISTENER) for path, query in LISTENER_ENDPOINTS]
    + [(path, query, CALLER) for path, query in CALLER_ENDPOINTS]
    + [(path, query, MUSIC) for path, query in MUSIC_ENDPOINTS]
)


def params(**extra):
    base = {"CallSid": "CA" + "a" * 32, "AccountSid": "AC" + "1" * 32, "From": CALLER_NUMBER, "To": EVC,
            "CallStatus": "in-progress", "Direction": "inbound", "Digits": "1"}
    base.update(extra)
    return base


def document_of(response) -> ET.Element:
    assert response.status_code == 200, response.data
    assert response.mimetype == "text/xml"
    document = ET.fromstring(response.data)
    assert document.tag == "Response"
    return document


def assert_leave(document: ET.Element) -> None:
    assert [child.tag for child in document] == ["Leave"]
    assert document.find(".//Dial") is None


def assert_silent(document: ET.Element) -> None:
    assert len(document) == 0 and not (document.text or "").strip()


def assert_music(document: ET.Element) -> None:
    """On hold in a conference: music, then the same document again — never silence."""
    assert [child.tag for child in document] == ["Play", "Redirect"]
    assert document.find("Play").text.endswith("/media/hold-music.wav")


def assert_listener_apology(document: ET.Element) -> None:
    assert [child.tag for child in document] == ["Say", "Hangup"]
    assert document[0].get("language") == "fr-FR"
    assert document[0].text == prompts.render("technical_problem", "fr")
    assert document.find(".//Dial") is None


def assert_caller_fallback(document: ET.Element, number: str, caller_id: str | None) -> None:
    assert [child.tag for child in document] == ["Say", "Say", "Dial", "Hangup"]
    dial = document.find("Dial")
    assert dial.text == number
    assert dial.get("callerId") == caller_id
    assert dial.get("callerId") != CALLER_NUMBER


def assert_fallback(kind: str, document: ET.Element, number: str, caller_id: str | None) -> None:
    {LEAVE: assert_leave, SILENT: assert_silent, LISTENER: assert_listener_apology, MUSIC: assert_music}.get(
        kind, lambda d: assert_caller_fallback(d, number, caller_id))(document)


@pytest.fixture
def down_app(clock, tmp_path):
    """The database unreachable from the start: no snapshot either."""
    return make_test_app(f"sqlite:///{tmp_path}/missing/dir/db.sqlite3", clock)


def unplug(app, tmp_path) -> None:
    """The database goes away under a running app (which keeps its last snapshot)."""
    unreachable = make_engine(f"sqlite:///{tmp_path}/gone/dir/db.sqlite3")
    app.extensions["database"] = (unreachable, sessionmaker(bind=unreachable))


# --- the database down from the start ---------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "query", "kind"), ALL_ENDPOINTS, ids=[p for p, _, _ in ALL_ENDPOINTS])
def test_database_down_from_the_start_each_leg_gets_its_own_fallback(down_app, path, query, kind, caplog):
    document = document_of(SignedTwilio(down_app.test_client()).post(path, params(), query=query))
    # No snapshot yet: the configured number, shown the dialled number (E.164), never the caller's.
    assert_fallback(kind, document, CONFIGURED_FALLBACK, EVC)
    assert any(f"webhook {path} failed" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(("path", "query", "kind"), ALL_ENDPOINTS, ids=[p for p, _, _ in ALL_ENDPOINTS])
def test_database_lost_with_a_snapshot_each_leg_gets_its_own_fallback(app, tmp_path, path, query, kind):
    twilio = SignedTwilio(app.test_client())
    assert document_of(twilio.post("/voice/incoming", params())).find("Say") is not None  # a snapshot now
    unplug(app, tmp_path)
    document = document_of(twilio.post(path, params(CallSid="CA" + "b" * 32), query=query))
    if path == "/voice/whisper":  # needs only the directory, still served from the snapshot: the whisper is said
        assert [child.tag for child in document] == ["Say"]
        return
    assert_fallback(kind, document, EVC_FALLBACK, EVC)


def test_views_are_guarded_with_the_kind_their_path_gets_from_the_error_handlers(down_app):
    guarded = {}
    for rule in down_app.url_map.iter_rules():
        if rule.rule.startswith("/voice/") and rule.rule != "/voice/fallback":
            view = down_app.view_functions[rule.endpoint]
            assert hasattr(view, "fallback_kind"), f"{rule.rule} is not guarded by never_fail"
            guarded[rule.rule] = view.fallback_kind
    assert guarded == {rule: fallback_kind_for(rule) for rule in guarded}
    listed = {path for path, _, _ in ALL_ENDPOINTS}
    assert set(guarded) == listed, "every webhook is tested above"


# --- the caller's leg: the emergency fallback sees the line's number -------------------------------------------


def test_caller_fallback_shows_the_number_dialled_when_it_is_one_of_the_lines_numbers(app, tmp_path):
    twilio = SignedTwilio(app.test_client())
    document_of(twilio.post("/voice/incoming", params(To=FV_SECOND)))
    unplug(app, tmp_path)
    document = document_of(twilio.post("/voice/route", params(To=FV_SECOND, CallSid="CA" + "c" * 32)))
    assert_caller_fallback(document, FV_FALLBACK, FV_SECOND)


def test_caller_fallback_without_a_usable_dialled_number_shows_no_caller_id(down_app):
    twilio = SignedTwilio(down_app.test_client())
    for to in ("", "garbage", "3977", "+1"):
        document = document_of(twilio.post("/voice/incoming", params(To=to)))
        assert_caller_fallback(document, CONFIGURED_FALLBACK, None)


def test_caller_fallback_never_shows_the_callers_own_number(down_app):
    twilio = SignedTwilio(down_app.test_client())
    for caller in (EVC, "+32 2 555 03 00"):  # whatever Twilio sends, the caller's number is not shown to them
        document = document_of(twilio.post("/voice/incoming", params(From=caller)))
        assert_caller_fallback(document, CONFIGURED_FALLBACK, None)


def test_twilio_fallback_url_dials_the_lines_own_emergency_number_from_the_workers_snapshot(app, tmp_path):
    from app import warm_up

    assert warm_up(app)  # as gunicorn has each worker do before its first request
    unplug(app, tmp_path)
    document = document_of(SignedTwilio(app.test_client()).post("/voice/fallback", params()))
    assert_caller_fallback(document, EVC_FALLBACK, EVC)  # the 107, not the engine-wide setting


def test_twilio_fallback_url_shows_the_dialled_number(down_app):
    document = document_of(SignedTwilio(down_app.test_client()).post("/voice/fallback", params()))
    assert_caller_fallback(document, CONFIGURED_FALLBACK, EVC)


# --- error handlers (404, uncaught errors) choose by path -------------------------------------------------------


@pytest.mark.parametrize(("path", "kind"), [
    ("/voice/queue/wait/nothing", LEAVE),
    ("/voice/queue/key/nothing", LEAVE),
    ("/voice/whisper/nothing", SILENT),
    ("/voice/status/nothing", SILENT),
    ("/voice/callback/answered/nothing", LISTENER),  # the person called back: an apology, never silence
    ("/voice/callback/listener-status/nothing", SILENT),
    ("/voice/listener/status/nothing", SILENT),
    ("/voice/listener/nothing", LISTENER),
    ("/voice/callback/listener/nothing", LISTENER),
    ("/voice/presence/nothing", LISTENER),
    ("/voice/nothing", CALLER),
    ("/voice/queue/nothing", CALLER),
    ("/voice/callback/nothing", CALLER),
])
def test_not_found_under_voice_answers_by_path(down_app, path, kind):
    document = document_of(down_app.test_client().post(path, data=params(), base_url=PUBLIC_URL))
    assert_fallback(kind, document, CONFIGURED_FALLBACK, EVC)


@pytest.mark.parametrize(("path", "kind"), [
    ("/voice/queue/wait/boom", LEAVE),
    ("/voice/listener/boom", LISTENER),
    ("/voice/callback/answered/boom", LISTENER),
    ("/voice/boom", CALLER),
])
def test_uncaught_errors_under_voice_answer_by_path(down_app, path, kind):
    def boom():
        raise RuntimeError("not guarded")

    down_app.add_url_rule(path, endpoint=f"boom{uuid.uuid4().hex}", view_func=boom, methods=["POST"])
    document = document_of(down_app.test_client().post(path, data=params(), base_url=PUBLIC_URL))
    assert_fallback(kind, document, CONFIGURED_FALLBACK, EVC)


def test_never_fail_refuses_an_unknown_kind():
    with pytest.raises(ValueError):
        never_fail("dial-someone")


def test_bare_never_fail_and_string_kinds_are_the_same_as_the_constants():
    def view():
        return None

    assert never_fail(view).fallback_kind == CALLER
    assert never_fail("leave")(view).fallback_kind == LEAVE == never_fail(LEAVE)(view).fallback_kind


# --- the wait document never dials ------------------------------------------------------------------------------


def add_paused_listener(app) -> None:
    with app.app_context(), database.session() as session:
        now = app.config["CLOCK"]()
        listener = create_listener(session, "Camille", "+32470111111", ("ecoute-violences-conjugales",), "1234", now,
                                   ("fr",), ())
        set_status(session, listener, ListenerStatus.PAUSED, now, "chosen by test")
        session.commit()


def local(url: str) -> str:
    return url[len(PUBLIC_URL):] if url.startswith(PUBLIC_URL) else url


def assert_wait_document(document: ET.Element) -> None:
    assert {child.tag for child in document} <= WAIT_DOCUMENT_VERBS
    assert document.find(".//Dial") is None


def test_a_waiting_caller_never_gets_a_dial_in_the_wait_document_up_or_down(live_app, clock, tmp_path):
    clock.now = at_brussels(2026, 11, 24, 10, 0)  # the Belgian line is open
    add_paused_listener(live_app)  # the queue is staffed, nobody is free: the caller waits
    twilio = SignedTwilio(live_app.test_client())
    caller = params(CallSid="CA" + uuid.uuid4().hex)
    enqueue = document_of(twilio.post("/voice/incoming", caller)).find("Enqueue")
    assert enqueue is not None
    wait_url, action = local(enqueue.get("waitUrl")), local(enqueue.get("action"))

    # The database up: announcements, an unknown key, garbage: never a Dial.
    for extra in ({}, {"QueuePosition": "3"}, {"QueuePosition": "x" * 300}):
        document = document_of(twilio.post(wait_url, {**caller, **extra}))
        assert_wait_document(document)
        gather = document.find("Gather")
    assert gather is not None
    for digits in ("5", "#", ""):
        assert_wait_document(document_of(twilio.post(local(gather.get("action")), {**caller, "Digits": digits})))
    assert_wait_document(document_of(twilio.post("/voice/queue/wait", caller, query={"qc": "nope"})))

    # The database down: the caller leaves the queue...
    unplug(live_app, tmp_path)
    for path in (wait_url, local(gather.get("action"))):
        assert_leave(document_of(twilio.post(path, {**caller, "Digits": "5"})))
    # ...and the Enqueue action, on the caller's leg, puts them through to the line's own emergency fallback.
    document = document_of(twilio.post(action, {**caller, "QueueResult": "leave"}))
    assert_caller_fallback(document, EVC_FALLBACK, EVC)
