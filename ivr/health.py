"""`/health` for load balancers: 200 when this worker can reach the database, 503 when it cannot."""

from __future__ import annotations

import time

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import text

from store.extension import database

health = Blueprint("health", __name__)


@health.route("/health", methods=("GET", "HEAD"))
def check() -> Response:
    """Unauthenticated, so it says nothing but up or down: no version, no error text, no host names.

    A worker whose database is down still answers Twilio with its fallback TwiML, but a load balancer
    should send calls to a worker that can do better.
    """
    started = time.perf_counter()
    try:
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        reachable = True
    except Exception as error:  # noqa: BLE001 — any failure means "do not send traffic here"
        current_app.logger.warning("health check: database unreachable (%s)", type(error).__name__)
        reachable = False
    body = {"status": "ok" if reachable else "unavailable", "database": "ok" if reachable else "unreachable",
            "seconds": round(time.perf_counter() - started, 3)}
    response = jsonify(body)
    response.status_code = 200 if reachable else 503
    response.headers["Cache-Control"] = "no-store"
    return response
