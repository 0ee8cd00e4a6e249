"""A second floor for webhook_throughput.py: the least a signed, recorded webhook can do with this stack.

One endpoint that checks the Twilio signature with twilio's validator against the public URL, writes the
call's row and one routing event with SQLAlchemy Core in one transaction on the same database (same engine
settings as the app: WAL and BEGIN IMMEDIATE on SQLite), and answers a constant TwiML string. No routing,
no prompts, no ORM: what is left between it and the real app is the engine's own work. Its commit waits for the
disk; with HELPLINE_FLOOR_COMMIT=async (PostgreSQL) it does not, like the engine's record of a call answered without
a queue (written after the answer, synchronous_commit off).

    HELPLINE_DATABASE_URL=... TWILIO_AUTH_TOKEN=... HELPLINE_PUBLIC_URL=... \
        gunicorn -w 2 -b 127.0.0.1:8002 'benchmarks.recorded_app:create()'
"""

from __future__ import annotations

import os
from datetime import datetime, timezone

from flask import Flask, Response, abort, request
from sqlalchemy import event
from twilio.request_validator import RequestValidator

from benchmarks.bare_app import TWIML
from store.calls import INSERT_EVENTS, INSERT_NEW_CALL
from phones.numbers import number_hash
from store.db import make_engine


def create() -> Flask:
    engine = make_engine(os.environ["HELPLINE_DATABASE_URL"])
    if os.environ.get("HELPLINE_FLOOR_COMMIT") == "async" and engine.dialect.name == "postgresql":
        # webhook_throughput.py --floor-commit async: its commits no longer wait for the disk, as the engine's
        # records of calls answered without a queue do not (store/calls.py): both on the same footing.
        event.listen(engine, "connect", _commit_without_waiting)
    insert_call = INSERT_NEW_CALL[engine.dialect.name]
    validator = RequestValidator(os.environ["TWILIO_AUTH_TOKEN"])
    public_url = os.environ["HELPLINE_PUBLIC_URL"].rstrip("/")
    pepper = os.environ["HELPLINE_NUMBER_PEPPER"]
    app = Flask(__name__)

    @app.route("/voice/incoming", methods=("GET", "POST"))
    def incoming() -> Response:
        if not validator.validate(public_url + request.path, request.form,
                                  request.headers.get("X-Twilio-Signature", "")):
            abort(403)
        now = datetime.now(timezone.utc)
        caller = request.form.get("From", "")
        with engine.begin() as connection:
            call_id = connection.execute(insert_call, {
                "sid": request.form.get("CallSid", "")[:64], "line_id": None,
                "caller_hash": number_hash(caller, pepper) if any(c.isdigit() for c in caller) else None,
                "caller_withheld": False, "started_at": now, "language": "fr", "status": "in-progress",
            }).scalar()
            connection.execute(INSERT_EVENTS, [{"call_id": call_id, "at": now, "kind": "incoming",
                                                "rule_index": None, "detail": "floor"}])
        return Response(TWIML, mimetype="text/xml")

    return app


def _commit_without_waiting(dbapi_connection, _record) -> None:
    dbapi_connection.execute("SET synchronous_commit = off")
    dbapi_connection.commit()
