"""`helpline scheduler`: the one process that runs the periodic jobs, from a job store in the engine's database."""

from __future__ import annotations

import logging
import pickle
import signal
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

import click
from apscheduler.events import EVENT_JOB_ERROR, EVENT_SCHEDULER_STARTED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED, BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask, current_app
from sqlalchemy import select
from flask.cli import with_appcontext

from jobs import tasks as jobs
from store.db import make_engine
from store.scheduler_lock import SchedulerLock, scheduler_lock_for

logger = logging.getLogger(__name__)

JOBS_TABLE = "apscheduler_jobs"  # APScheduler's own table, outside the models and the migrations
EXECUTOR = "default"


@dataclass(frozen=True)
class JobDefinition:
    id: str
    function: Callable[[], None]
    trigger: Callable[[], BaseTrigger]  # made when the scheduler is built: an interval starts counting then
    grace_seconds: int | None = None  # None: the scheduler-wide grace time


def _every(**interval) -> Callable[[], BaseTrigger]:
    return lambda: IntervalTrigger(**interval, timezone=timezone.utc)


JOBS = (
    JobDefinition("sweep", jobs.sweep_queues, _every(seconds=15)),
    JobDefinition("callbacks", jobs.dispatch_callbacks, _every(seconds=30)),
    JobDefinition("emails", jobs.send_emails, _every(seconds=60)),
    JobDefinition("digests", jobs.queue_digests, _every(minutes=15)),
    JobDefinition("overrides", jobs.expire_overrides, _every(seconds=60)),
    # At night in France, when the lines are quiet.
    # A nightly run missed by a restart still happens that morning rather than a day late.
    JobDefinition("purge", jobs.purge_records, lambda: CronTrigger(hour=3, minute=30, timezone="Europe/Paris"),
                  grace_seconds=6 * 3600),
)


class _StopsLooking:
    """APScheduler's loop looks for due jobs once more after shutdown; with the executors gone, those jobs
    would be moved on to their next run time without having run, and a restart would not run them."""

    def _process_jobs(self):
        if self.state == STATE_STOPPED:
            return None
        return super()._process_jobs()


class _Blocking(_StopsLooking, BlockingScheduler):
    pass


class _Background(_StopsLooking, BackgroundScheduler):
    pass


def build_scheduler(app: Flask, blocking: bool = True) -> BaseScheduler:
    """A scheduler holding every job once, under its fixed id, in the engine's database.

    A job already in the store with the same trigger keeps its next run time, so a restart neither
    duplicates a job nor pushes its next run away; a run missed while stopped happens once on start
    if it is less than the grace time late, and is skipped otherwise.
    """
    jobs.use_app(app)
    store = SQLAlchemyJobStore(engine=make_engine(app.config["DATABASE_URL"]), tablename=JOBS_TABLE)
    scheduler_class = _Blocking if blocking else _Background
    scheduler = scheduler_class(
        jobstores={"default": store},
        executors={EXECUTOR: ThreadPoolExecutor(max_workers=len(JOBS))},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": int(app.config["SCHEDULER_GRACE_SECONDS"]),
        },
        timezone=timezone.utc,
    )
    scheduler.add_listener(_log_failure, EVENT_JOB_ERROR)
    _quiet_executor_logs()
    stored = _stored_jobs(store)
    for definition in JOBS:
        trigger = definition.trigger()
        previous = stored.get(definition.id)
        kept = {}
        if previous is not None and previous.next_run_time is not None and _same(previous.trigger, trigger):
            kept["next_run_time"] = previous.next_run_time
        if definition.grace_seconds is not None:
            kept["misfire_grace_time"] = definition.grace_seconds
        scheduler.add_job(definition.function, trigger, id=definition.id, name=definition.id,
                          replace_existing=True, **kept)
    for job_id in stored.keys() - {definition.id for definition in JOBS}:
        store.remove_job(job_id)  # a job since renamed or dropped would otherwise run forever
    return scheduler


def _stored_jobs(store: SQLAlchemyJobStore) -> dict:
    store.jobs_t.create(store.engine, checkfirst=True)  # as the store's start() does, to read it before
    _repoint_moved_jobs(store)
    return {job.id: job for job in store.get_all_jobs()}


# Where the jobs' functions lived before (rows in a job store name their function by module path).
MOVED_JOBS = {"schedules.jobs:": "jobs.tasks:"}


def _repoint_moved_jobs(store: SQLAlchemyJobStore) -> None:
    """Rows stored before the jobs moved name a module that is gone: APScheduler would log each as an error and
    drop it, losing its next run time (a nightly purge missed by the restart). Point them at the new module."""
    table = store.jobs_t
    with store.engine.begin() as connection:
        for job_id, state in connection.execute(select(table.c.id, table.c.job_state)).all():
            job = pickle.loads(state)  # the store's own rows, pickled by the store itself
            func = job.get("func")
            for old, new in MOVED_JOBS.items():
                if isinstance(func, str) and func.startswith(old):
                    job["func"] = new + func[len(old):]
                    connection.execute(table.update().where(table.c.id == job_id)
                                       .values(job_state=pickle.dumps(job, store.pickle_protocol)))


def _same(stored: BaseTrigger, new: BaseTrigger) -> bool:
    def signature(trigger: BaseTrigger) -> tuple:
        return type(trigger), str(trigger), str(getattr(trigger, "timezone", "")), getattr(trigger, "jitter", None)

    return signature(stored) == signature(new)


def _log_failure(event: JobExecutionEvent) -> None:
    # The type only: an exception's message may quote a caller's number or an email address.
    kind = type(event.exception)
    logger.error("job %s failed: %s.%s", event.job_id, kind.__module__, kind.__qualname__)


