"""Writes down when Twilio's REST API starts and stops failing this process, for the console's live board.

The REST client tells each answer (ivr/twilio_rest.ObservedHttpClient); this keeps the state in memory and
writes only what changes — the first failure, then at most one a minute while it lasts, then the first success —
from a thread of its own, so a caller's request never waits for it and a writer holding SQLite's lock in the
calling thread cannot block it.
"""

from __future__ import annotations

import threading
from datetime import timedelta

from flask import Flask

from store.extension import database
from store.service_health import note_rest_failure, note_rest_success

REWRITE_EVERY = timedelta(minutes=1)


class RestHealthRecorder:
    def __init__(self, app: Flask):
        self.app = app
        self._lock = threading.Lock()
        self._failing = False
        self._written_at = None

    def __call__(self, ok: bool, detail: str) -> None:
        now = self.app.config["CLOCK"]()
        with self._lock:
            if ok and not self._failing:
                return  # the usual case: nothing to write
            if not ok and self._failing and self._written_at is not None and now - self._written_at < REWRITE_EVERY:
                return
            self._failing, self._written_at = not ok, now
        thread = threading.Thread(target=self._write, args=(ok, detail, now), name="rest-health", daemon=True)
        thread.start()
        if self.app.config.get("DISPATCH_MODE") == "inline":
            thread.join(timeout=10)  # tests read the row right after the request

    def _write(self, ok: bool, detail: str, now) -> None:
        try:
            with self.app.app_context(), database.session() as session:
                if ok:
                    note_rest_success(session, now)
                else:
                    note_rest_failure(session, now, detail)
                session.commit()
        except Exception as error:  # noqa: BLE001 — the database down too: the log says it, callers never wait
            self.app.logger.warning("could not record Twilio's REST health: %s", type(error).__name__)
