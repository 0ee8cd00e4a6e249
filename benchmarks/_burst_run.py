"""One run of benchmarks/dispatch_burst.py: the dispatchers (threads, or spawned processes) released together on a
fresh copy of the seeded database, racing the pool until it is drained, then the database checked for double
offers and the CPU it cost."""

from __future__ import annotations

import multiprocessing
import queue
import threading
import time

from _burst_report import cpu_sample, cpu_shares
from _dispatch_checks import check_database
from _dispatch_clock import ThreadCounter, Ticker

GRACE = 15.0  # seconds dispatchers get to stop once told to, past the time limit


def race(url: str, dispatchers: int, processes: bool, config, on_started=lambda: None,
         on_finished=lambda: None) -> list[dict]:
    """Start the dispatchers together and wait until they are all done (or the time is up).

    ``on_started`` runs as the dispatchers are released (this thread is the barrier's last party);
    ``on_finished`` once every dispatcher has returned, while their processes and connections still exist."""
    limit = config.barrier_timeout + config.timeout + GRACE
    run = _race_processes if processes else _race_threads
    return run(url, dispatchers, config, limit, lambda barrier: _release(barrier, config, on_started), on_finished)


def _release(barrier, config, on_started) -> None:
    """This thread reaches the start line last: the dispatchers are released together."""
    try:
        barrier.wait(timeout=config.barrier_timeout)
    except threading.BrokenBarrierError:
        pass  # a dispatcher could not start: it says so in its result
    on_started()


def _race_threads(url: str, dispatchers: int, config, limit: float, start_line, on_finished) -> list[dict]:
    """Dispatchers as threads sharing one engine."""
    import _dispatch_support as support
    from store.db import make_engine, make_session_factory

    engine = make_engine(url)
    factory = make_session_factory(engine)
    counter = ThreadCounter()
    barrier = threading.Barrier(dispatchers + 1)
    stop = threading.Event()
    results: list[dict | None] = [None] * dispatchers

    def run(number: int) -> None:
        results[number] = support.Dispatcher(number, factory, Ticker(counter), barrier, stop, config).run()

    threads = [threading.Thread(target=run, args=(n,), name=f"dispatcher-{n}", daemon=True)
               for n in range(dispatchers)]
    try:
        for thread in threads:
            thread.start()
        start_line(barrier)
        until = time.monotonic() + limit
        for thread in threads:
            thread.join(max(0.0, until - time.monotonic()))
        if any(t.is_alive() for t in threads):
            stop.set()
            for thread in threads:
                thread.join(GRACE)
        on_finished()
    finally:
        stop.set()
        if not any(t.is_alive() for t in threads):
            engine.dispose()
    return [r if r is not None else {"number": n, "errors": ["dispatcher thread never returned"],
                                     "aborted": "stuck"} for n, r in enumerate(results)]


def _race_processes(url: str, dispatchers: int, config, limit: float, start_line, on_finished) -> list[dict]:
    """Dispatchers as spawned processes, each making its own engine; their results come back through a queue."""
    import _dispatch_support as support

    context = multiprocessing.get_context("spawn")
    counter = context.Value("q", 0)
    barrier = context.Barrier(dispatchers + 1)
    stop = context.Event()
    outbox = context.Queue()
    children = [context.Process(target=support.process_main, name=f"dispatcher-{n}",
                                args=(n, url, counter, barrier, stop, config, outbox), daemon=True)
                for n in range(dispatchers)]
    try:
        for child in children:
            child.start()
        start_line(barrier)
        results = _collect(outbox, children, stop, time.monotonic() + limit)
        on_finished()
        stop.set()  # the children were waiting for it to close their connections
        for child in children:
            child.join(GRACE)
    finally:
        stop.set()
        for child in children:
            if child.is_alive():
                child.terminate()
                child.join(5)
    got = {r["number"] for r in results}
    results += [{"number": n, "errors": [f"dispatcher process ended without a result (exit code "
                                         f"{children[n].exitcode})"], "aborted": "stuck"}
                for n in range(dispatchers) if n not in got]
    return sorted(results, key=lambda r: r["number"])


def _collect(outbox, children, stop, until: float) -> list[dict]:
    """The children's results as they come, until all are in, the children are gone, or the time is up (then
    they are told to stop and given GRACE more seconds)."""
    results = []
    while len(results) < len(children):
        remaining = until - time.monotonic()
        if remaining <= 0:
            if stop.is_set():
                break
            stop.set()
            until = time.monotonic() + GRACE
            continue
        try:
            results.append(outbox.get(timeout=min(remaining, 1.0)))
        except queue.Empty:
            if not any(c.is_alive() for c in children) and outbox.empty():
                break  # a child died without a word
    return results


def one_run(target, number: int, dispatchers: int, processes: bool, config, callers: int) -> dict:
    from store.db import make_engine, make_session_factory

    url = target.copy(number)
    from sqlalchemy.engine import make_url

    database = make_url(url).database if target.kind == "PostgreSQL" else None
    try:
        marks = {}
        results = race(url, dispatchers, processes, config,
                       on_started=lambda: marks.update(before=cpu_sample(database)),
                       on_finished=lambda: marks.update(after=cpu_sample(database)))
        engine = make_engine(url)
        try:
            checks = check_database(make_session_factory(engine), results, callers)
        finally:
            engine.dispose()
        counters = target.counters(url)
    finally:
        target.drop(url)
    starts = [r["started"] for r in results if r.get("started")]
    ends = [r["finished"] for r in results if r.get("finished")]
    elapsed = (max(ends) - min(starts)) if starts and ends else None
    aborted = [f"dispatcher {r['number']}: {r['aborted']}" for r in results if r.get("aborted")]
    if not aborted and checks["callers_not_done"]:
        aborted.append(f"{checks['callers_not_done']} callers not done although every dispatcher stopped")
    drain = elapsed if elapsed is not None and not aborted and len(ends) == dispatchers else None
    return {"dispatchers": dispatchers, "mode": "processes" if processes else "threads", "results": results,
            "checks": checks, "counters": counters, "drain": drain, "elapsed": elapsed, "aborted": aborted,
            "t0": min(starts or [0]),
            "cpu": cpu_shares(marks["before"], marks["after"]) if len(marks) == 2 else None}
