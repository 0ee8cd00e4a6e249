"""Times of the console's reports over a year of history: the page, each chart and each CSV, cold and cached.

    python benchmarks/report_timing.py --database-url postgresql+psycopg://root@127.0.0.1:5432/x [--calls 1000000]

A temporary PostgreSQL database ``helpline_reports_<random>`` is created next to the one named, migrated, given
the shipped directory and a generated year (benchmarks/history.py: 2025, ``--calls`` calls, 55 % of them on
France Victimes), then dropped — unless ``--keep`` (its name is printed) or ``--existing NAME`` (a database kept
from an earlier run: no load). The app runs in this process (production settings, an admin signed in through
the login form); every request goes through Flask's test client, so the figures are the app's and the
database's time, not a network's.

Printed, for France Victimes' yearly report (2025-01-01 to 2025-12-31) and the 3977-75 centre's: the page cold
(nothing cached: the figures are counted), then each chart (drawn, then read again from the shared cache) and
each CSV (the report cached in the database),
the page again, and ``--rounds`` cold countings of the report alone (median). The baseline, measured in the same
run: one ``SELECT count(*)`` of the line's calls in the year — the least any report over those calls costs —
and the ratio of the cold report to it. Target: the yearly report cold under 1 s.
"""

from __future__ import annotations

import argparse
import re
import secrets
import statistics
import sys
import time
from datetime import date, datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.history import History  # noqa: E402
from benchmarks._webhook_servers import PostgresDatabase, prepare_database, production_settings  # noqa: E402

LINE, CENTRE = "france-victimes", "3977-75"
YEAR = {"from": "2025-01-01", "to": "2025-12-31"}
PASSWORD = "a long bench password " + secrets.token_hex(8)
EMAIL = f"bench-admin-{secrets.token_hex(4)}@example.org"  # a new one each run (--existing keeps the database)


def timed(action) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def signed_in_client(app):
    from console.accounts.records import create_account
    from store.extension import database

    with app.app_context(), database.session() as session:
        create_account(session, email=EMAIL, name="Bench Admin", password=PASSWORD, role="admin", lines=(),
                       centres=(), language="fr", now=datetime.now(timezone.utc))
        session.commit()
    client = app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    page = client.get("/console/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = client.post("/console/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token})
    if answer.status_code not in (302, 303):
        raise SystemExit(f"could not sign in ({answer.status_code})")
    return client


def clear_cache(app) -> None:
    from sqlalchemy import delete

    from store.extension import database
    from store.models import ReportCache

    with app.app_context(), database.session() as session:
        session.execute(delete(ReportCache))
        session.commit()


def get(client, path: str) -> float:
    seconds, answer = timed(lambda: client.get(path, query_string=YEAR))
    if answer.status_code != 200:
        raise SystemExit(f"{path}: HTTP {answer.status_code}")
    return seconds


def report_rows(app, client, kind: str, slug: str, charts: tuple[str, ...], csvs: tuple[str, ...]) -> None:
    base = f"/console/reports/{kind}/{slug}"
    clear_cache(app)
    print(f"  {kind[:-1]} {slug}, page cold (counted):{get(client, base) * 1000:>10.0f} ms")
    for name in charts:  # the first reading draws the chart; the second reads it from the shared cache
        drawn = get(client, f"{base}/{name}.svg")
        kept = get(client, f"{base}/{name}.svg")
        print(f"    chart {name + '.svg':<24}{drawn * 1000:>10.0f} ms drawn, {kept * 1000:>6.0f} ms kept")
    for name in csvs:
        print(f"    CSV   {name + '.csv':<24}{get(client, f'{base}/{name}.csv') * 1000:>10.0f} ms")
    print(f"    page again (cached){'':<10}{get(client, base) * 1000:>10.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="postgresql+psycopg://root@127.0.0.1:5432/<any>")
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the database (its name is printed)")
    parser.add_argument("--existing", help="a database kept by an earlier run (history already loaded)")
    args = parser.parse_args()
    if not 1 <= args.rounds <= 10:
        parser.error("keep it bounded: 1-10 rounds")
    postgres = PostgresDatabase(args.database_url)
    if args.existing:
        postgres.name = args.existing
        postgres.url = postgres.url.rsplit("/", 1)[0] + "/" + args.existing
    settings_ = production_settings()
    try:
        if not args.existing:
            postgres.create()
            prepare_database(postgres.url, settings_)
            from sqlalchemy import create_engine

            engine = create_engine(postgres.url)
            seconds, counts = timed(lambda: History(engine, 2025, args.calls, seed=17).load())
            # Fresh statistics and visibility maps, as autovacuum gives a table loaded by inserts (PostgreSQL 13+):
            # without the maps an index-only count reads the table's rows too.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM ANALYZE")
            engine.dispose()
            print(f"history loaded in {seconds:.0f} s: {counts['call']:,} calls, {counts['call_event']:,} call "
                  f"events, {counts['queue_event']:,} queue events ({sum(counts.values()) / seconds:,.0f} rows/s)")
        run(postgres.url, settings_, args.rounds)
    finally:
        if args.keep or args.existing:
            print(f"database kept: {postgres.name}")
        else:
            postgres.drop()


def run(url: str, settings_: dict[str, str], rounds: int) -> None:
    from app import create_app
    from console.overview import line_pools
    from sqlalchemy import func, select
    from store.extension import database, directory
    from store.models import Call
    from store.reports import Period, line_report

    app = create_app({"ENVIRONMENT": "production", "DATABASE_URL": url, "LOG_LEVEL": "WARNING",
                      "SECRET_KEY": secrets.token_urlsafe(48), **settings_})
    client = signed_in_client(app)
    now = datetime.now(timezone.utc)
    period = Period(date(2025, 1, 1), date(2025, 12, 31), "Europe/Paris")
    with app.app_context(), database.session(read_only=True) as session:
        snapshot = directory.get(session, now)
        line = snapshot.lines_by_slug[LINE]
        line_id = snapshot.line_ids[LINE]
        calls = session.scalar(select(func.count()).select_from(Call).where(
            Call.line_id == line_id, Call.started_at >= period.start, Call.started_at < period.end))
        baseline = statistics.median(timed(lambda: session.scalar(select(func.count()).select_from(Call).where(
            Call.line_id == line_id, Call.started_at >= period.start, Call.started_at < period.end)))[0]
            for _ in range(rounds))
        cold = statistics.median(timed(lambda: line_report(session, snapshot, line, line_pools(line), period, 0.8,
                                                           now))[0] for _ in range(rounds))
    print(f"report_timing: PostgreSQL, {LINE}'s year 2025 ({calls:,} calls); times in ms")
    print(f"  baseline: SELECT count(*) of those calls {baseline * 1000:>10.0f} ms (median of {rounds})")
    print(f"  yearly report counted, alone          {cold * 1000:>10.0f} ms (median of {rounds}); "
          f"ratio to the baseline {cold / baseline:.1f}; {'meets' if cold < 1 else 'misses'} the target < 1 s")
    report_rows(app, client, "lines", LINE, ("heatmap", "service", "outcomes", "callers", "coverage"),
                ("summary", "heatmap", "outcomes", "forwards", "closed", "callers", "service", "coverage"))
    report_rows(app, client, "centres", CENTRE, ("heatmap", "outcomes", "callers"),
                ("summary", "heatmap", "outcomes", "callers"))
    with app.app_context():
        database.engine.dispose()


if __name__ == "__main__":
    main()
