"""Event-writing commits per second on PostgreSQL, with 1, 2 and 4 writer processes.

Each writer process runs a few threads, as a server's request threads; each thread commits
transactions that write two events, then waits until they are published, as
``Dispatcher.execute`` does before it answers. Two ways of numbering events are measured side
by side on the same server: ``publisher``, today's (events queued without a shared lock, a
publication round per process numbering whatever is committed, see
``dispatchd.store.event_publication``), and ``lock``, the one it replaced (every
event-writing commit took one advisory lock across the deployment, so ids followed commit
order), rebuilt here as the baseline. The figure is commits per second of all processes
together in the measured window, and each commit's latency up to its events' publication.
"""

from __future__ import annotations

import multiprocessing
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, text

from dispatchd.service.group_publication import GroupPublisher
from dispatchd.store.bulk import BulkInsert, Shape
from dispatchd.store.database import Database
from dispatchd.store.event_log import event_values, write_events
from dispatchd.store.event_publication import publication_round
from dispatchd.store.migrate import upgrade
from dispatchd.store.sql import AdvisoryLock, advisory_xact_lock
from dispatchd_bench.stats import percentile

MODES = ("lock", "publisher")
EVENTS_PER_COMMIT = 2
_LOGGED = BulkInsert(
    Shape(
        "events",
        (
            ("name", "text"),
            ("order_id", "text"),
            ("installer_id", "text"),
            ("zone_id", "text"),
            ("data", "json"),
            ("at", "bigint"),
        ),
    )
)


def run_event_commits(
    mode: str, processes: int, threads: int, seconds: float, database_url: str
) -> dict[str, Any]:
    """Commits per second of ``processes`` writer processes, ``threads`` threads each."""
    database = Database(database_url, pool_size=2)
    try:
        upgrade(database)
    finally:
        database.dispose()
    context = multiprocessing.get_context("spawn")
    ready = context.Barrier(processes + 1)
    answers: multiprocessing.Queue[dict[str, Any]] = context.Queue()
    workers = [
        context.Process(
            target=_writer_process,
            args=(mode, database_url, threads, seconds, ready, answers),
            daemon=True,
        )
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    try:
        ready.wait(timeout=60)
        reports = [answers.get(timeout=seconds + 60) for _ in workers]
    finally:
        for worker in workers:
            worker.join(10)
            if worker.is_alive():
                worker.kill()
    latencies = [x for report in reports for x in report["latencies_ms"]]
    commits = len(latencies)
    window = max(report["elapsed_s"] for report in reports)
    return {
        "mode": mode,
        "processes": processes,
        "threads_per_process": threads,
        "commits": commits,
        "errors": sum(report["errors"] for report in reports),
        "commits_per_s": round(commits / window, 1),
        "publication_rounds": sum(report["rounds"] for report in reports),
        "latency_p50_ms": round(percentile(latencies, 50), 2),
        "latency_p99_ms": round(percentile(latencies, 99), 2),
    }


def _writer_process(
    mode: str,
    database_url: str,
    threads: int,
    seconds: float,
    ready: Any,
    answers: Any,
) -> None:
    import threading

    database = Database(database_url, pool_size=threads + 1)
    publisher = GroupPublisher(lambda: publication_round(database))
    commit = _commit_and_publish if mode == "publisher" else _commit_under_the_old_lock
    latencies: list[list[float]] = [[] for _ in range(threads)]
    errors = [0] * threads
    start = threading.Barrier(threads + 1)

    def write(n: int) -> None:
        start.wait()
        ends = time.perf_counter() + seconds
        while time.perf_counter() < ends:
            began = time.perf_counter()
            try:
                commit(database, publisher)
            except Exception:
                errors[n] += 1
                continue
            latencies[n].append((time.perf_counter() - began) * 1000)

    workers = [threading.Thread(target=write, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    ready.wait(timeout=60)
    start.wait()
    began = time.perf_counter()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    database.dispose()
    answers.put(
        {
            "latencies_ms": [x for mine in latencies for x in mine],
            "errors": sum(errors),
            "elapsed_s": elapsed,
            "rounds": publisher.rounds,
        }
    )


def _rows() -> list[dict[str, Any]]:
    at = datetime.now(UTC)
    return [
        {
            "name": "bench.written",
            "order_id": "ord_bench",
            "installer_id": None,
            "zone_id": None,
            "data": {"n": n},
            "at": at,
        }
        for n in range(EVENTS_PER_COMMIT)
    ]


def _commit_and_publish(database: Database, publisher: GroupPublisher) -> None:
    with database.write() as conn:
        _a_commands_work(conn)
        write_events(conn, _rows())
    publisher.publish()


def _commit_under_the_old_lock(database: Database, _publisher: GroupPublisher) -> None:
    with database.write() as conn:
        _a_commands_work(conn)
        advisory_xact_lock(conn, AdvisoryLock.EVENT_APPEND)
        _LOGGED.run(conn, event_values(_rows()))


def _a_commands_work(conn: Connection) -> None:
    """A read that stands for the rest of a command (its writes are not what is measured)."""
    conn.execute(text("SELECT 1"))
