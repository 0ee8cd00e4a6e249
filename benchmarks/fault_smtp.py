"""Fault: the mail server down while calls queue emails. Prints what was lost (must be nothing).

``--calls`` after-hours calls to 116 006 (its "email on an after-hours call" switched on) are played through
the real webhooks, in process, on a fresh SQLite database (``--database-url`` for PostgreSQL); each queues an
email in the call's transaction. The mail server (aiosmtpd on 127.0.0.1, tests/support) is down: the
outbox is sent as the scheduler sends it, and every email must stay queued with a retry time. The mail
server comes back; the clock moves past the retry time (1 minute, then 5, 15, 60, then hourly) and the
outbox is sent again until nothing is due.

Printed: emails queued, sent while the server was down, kept for a retry, delivered once it was back,
delivered twice, and lost (queued but never delivered): the last two must be 0.

    python benchmarks/fault_smtp.py [--calls 50] [--outage-passes 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

EVENING = datetime(2026, 11, 24, 22, 10, tzinfo=ZoneInfo("Europe/Paris"))  # 116 006 closes at 21:00
FV, FV_NUMBER = "france-victimes", "+33199000116"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--outage-passes", type=int, default=3, help="sending passes while the server is down")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    from sqlalchemy import func, select

    from app import create_app
    from directory_data.loader import DirectoryFiles, read_directory
    from ivr.simulator import CallSimulator, SimulatedClock
    from jobs.email import send_pending
    from store.crypto import new_key
    from store.db import upgrade
    from store.directory import load_documents
    from store.extension import database, directory
    from store.models import EmailOutbox
    from tests.support.smtp_server import SmtpTestServer

    args = parse_args(argv)
    smtp = SmtpTestServer().start()  # only to reserve a port on 127.0.0.1 ...
    smtp.stop()  # ... that nothing answers on while the mail server is "down"
    with tempfile.TemporaryDirectory(prefix="helpline-smtp-fault-") as temporary:
        clock = SimulatedClock(EVENING)
        app = create_app({
            "ENVIRONMENT": "production", "DATABASE_URL": args.database_url or f"sqlite:///{temporary}/h.sqlite3",
            "TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": "smtp-fault-auth-token-0000000000",
            "NUMBER_PEPPER": "smtp-fault-pepper-0123456789", "CALLBACK_KEY": new_key(),
            "PUBLIC_URL": "https://ivr.example.org", "TWILIO_API_BASE_URL": "http://127.0.0.1:9",
            "SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp.port, "SMTP_TIMEOUT": 3, "CLOCK": clock,
            "DISPATCH_MODE": "off", "LOG_LEVEL": "CRITICAL",
        })
        shipped = read_directory()
        with app.app_context():
            upgrade(database.engine)
            with database.session() as session:
                lines = [{**doc, "email": {**(doc.get("email") or {}), "on_after_hours_call": True}}
                         if doc["id"] == FV else doc for doc in shipped.lines]
                load_documents(session, DirectoryFiles(lines, shipped.centres))
                session.commit()
            directory.invalidate()
        for n in range(args.calls):
            with app.app_context():
                CallSimulator(app, to=FV_NUMBER, caller=f"+3367{n:07d}", clock=clock).run()

        def outbox() -> tuple[int, int]:
            with app.app_context(), database.session() as session:
                total = session.scalar(select(func.count()).select_from(EmailOutbox))
                unsent = session.scalar(select(func.count()).select_from(EmailOutbox)
                                        .where(EmailOutbox.sent_at.is_(None)))
                return total, unsent

        queued, _ = outbox()
        sent_while_down = failed_attempts = 0
        for _ in range(args.outage_passes):
            report = send_pending(app)
            sent_while_down += report.sent
            failed_attempts += report.failed
            clock.advance(61)
        _, kept = outbox()

        smtp.start()  # the mail server is back, on the same port
        delivered_passes = 0
        for _ in range(12):  # each pass moves the clock past the longest back-off (hourly)
            clock.advance(3601)
            report = send_pending(app, limit=1000)
            delivered_passes += report.sent
            if outbox()[1] == 0:
                break
        smtp.stop()
        _, still_unsent = outbox()
        with app.app_context():
            database.engine.dispose()

    messages = smtp.messages()
    identities = [message.message["Message-ID"] or message.text for message in messages]
    duplicates = len(identities) - len(set(identities))
    print(f"Mail server down while {args.calls} after-hours calls to 116 006 each queued an email")
    print(f"  emails queued                 {queued}")
    print(f"  while the server was down     {args.outage_passes} sending passes: sent {sent_while_down}, "
          f"failed attempts {failed_attempts}, kept for a retry {kept}")
    print(f"  once the server was back      delivered {len(messages)} (the outbox says {delivered_passes} sent), "
          f"still unsent {still_unsent}")
    lost = queued - len(set(identities))
    print(f"  delivered twice               {duplicates}")
    print(f"  lost                          {lost}")
    print("LOST: nothing" if lost == 0 and duplicates == 0 and queued == args.calls else "LOST: see above")
    return 0 if lost == 0 and duplicates == 0 and queued == args.calls and sent_while_down == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
