"""The scheduler's periodic jobs: module-level functions without arguments, so the job store keeps a reference."""

from __future__ import annotations

import logging
import threading

from flask import Flask

logger = logging.getLogger(__name__)

_app: Flask | None = None
_app_lock = threading.Lock()


def use_app(app: Flask | None) -> None:
    """The app the jobs run against; the scheduler sets it when it builds them (None: none yet)."""
    global _app
    with _app_lock:
        _app = app


def job_app() -> Flask:
    """The app the scheduler handed in. The jobs never build one: that would make them import the factory,
    which imports everything, and the jobs run only inside `helpline scheduler`, which hands its app in."""
    with _app_lock:
        if _app is None:
            raise RuntimeError("no app for the jobs: build_scheduler(app) hands it in")
        return _app


def sweep_queues() -> None:
    """Repair the queue and apply listeners' shifts (shift starts and ends)."""
    from ivr.sweep import sweep

    report = sweep(job_app())
    logger.debug("sweep: %s", report.summary())


def dispatch_callbacks() -> None:
    from ivr.callbacks import dispatch_due_callbacks

    dispatch_due_callbacks(job_app())


def send_emails() -> None:
    from jobs.email import send_pending

    send_pending(job_app())


def queue_digests() -> None:
    """Each line's daily digest; the queueing is idempotent per line and day, so running often is harmless."""
    from jobs.digests import queue_daily_digests

    app = job_app()
    queue_daily_digests(app, app.config["CLOCK"]())


def expire_overrides() -> None:
    from store.overrides import expire

    expire(job_app())


def purge_records() -> None:
    from store.retention import purge

    purge(job_app())
