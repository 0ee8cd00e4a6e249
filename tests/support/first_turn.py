"""Fixtures for a call's first webhook on PostgreSQL (store/direct.py): the app, warmed up, its answer held as a WSGI
server holds it, and what it wrote and gave back to its pool."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import event, select
from werkzeug.test import EnvironBuilder

from store.extension import database
from store.models import Call, CallEvent, QueuedCaller
from tests.conftest import PUBLIC_URL, SignedTwilio
from tests.support.calls import EVC, Caller


@pytest.fixture
def postgres(qapp):
    with qapp.app_context():
        if database.engine.dialect.name != "postgresql":
            pytest.skip("the outside-a-transaction path is PostgreSQL's; SQLite's first webhooks keep theirs")
    return qapp


@pytest.fixture
def warm(qapp):
    """A worker that answered its first call (which reads the directory) and asks the directory's revision again
    only in an hour: what the tests below see is the calls' own statements."""
    Caller(SignedTwilio(qapp.test_client()))
    qapp.extensions["directory"].check_seconds = 3600
    return qapp


@pytest.fixture
def given_back(warm):
    """Whether each connection the app gives back to the pool meanwhile is in autocommit, in order."""
    with warm.app_context():
        engine = database.engine
    seen: list[bool] = []

    def note(dbapi_connection, _record) -> None:
        seen.append(bool(getattr(dbapi_connection, "autocommit", False)))

    event.listen(engine, "checkin", note)
    yield seen
    event.remove(engine, "checkin", note)


def written(app, sid: str) -> tuple[Call | None, list[str], QueuedCaller | None]:
    with app.app_context(), database.session() as session:
        call = session.scalar(select(Call).where(Call.sid == sid))
        steps = [] if call is None else list(session.scalars(
            select(CallEvent.kind).where(CallEvent.call_id == call.id).order_by(CallEvent.id)))
        return call, steps, session.scalar(select(QueuedCaller).where(QueuedCaller.call_sid == sid))


class AnswerBeingSent:
    """A first webhook's answer as a WSGI server holds it: the app called, the body read, the iterable not closed."""

    def __init__(self, app, to: str = EVC):
        self.sid = "CA" + uuid.uuid4().hex
        self.number = f"+3247{uuid.uuid4().int % 10**7:07d}"
        self.params = {"CallSid": self.sid, "From": self.number, "To": to, "CallStatus": "in-progress",
                       "Direction": "inbound"}
        signature = SignedTwilio(None).signature("/voice/incoming", self.params)
        environ = EnvironBuilder(path="/voice/incoming", base_url=PUBLIC_URL, method="POST", data=self.params,
                                 headers={"X-Twilio-Signature": signature}).get_environ()
        started = []
        self.iterable = app(environ, lambda status, _headers, _exc_info=None: started.append(status))
        self.body = b"".join(self.iterable)
        self.status = started[0]
        self.document = ET.fromstring(self.body)

    def close(self) -> None:
        self.iterable.close()
