"""Peer: procrastinate (PostgreSQL), delayed tasks as jobs deferred with `schedule_at`.

The worker is procrastinate's own CLI, `procrastinate worker --concurrency 10`; its
async task commits the results row through a psycopg pool, in the same database as
the queue.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import UTC, datetime

import procrastinate
from peer_api import (
    ENV_DSN,
    ENV_RESULTS_DSN,
    Peer,
    RunContext,
    chunked,
    create_database,
    drop_database,
    env,
)
from procrastinate.jobs import Job
from psycopg_pool import AsyncConnectionPool
from workload import INSERT_PG, PostgresResults, ResultsStore, Task

CONCURRENCY = 10
QUEUE = "bench"
ENQUEUE_CHUNK = 1000

app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=env(ENV_DSN)))


class _LazyPool:
    """The worker's results pool, opened on first use inside the worker's event loop."""

    def __init__(self) -> None:
        self._pool: AsyncConnectionPool | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> AsyncConnectionPool:
        async with self._lock:
            if self._pool is None:
                pool = AsyncConnectionPool(
                    env(ENV_RESULTS_DSN), min_size=1, max_size=CONCURRENCY, open=False
                )
                await pool.open()
                self._pool = pool
        return self._pool


_results = _LazyPool()


@app.task(name="fire", queue=QUEUE)
async def fire(task_id: int, due_at: float) -> None:
    """The delayed task: commit its results row."""
    fired_at = time.time()
    pool = await _results.get()
    async with pool.connection() as conn:
        await conn.execute(INSERT_PG, (task_id, due_at, fired_at))


class ProcrastinatePeer(Peer):
    """Producer: jobs with their own `scheduled_at`, inserted in batches; worker: its CLI."""

    system = "procrastinate"
    distribution = "procrastinate"

    def __init__(self, ctx: RunContext) -> None:
        super().__init__(ctx)
        self._producer: asyncio.Runner | None = None

    def settings(self) -> str:
        return (
            f"procrastinate worker --concurrency {CONCURRENCY} (psycopg connector, "
            "listen/notify on, default 5 s fetch polling); jobs deferred with schedule_at "
            f"by JobManager.batch_defer_jobs_async in batches of {ENQUEUE_CHUNK}, then ANALYZE; "
            "results committed one row per job through a psycopg pool to PostgreSQL"
        )

    def prepare(self) -> ResultsStore:
        create_database(self.ctx)
        asyncio.run(_apply_schema())
        store = PostgresResults(env(ENV_RESULTS_DSN))
        store.create()
        return store

    def worker_argv(self) -> list[str]:
        return [
            self.ctx.python,
            "-m",
            "procrastinate",
            f"--app={__name__}.app",
            "--log-level=warning",
            "worker",
            f"--concurrency={CONCURRENCY}",
            f"--queues={QUEUE}",
        ]

    def enqueue(self, tasks: Sequence[Task]) -> None:
        if self._producer is None:
            self._producer = asyncio.Runner()
            self._producer.run(_open())
        self._producer.run(_defer(tasks))

    def after_enqueue(self) -> None:
        """Refresh planner statistics, as autovacuum keeps them in steady state."""
        assert self._producer is not None
        self._producer.run(app.connector.execute_query_async("ANALYZE"))

    def close_producer(self) -> None:
        if self._producer is not None:
            self._producer.run(app.close_async())
            self._producer.close()
            self._producer = None

    def cleanup(self) -> None:
        drop_database(self.ctx)


async def _open() -> None:
    await app.open_async()


async def _apply_schema() -> None:
    async with app.open_async():
        await app.schema_manager.apply_schema_async()


def _job(task: Task) -> Job:
    deferrer = fire.configure(schedule_at=datetime.fromtimestamp(task.due_at, tz=UTC))
    return deferrer.make_new_job(task_id=task.task_id, due_at=task.due_at)


async def _defer(tasks: Sequence[Task]) -> None:
    for chunk in chunked(tasks, ENQUEUE_CHUNK):
        await app.job_manager.batch_defer_jobs_async([_job(t) for t in chunk])


PEER_CLASS = ProcrastinatePeer