class _WithoutTracebacks(logging.Filter):
    """APScheduler logs a failed job's traceback and message; _log_failure says what may be said."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.exc_info is None


def _quiet_executor_logs() -> None:
    executor_logger = logging.getLogger(f"apscheduler.executors.{EXECUTOR}")
    executor_logger.setLevel(logging.WARNING)  # not two lines every 15 seconds for each sweep
    if not any(isinstance(f, _WithoutTracebacks) for f in executor_logger.filters):
        executor_logger.addFilter(_WithoutTracebacks())


def describe_jobs(scheduler: BaseScheduler) -> list[str]:
    lines = []
    for job in sorted(scheduler.get_jobs(), key=lambda job: job.id):
        when = job.next_run_time.astimezone(timezone.utc).isoformat() if job.next_run_time else "paused"
        lines.append(f"job {job.id}: {job.trigger}, next run {when}")
    return lines


def _stop_on_signals(scheduler: BaseScheduler) -> list[threading.Thread]:
    """SIGTERM and SIGINT stop the scheduler once the running jobs have finished; returns the stopping thread."""
    stopping: list[threading.Thread] = []

    def stop(signum: int, _frame) -> None:
        if stopping:
            return
        if not scheduler.running:
            raise SystemExit(0)  # still starting: nothing runs yet
        logger.info("%s: stopping once the running jobs have finished", signal.Signals(signum).name)
        # Not in the handler itself: it may have interrupted the scheduler's loop half-way through
        # handing jobs out; from a thread, shutdown waits for that loop to finish first.
        thread = threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}, name="scheduler-stop")
        stopping.append(thread)
        thread.start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    return stopping


def wait_for_lock(lock: SchedulerLock, poll_seconds: float, stopped: threading.Event) -> bool:
    """Stand by until ``lock`` is ours (True) or ``stopped`` is set (False)."""
    if lock.try_acquire():
        return True
    # Why it waits: another scheduler holds the lock, or the database did not answer (then it is no standby).
    logger.info("standby: %s (%s); trying again every %s s", lock.refusal, lock.description, poll_seconds)
    while not stopped.wait(poll_seconds):
        if lock.try_acquire():
            return True
    return False


def _watch_lock(scheduler: BaseScheduler, lock: SchedulerLock, poll_seconds: float,
                lost: threading.Event) -> threading.Thread:
    """While active, check the lock is still ours. A scheduler whose lock connection was cut (the database
    restarted, the network) takes the lock again if it is still free; if not, it stops at once rather than
    run jobs beside the standby that has taken over."""

    def watch() -> None:
        while True:
            time.sleep(poll_seconds)
            if not scheduler.running:
                return
            if lock.still_held():
                continue
            logger.warning("lost the connection holding %s: taking it again", lock.description)
            if lock.try_acquire():
                logger.info("active: this scheduler holds %s again", lock.description)
                continue
            logger.error("lost %s, %s: stopping so that only one scheduler runs jobs", lock.description,
                         lock.refusal)
            lost.set()
            scheduler.shutdown(wait=True)
            return

    thread = threading.Thread(target=watch, name="scheduler-lock-watch", daemon=True)
    thread.start()
    return thread


@click.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Run the periodic jobs until SIGTERM or Ctrl-C: callback dispatch, the queue sweep and listeners'
    shifts, emails and daily digests, override expiry, the retention purge.

    Run exactly one of these per database at a time: start more (on other hosts) and they stand by,
    taking over when the active one dies (the database's scheduler lock). Web workers never run jobs.
    """
    app = current_app._get_current_object()
    if not app.config.get("PUBLIC_URL"):
        # Web workers learn their public URL from Twilio's requests; this process never receives one.
        message = "set HELPLINE_PUBLIC_URL: the scheduler dials listeners and must give Twilio absolute URLs"
        if app.config.get("ENVIRONMENT") == "production":
            raise click.ClickException(message)
        logger.warning("%s (listeners will not be dialled by the scheduler)", message)
    poll = float(app.config["SCHEDULER_STANDBY_POLL_SECONDS"])
    lock = scheduler_lock_for(app.config["DATABASE_URL"])
    standing_by = threading.Event()
    _stop_standby_on_signals(standing_by)
    if not wait_for_lock(lock, poll, standing_by):
        logger.info("standby scheduler stopped")
        return
    logger.info("active: this scheduler holds %s", lock.description)
    # What happened while no scheduler was active (this one starting, taking over from one that died, or back
    # after the database was down) is unknown: its first sweep asks Twilio about every open conversation and
    # every waiting caller, whose hang-ups may have been lost meanwhile.
    from ivr.sweep import OUTAGE

    app.extensions[OUTAGE] = True
    # Built only once the lock is ours: building rewrites the job store a running scheduler reads.
    scheduler = build_scheduler(app, blocking=True)
    stopping = _stop_on_signals(scheduler)

    def started(_event) -> None:
        for line in describe_jobs(scheduler):
            logger.info("%s", line)

    scheduler.add_listener(started, EVENT_SCHEDULER_STARTED)
    logger.info("scheduler starting at %s", datetime.now(timezone.utc).isoformat())
    lost = threading.Event()
    scheduler.add_listener(lambda _event: _watch_lock(scheduler, lock, poll, lost), EVENT_SCHEDULER_STARTED)
    try:
        scheduler.start()
        for thread in stopping:
            thread.join()
    finally:
        lock.release()
    if lost.is_set():
        raise click.ClickException("the scheduler lock was lost; restart this process to stand by again")
    logger.info("scheduler stopped")


def _stop_standby_on_signals(standing_by: threading.Event) -> None:
    """SIGTERM or Ctrl-C while standing by ends the wait (the active scheduler's handlers replace these)."""

    def stop(_signum: int, _frame) -> None:
        standing_by.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
