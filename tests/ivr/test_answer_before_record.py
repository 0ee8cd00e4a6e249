"""A call's first webhook with nothing to write but the call's record (PostgreSQL, store/direct.py) answers the caller
first and writes the record once the answer has been sent, when the WSGI server closes it (ivr/answer_first.py);
a turn that writes anything else commits before its answer goes out."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET

from sqlalchemy import func, select, text

from phones.numbers import caller_hash
from store.extension import database
from store.models import Call
from tests.support.calls import Caller, EVC, add_listener, path_of, qapp, tw  # noqa: F401 — qapp and tw are fixtures
from tests.support.first_turn import AnswerBeingSent, given_back, postgres, warm, written  # noqa: F401 — and these


def checked_out(app) -> int:
    with app.app_context():
        return database.engine.pool.checkedout()


def test_a_call_answered_without_a_queue_is_recorded_once_its_answer_is_closed_not_before(postgres, warm,
                                                                                          given_back):
    answer = AnswerBeingSent(postgres)  # the Belgian line on a Tuesday morning, nobody signed in: the room
    assert answer.status.startswith("200") and answer.document.find("Dial/Number") is not None
    assert written(postgres, answer.sid) == (None, [], None)  # read on another of the pool's connections
    assert checked_out(postgres) == 1  # the turn's session still holds its connection
    answer.close()
    call, steps, place = written(postgres, answer.sid)
    assert call.outcome == "forwarding" and call.line_id is not None and place is None
    assert steps[0] == "incoming" and "decision" in steps
    assert checked_out(postgres) == 0 and given_back and not any(given_back)


def test_a_record_that_fails_after_the_answer_leaves_the_caller_with_the_lines_answer_and_logs_no_number(
        postgres, tw, given_back, caplog):
    with postgres.app_context():
        engine = database.engine
    given_back.clear()
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE call_event RENAME TO call_event_away"))
    try:
        with caplog.at_level(logging.INFO):
            caller = Caller(tw)
    finally:
        with engine.begin() as connection:
            connection.execute(text("ALTER TABLE call_event_away RENAME TO call_event"))
    said = " ".join(s.text or "" for s in caller.document.iter("Say"))
    assert caller.document.find("Dial/Number") is not None and "problème technique" not in said
    assert written(postgres, caller.sid) == (None, [], None)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == ["webhook /voice/incoming: the call was answered but not recorded: ProgrammingError"], errors
    kept = caller_hash(caller.number, postgres.config["NUMBER_PEPPER"])
    assert not [m for m in map(logging.LogRecord.getMessage, caplog.records)
                if caller.number[1:] in m or kept in m]
    assert checked_out(postgres) == 0 and given_back and not any(given_back)


def test_a_caller_put_in_a_queue_is_written_before_the_answer_goes_out(postgres, warm, given_back):
    add_listener(postgres, "Camille", "+32470111111")
    answer = AnswerBeingSent(postgres)
    assert answer.document.find("Enqueue") is not None
    call, steps, place = written(postgres, answer.sid)  # the body is read, the answer not yet closed
    assert place is not None and call is not None and steps[0] == "incoming"
    assert checked_out(postgres) == 0
    answer.close()
    assert given_back and not any(given_back)


def test_a_call_to_a_number_no_line_has_is_written_before_its_answer_goes_out(postgres, warm, given_back):
    answer = AnswerBeingSent(postgres, to="+33100000000")  # an early return of the turn: committed, then answered
    assert answer.document.find("Hangup") is not None
    call, steps, _place = written(postgres, answer.sid)
    assert call.outcome == "unknown_number" and steps == ["unknown_number"]
    assert checked_out(postgres) == 0
    answer.close()
    assert given_back and not any(given_back)


def test_a_first_webhook_retried_while_the_first_try_is_still_being_answered_makes_one_call(postgres, warm, tw,
                                                                                            given_back, caplog):
    first = AnswerBeingSent(postgres)  # answered, its record not yet written
    params = {"CallSid": first.sid, "From": first.number, "To": EVC, "CallStatus": "in-progress"}
    with caplog.at_level(logging.WARNING):
        retry = tw.post("/voice/incoming", params)  # Twilio's retry, answered and closed: its record is written
        first.close()  # then the first try's record finds the call, and joins it
    assert retry.status_code == 200 and retry.data == first.body  # both tries answered alike
    with postgres.app_context(), database.session() as session:
        assert session.scalar(select(func.count()).select_from(Call).where(Call.sid == first.sid)) == 1
    call, steps, _place = written(postgres, first.sid)
    assert call.outcome == "forwarding" and steps.count("incoming") == 2  # both tries' steps, as a replay keeps them
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert checked_out(postgres) == 0 and given_back and not any(given_back)


def test_the_calls_next_webhook_before_its_record_is_written_finds_a_call_that_the_record_then_joins(
        postgres, warm, tw, given_back, caplog):
    answer = AnswerBeingSent(postgres)  # the room is being dialled; the record is not written yet
    action = answer.document.find("Dial").get("action")
    params = {"CallSid": answer.sid, "From": answer.number, "To": EVC, "CallStatus": "in-progress",
              "DialCallStatus": "busy"}
    with caplog.at_level(logging.WARNING):
        after = tw.post(path_of(action), params)  # the room busy at once: the dial's result comes first
        answer.close()
    said = " ".join(s.text or "" for s in ET.fromstring(after.data).iter("Say"))
    assert after.status_code == 200 and "problème technique" not in said
    call, steps, _place = written(postgres, answer.sid)
    first_turn = [kind for kind in written_alone(postgres)]
    assert steps[0] != "incoming" and steps.count("incoming") == 1, steps  # the record's steps joined the call's
    assert set(first_turn) <= set(steps), (first_turn, steps)
    assert call.started_at == postgres.config["CLOCK"]()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert checked_out(postgres) == 0 and given_back and not any(given_back)


def test_a_record_that_lands_while_the_next_webhook_writes_the_call_costs_that_webhook_nothing(
        postgres, warm, tw, given_back, monkeypatch, caplog):
    from store import calls

    answer = AnswerBeingSent(postgres)
    action = answer.document.find("Dial").get("action")
    looked_up = calls.find_call

    def record_lands_meanwhile(session, sid):  # the next webhook finds no call, then the record is written
        found = looked_up(session, sid)
        if found is None and sid == answer.sid:
            answer.close()
        return found

    monkeypatch.setattr(calls, "find_call", record_lands_meanwhile)
    params = {"CallSid": answer.sid, "From": answer.number, "To": EVC, "CallStatus": "in-progress",
              "DialCallStatus": "busy"}
    with caplog.at_level(logging.WARNING):
        after = tw.post(path_of(action), params)
    said = " ".join(s.text or "" for s in ET.fromstring(after.data).iter("Say"))
    assert after.status_code == 200 and "problème technique" not in said  # no unique-key error, no apology
    call, steps, _place = written(postgres, answer.sid)
    assert call.outcome is not None and steps[0] == "incoming" and "dial_failed" in steps, steps
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert checked_out(postgres) == 0 and given_back and not any(given_back)


def written_alone(app) -> list[str]:
    """The steps of the same first webhook recorded with nothing racing it."""
    answer = AnswerBeingSent(app)
    answer.close()
    return written(app, answer.sid)[1]


def test_a_first_webhook_retried_after_the_first_try_was_recorded_is_played_on_the_recorded_call(postgres, tw):
    first = Caller(tw)
    retry = tw.post("/voice/incoming", first.params())  # found by the first read, before anything is answered
    assert retry.status_code == 200 and ET.tostring(ET.fromstring(retry.data)) == ET.tostring(first.document)
    _call, steps, _place = written(postgres, first.sid)
    assert steps.count("incoming") == 2  # the turn played again on the recorded call, as on SQLite
