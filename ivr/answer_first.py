"""A call's first webhook with nothing to write but the call's record: the caller is answered, then it is written."""

from __future__ import annotations

from contextlib import ExitStack
from logging import Logger
from typing import Callable

from flask import Response, current_app, request
from sqlalchemy.orm import Session

from store import calls


def answer_then_record(answer: Response, session: Session, still_open: ExitStack) -> Response:
    """``answer``, whose turn's record (store/calls.py write_record) is written once it has been sent.

    The WSGI server closes the answer's iterable after its last byte (gunicorn's workers, werkzeug's server; the test
    client when told ``buffered=True``, as ivr/simulator.py does): the write's round trip then no longer counts in the
    time the caller waits. ``still_open`` closes the session and gives its connection back to the pool (store/direct.py
    first_turn_session) after the write, whatever became of it."""
    handed = ExitStack()
    answer.call_on_close(_recorder(session, handed, current_app.logger, request.path))
    handed.push(still_open.pop_all())  # only once the hook that closes it is in place: until then, the turn's block
    return answer


def _recorder(session: Session, still_open: ExitStack, log: Logger, path: str) -> Callable[[], None]:
    """The answer's close hook. It runs outside the app's and the request's contexts (taken before: the logger, the
    path), and never raises: the caller heard the answer already, and a call left unrecorded is all a failure costs.
    Its log says the error's type, never its message (the SQL parameters hold the caller's keyed hash)."""

    done: list[bool] = []

    def record() -> None:
        if done:  # a server that closes an answer twice: written and closed the first time
            return
        done.append(True)
        try:
            with still_open:
                calls.write_record(session)
        except calls.CallAlreadyRecorded:
            # Another line's call was written meanwhile with this CallSid: it is left alone (its own call's next
            # webhooks, or Twilio's retry of this one, join a record of the same line instead: store/calls.py).
            log.warning("webhook %s: the CallSid was recorded meanwhile; nothing of this try recorded", path)
        except Exception as error:  # noqa: BLE001 — the answer is sent: nothing may reach the server from here
            log.error("webhook %s: the call was answered but not recorded: %s", path, type(error).__name__)

    return record
