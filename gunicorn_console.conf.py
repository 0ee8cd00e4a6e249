"""gunicorn settings for the console's pool: `gunicorn -c gunicorn_console.conf.py 'app:create_app()'` (README)."""

import os
import runpy
from pathlib import Path

# Everything as in the webhooks' pool (worker class, logs, recycling, warm-up), then what differs.
globals().update({name: value for name, value in runpy.run_path(str(Path(__file__).with_name("gunicorn.conf.py")))
                  .items() if not name.startswith("__")})

# The proxy sends /console (pages, charts, CSV) here and /voice to 127.0.0.1:8000: reports, however heavy,
# run in these processes and never in a worker a webhook needs.
bind = "127.0.0.1:8001"
raw_env = ["HELPLINE_CONSOLE=1"]
workers = 2
threads = 4  # a report page asks for its five charts at once
# A yearly report is counted by the database in about a second, and the first one may run for several seconds on a
# cold cache; the proxy waits as long (proxy_read_timeout 35s for /console).
timeout = 30
graceful_timeout = 30

# Below the webhooks on a shared CPU: when a report and a webhook both want a core, the kernel gives it to
# the webhook (the report is a few milliseconds later; a caller never is). This covers the console's own Python
# (pages, charts, CSV); the PostgreSQL backend that counts a report cannot be reniced from here (another user,
# often another host): store/reports.py keeps it to one core (one report at a time, no parallel workers).
CONSOLE_NICENESS = 10


def post_fork(server, worker):
    os.nice(CONSOLE_NICENESS)
