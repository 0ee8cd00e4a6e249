"""A coordinator reading the console never keeps callers' webhooks waiting for the database's write lock."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select

from store.db import READ_ONLY
from store.extension import database
from store.models import Call


def test_a_call_is_recorded_while_a_long_read_is_under_way(app):
    with app.app_context():
        with database.session(read_only=True) as reader:
            reader.execute(select(Call.id)).all()  # the reader's transaction is open from here on
            with database.session() as writer:  # a webhook recording a call meanwhile
                writer.add(Call(sid="CA" + "7" * 32, started_at=datetime(2026, 11, 24, 9, tzinfo=timezone.utc)))
                writer.commit()  # with the write lock taken by the reader, this would fail after 4 s
            reader.execute(select(Call.id)).all()  # and the read goes on
        with database.session() as session:
            assert session.scalar(select(Call.sid)) == "CA" + "7" * 32


def test_console_pages_read_without_the_write_lock_and_changes_take_it(app):
    from console.blueprint import db

    with app.test_request_context("/console/", method="GET"):
        assert db().connection().get_execution_options().get(READ_ONLY) is True
    with app.test_request_context("/console/lines/un-premier-pas/hours", method="POST"):
        assert not db().connection().get_execution_options().get(READ_ONLY)
