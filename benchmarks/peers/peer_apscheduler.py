"""Peer: APScheduler 3.x with a SQLAlchemyJobStore on SQLite and a 10-thread executor.

Every task is a one-off `date` job. `misfire_grace_time=None` is essential: with the
default of 1 s, jobs that the scheduler reaches more than a second late are silently
dropped (PEERS.md saw 91% skipped), which would flatter its lateness and hide the loss.
An APScheduler 3 scheduler re-reads its job store only at its own wake-ups, so the
producer fills the store first and the worker starts afterwards.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from peer_api import ENV_RESULTS_SQLITE, ENV_WORKDIR, Peer, RunContext, env
from sqlalchemy import create_engine, event
from sqlalchemy.pool import ConnectionPoolEntry
from workload import SQLITE_SYNCHRONOUS, ResultsStore, SqliteResults, SqliteRowWriter, Task

THREADS = 10
JOBS_FILE = "apscheduler_jobs.sqlite"
#: SQLite's default rollback journal costs several fsyncs per add_job and per job removal.
JOBSTORE_JOURNAL_MODE = "WAL"
FIRE_REF = f"{__name__}:fire"

_writer = SqliteRowWriter(env(ENV_RESULTS_SQLITE))


def fire(task_id: int, due_at: float) -> None:
    """The delayed task: commit its results row."""
    _writer.record(task_id, due_at)


def _jobstore() -> SQLAlchemyJobStore:
    """The SQLite job store, in WAL mode."""
    engine = create_engine(f"sqlite:///{Path(env(ENV_WORKDIR)) / JOBS_FILE}")

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        dbapi_conn.execute(f"PRAGMA journal_mode={JOBSTORE_JOURNAL_MODE}")

    return SQLAlchemyJobStore(engine=engine)


def _configure(scheduler: BaseScheduler) -> BaseScheduler:
    """The configuration shared by producer and worker: job store, executor, job defaults."""
    scheduler.configure(
        jobstores={"default": _jobstore()},
        executors={"default": ThreadPoolExecutor(THREADS)},
        job_defaults={"misfire_grace_time": None, "coalesce": False, "max_instances": 1},
        timezone=UTC,
    )
    return scheduler


class _StoreOnlyScheduler(BackgroundScheduler):  # type: ignore[misc]
    """The producer's scheduler: `add_job` writes to the store, and no job ever runs here.

    APScheduler 3 writes jobs to a store only once its scheduler has started, and even a
    paused BackgroundScheduler processes due jobs once more while shutting down, which
    would run and delete jobs that the worker is about to read.
    """

    def _process_jobs(self) -> float | None:
        return None


class ApschedulerPeer(Peer):
    """Producer: one `add_job(fire, "date", run_date=due)` per task; worker: BlockingScheduler."""

    system = "apscheduler"
    distribution = "APScheduler"
    worker_first = False

    def __init__(self, ctx: RunContext) -> None:
        super().__init__(ctx)
        self._producer: BaseScheduler | None = None

    def settings(self) -> str:
        return (
            f"BlockingScheduler, SQLAlchemyJobStore on SQLite (journal_mode="
            f"{JOBSTORE_JOURNAL_MODE}), ThreadPoolExecutor({THREADS}), misfire_grace_time=None, "
            "coalesce=False; one add_job(trigger='date', run_date=due_at) per task from a "
            "scheduler that never runs jobs, worker started after the enqueue; results "
            f"committed one row per task to a separate SQLite file (WAL, synchronous="
            f"{SQLITE_SYNCHRONOUS})"
        )

    def prepare(self) -> ResultsStore:
        store = SqliteResults(env(ENV_RESULTS_SQLITE))
        store.create()
        return store

    def worker_argv(self) -> list[str]:
        return [self.ctx.python, "-c", f"import {__name__}; {__name__}.main()"]

    def enqueue(self, tasks: Sequence[Task]) -> None:
        if self._producer is None:
            self._producer = _configure(_StoreOnlyScheduler())
            self._producer.start()
        for t in tasks:
            self._producer.add_job(
                FIRE_REF,
                trigger="date",
                run_date=datetime.fromtimestamp(t.due_at, tz=UTC),
                args=(t.task_id, t.due_at),
                id=str(t.task_id),
            )

    def close_producer(self) -> None:
        if self._producer is not None:
            self._producer.shutdown()
            self._producer = None


def main() -> None:
    """Worker entry point: run the scheduler on the filled job store until stopped."""
    _configure(BlockingScheduler()).start()


PEER_CLASS = ApschedulerPeer
