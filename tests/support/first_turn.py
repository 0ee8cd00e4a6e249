"""Fixtures for a call's first webhook on PostgreSQL (store/direct.py): the app, warmed up, and what it wrote and gave
back to its pool."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from store.extension import database
from store.models import Call, CallEvent, QueuedCaller
from tests.conftest import SignedTwilio
from tests.support.calls import Caller


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
