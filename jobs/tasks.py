"""The scheduler's periodic jobs: module-level functions without arguments, so the job store keeps a reference."""

from __future__ import annotations

import importlib
import logging
import threading
from typing import Any, Callable

from flask import Flask

logger = logging.getLogger(__name__)

_app: Flask | None = None
_app_lock = threading.Lock()
_reported_missing: set[str] = set()


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


def optional(module: str, attribute: str) -> Callable[..., Any] | None:
    """``module.attribute``, or None (said once in the log) while that part of the engine is not written yet."""
    try:
        found = getattr(importlib.import_module(module), attribute, None)
    except ModuleNotFoundError as error:
        if error.name != module:
            raise  # the module is there but something it imports is not: a real failure
        found = None
    where = f"{module}.{attribute}"
    if found is None and where not in _reported_missing:
        _reported_missing.add(where)
        logger.warning("%s is not available: its job does nothing until it is", where)
    return found


def sweep_queues() -> None:
    """Repair the queue and apply listeners' shifts (shift starts and ends)."""
    from ivr.sweep import sweep

    report = sweep(job_app())
    logger.debug("sweep: %s", report.summary())


def dispatch_callbacks() -> None:
    dispatch_due_callbacks = optional("ivr.callbacks", "dispatch_due_callbacks")
    if dispatch_due_callbacks is not None:
        dispatch_due_callbacks(job_app())


def send_emails() -> None:
    send_pending = optional("jobs.email", "send_pending")
    if send_pending is not None:
        send_pending(job_app())


def queue_digests() -> None:
    """Each line's daily digest; the queueing is idempotent per line and day, so running often is harmless."""
    queue_daily_digests = optional("jobs.email", "queue_daily_digests")
    if queue_daily_digests is not None:
        app = job_app()
        queue_daily_digests(app, app.config["CLOCK"]())


def expire_overrides() -> None:
    from store.overrides import expire

    expire(job_app())


def purge_records() -> None:
    purge = optional("store.retention", "purge")
    if purge is not None:
        purge(job_app())
