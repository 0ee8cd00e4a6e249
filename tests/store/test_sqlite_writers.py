"""SQLite's write lock among the threads of one process: taken in turn, so a busy loop cannot starve a writer."""

from __future__ import annotations

import threading

from sqlalchemy import text

from store.db import make_engine


def test_six_threads_writing_back_to_back_never_get_database_is_locked(tmp_path):
    # SQLite's busy handler polls: without a queue, the thread that has just committed takes the lock back at
    # once, and the others slept past a short busy timeout (5 of these 6 threads failed that way). The same
    # starvation hit four dispatchers racing one queue with the real 4 s timeout on a loaded machine.
    engine = make_engine(f"sqlite:///{tmp_path / 'writers.sqlite3'}", wait_seconds=0.5)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER)")
        connection.exec_driver_sql("INSERT INTO counter VALUES (1, 0)")
    errors: list[str] = []

    def writer() -> None:
        try:
            for _ in range(300):
                with engine.begin() as connection:
                    n = connection.execute(text("SELECT n FROM counter WHERE id = 1")).scalar()
                    sum(range(20000))  # Python work while holding the lock, as the ORM does between statements
                    connection.execute(text("UPDATE counter SET n = :n WHERE id = 1"), {"n": n + 1})
        except Exception as error:  # noqa: BLE001 — counted below
            errors.append(str(error).splitlines()[0])

    threads = [threading.Thread(target=writer) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT n FROM counter")).scalar() == 1800
    assert errors == []
    engine.dispose()


def test_a_writer_that_waits_past_the_timeout_is_told_the_database_is_locked(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'held.sqlite3'}", wait_seconds=0.2)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (n INTEGER)")
    holder = engine.connect()
    holder.begin()
    holder.exec_driver_sql("INSERT INTO t VALUES (1)")
    outcome: list[str] = []

    def second_writer() -> None:
        try:
            with engine.begin() as connection:
                connection.exec_driver_sql("INSERT INTO t VALUES (2)")
            outcome.append("written")
        except Exception as error:  # noqa: BLE001
            outcome.append(str(error).splitlines()[0])

    thread = threading.Thread(target=second_writer)
    thread.start()
    thread.join(timeout=10)
    holder.commit()
    holder.close()
    assert len(outcome) == 1 and "database is locked" in outcome[0]
    with engine.begin() as connection:  # the queue is free again once the holder has committed
        connection.exec_driver_sql("INSERT INTO t VALUES (3)")
        assert [row[0] for row in connection.exec_driver_sql("SELECT n FROM t ORDER BY n")] == [1, 3]
    engine.dispose()
