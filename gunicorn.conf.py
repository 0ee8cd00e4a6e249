"""gunicorn settings for the webhooks' pool: `gunicorn -c gunicorn.conf.py 'app:create_app()'` (see the README)."""

import multiprocessing
import os

# The webhooks' pool. The console has a pool of its own (gunicorn_console.conf.py, 127.0.0.1:8001) and the
# proxy sends /console there: a coordinator's yearly report never takes a worker a caller needs.
# Stateless workers: every call's state is in the database and in Twilio, so any worker (on any host) can
# answer any webhook. Two per core plus one keeps the cores busy while some wait on PostgreSQL.
# The command line overrides these (-w 4, -b 127.0.0.1:8001).
workers = multiprocessing.cpu_count() * 2 + 1
# Threads that get a connection only once its data arrives, and drop a request that has not arrived in full
# within 5 s (serving.py): a slow client holds one thread for 5 s at most, never a whole worker. A sync
# worker would wait on a client sending a header line every 2 s for as long as it likes, and five such
# clients stopped every webhook. The proxy in front buffers requests anyway; this holds without it too.
worker_class = "serving.WholeRequestThreadWorker"
# 16 threads a worker: 80 connections on 2 cores before a slow client waits for a thread. Threads share the
# worker's CPU (one at a time runs Python), so this adds no CPU, only places for waiting clients.
threads = 16
# A worker takes no more connections than it has threads: a webhook is accepted by a worker with a free
# thread (any of them), never queued inside one whose threads are all waiting on slow clients.
worker_connections = threads
bind = "127.0.0.1:8000"  # behind the reverse proxy, which terminates TLS
# The webhooks' workers do not load the console (its pool does): 9 MB less in each of them.
raw_env = ["HELPLINE_CONSOLE=0"]

# Twilio waits 15 s for a webhook. The database gives up after 4 s (store/db.py) and the webhook answers
# its fallback TwiML; a worker whose main thread is stuck past 10 s is killed and restarted, so Twilio has
# time left to fetch the number's fallback URL from another worker.
timeout = 10
graceful_timeout = 10  # a deploy lets running webhooks finish
# No keep-alive: nginx speaks HTTP/1.0 to gunicorn unless told otherwise, and an idle kept-alive connection
# would count against worker_connections. A connection that sends nothing for 5 s is closed.
keepalive = 0

# Recycle workers now and then, jittered so they never restart all at once.
max_requests = 5000
max_requests_jitter = 500

# The access log: method, path without the query string (which may carry call state), status, size and
# time — never the caller's form fields. The app's own lines follow HELPLINE_LOG_FORMAT.
accesslog = "-"
errorlog = "-"
# The size carries its unit: "200 12345" would read as a number in groups and be blanked as one.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)sB %(M)sms'
# gunicorn's logger with the same lines; the access line costs ~25 µs instead of ~60 (serving.py).
logger_class = "serving.EngineLogger"
loglevel = os.environ.get("HELPLINE_LOG_LEVEL", "info").lower()

# With HELPLINE_LOG_FORMAT=json, gunicorn's own lines (start, workers, timeouts) and the access log are JSON too,
# through the engine's handler that blanks phone-number-shaped runs, so a log collector reads one format.
# The root logger keeps no handler: gunicorn's default gives it the access log's, and the app (which adds its own
# handler only to a root logger without one, ivr/logs.py) would then write to stdout among the access lines.
if os.environ.get("HELPLINE_LOG_FORMAT", "text") == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "ivr.logs.JsonFormatter"}},
        "handlers": {
            "error_console": {"()": "ivr.logs.EngineLogHandler", "formatter": "json"},  # stderr
            "console": {"()": "ivr.logs.EngineLogHandler", "formatter": "json", "stream": "ext://sys.stdout"},
        },
        "root": {"level": "INFO", "handlers": []},
        "loggers": {
            "gunicorn.error": {"level": loglevel.upper(), "handlers": ["error_console"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
        },
    }

# No preload: every worker opens its own database connections after the fork.
preload_app = False

# No control socket (gunicorn 25.1+): its default path is one per user ($XDG_RUNTIME_DIR or ~/.gunicorn), so a
# second gunicorn of the same user (a deploy's new copy, another instance) takes it over and removes it when it
# stops. Stop and reload with signals (TERM, HUP), as systemd does. Older gunicorns ignore the name.
control_socket_disable = True


def post_worker_init(worker):
    """Each worker reads the prompts and the directory and opens a database connection before its first
    request (app.warm_up), so the first caller of a new or recycled worker waits no longer than the others.
    Anything else served with this file (the benchmarks' bare app) is left as it is."""
    from app import warm_up

    if "dispatcher" not in getattr(worker.wsgi, "extensions", {}):
        return
    try:
        warm_up(worker.wsgi)
    except Exception as error:  # noqa: BLE001 — an error here would make gunicorn halt the whole server
        worker.log.warning("warm-up failed (%s): the worker starts cold", type(error).__name__)


def on_starting(server):
    """Before any worker starts: the public holidays the directory needs, computed in a process of its own
    (app.prepare_holidays) and kept in the instance's cache, so that no worker imports the `holidays` library
    (17 MB in each). A failure here only means the workers compute what they need, as they did before."""
    import subprocess
    import sys

    if not str(getattr(server.app, "app_uri", "")).startswith("app:"):
        return  # the benchmarks' bare and floor apps: nothing of the engine's to prepare
    try:
        subprocess.run([sys.executable, "-c", "import app; app.prepare_holidays(app.create_app())"],
                       timeout=120, check=True)
    except (OSError, subprocess.SubprocessError) as error:
        server.log.warning("holidays not prepared (%s): the workers compute them", type(error).__name__)
