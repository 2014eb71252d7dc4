"""Peer: pgqueuer (PostgreSQL, LISTEN/NOTIFY + SKIP LOCKED), delayed tasks via `execute_after`.

The worker runs `pgqueuer.run(factory, batch_size=10)` on uvloop, which is exactly what
`pgq run` does: the 1.6.0 CLI's `run` command crashes in its logging setup with the
typer release it resolves to. Each job commits its results row through an asyncpg pool
passed as a shared resource, in the same database as the queue.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import asyncpg
import pgqueuer
import uvloop
from peer_api import (
    ENV_DSN,
    ENV_RESULTS_DSN,
    Peer,
    RunContext,
    chunked,
    create_database,
    drop_database,
    env,
    pg_uri,
)
from pgqueuer import PgQueuer
from pgqueuer.db import AsyncpgDriver
from pgqueuer.models import Job
from pgqueuer.queries import Queries
from workload import INSERT_PG_NUMBERED, PostgresResults, ResultsStore, Task

ENTRYPOINT = "fire"
BATCH_SIZE = 10
ENQUEUE_CHUNK = 1000


class PgqueuerPeer(Peer):
    """Producer: batched `Queries.enqueue` with per-task `execute_after`; worker: `pgq run`."""

    system = "pgqueuer"
    distribution = "pgqueuer"

    def __init__(self, ctx: RunContext) -> None:
        super().__init__(ctx)
        self._producer: asyncio.Runner | None = None
        self._conn: asyncpg.Connection | None = None

    def settings(self) -> str:
        return (
            f"pgqueuer.run(batch_size={BATCH_SIZE}), i.e. `pgq run` defaults (asyncpg driver, "
            f"uvloop, one worker process); enqueue in batches of {ENQUEUE_CHUNK} with "
            "execute_after = due_at - now, then ANALYZE; results committed one row per job "
            "through an asyncpg pool to PostgreSQL"
        )

    def prepare(self) -> ResultsStore:
        dsn = create_database(self.ctx)
        cli = [self.ctx.python, "-m", "pgqueuer", "--pg-dsn", pg_uri(dsn), "install"]
        proc = subprocess.run(cli, check=False, capture_output=True, text=True, timeout=60)
        if proc.returncode != 0:
            raise RuntimeError(f"pgq install failed: {proc.stderr[-1000:]}")
        store = PostgresResults(env(ENV_RESULTS_DSN))
        store.create()
        return store

    def worker_argv(self) -> list[str]:
        return [self.ctx.python, str(Path(__file__).resolve())]

    def enqueue(self, tasks: Sequence[Task]) -> None:
        if self._producer is None:
            self._producer = asyncio.Runner()
            self._conn = self._producer.run(asyncpg.connect(pg_uri(env(ENV_DSN))))
        assert self._conn is not None
        self._producer.run(_enqueue(Queries(AsyncpgDriver(self._conn)), tasks))

    def after_enqueue(self) -> None:
        """Refresh planner statistics, as autovacuum keeps them in steady state.

        Right after tens of thousands of rows land in a just-created queue table the
        dequeue query is planned for an empty table, and runs ~40% slower.
        """
        assert self._producer is not None
        assert self._conn is not None
        self._producer.run(self._conn.execute("ANALYZE"))

    def close_producer(self) -> None:
        if self._producer is None:
            return
        if self._conn is not None:
            self._producer.run(self._conn.close())
        self._producer.close()
        self._producer = None
        self._conn = None

    def cleanup(self) -> None:
        drop_database(self.ctx)


async def _enqueue(queries: Queries, tasks: Sequence[Task]) -> None:
    for chunk in chunked(tasks, ENQUEUE_CHUNK):
        now = time.time()
        await queries.enqueue(
            [ENTRYPOINT] * len(chunk),
            [f"{t.task_id} {t.due_at!r}".encode() for t in chunk],
            [0] * len(chunk),
            [timedelta(seconds=max(0.0, t.due_at - now)) for t in chunk],
        )


@asynccontextmanager
async def create_pgqueuer() -> AsyncIterator[PgQueuer]:
    """Worker factory: the queue on one asyncpg connection, results written through a pool."""
    conn = await asyncpg.connect(pg_uri(env(ENV_DSN)))
    results = await asyncpg.create_pool(
        pg_uri(env(ENV_RESULTS_DSN)), min_size=2, max_size=BATCH_SIZE
    )
    pgq = PgQueuer.from_asyncpg_connection(conn, resources={"results": results})

    @pgq.entrypoint(ENTRYPOINT)
    async def fire(job: Job) -> None:
        fired_at = time.time()
        assert job.payload is not None
        task_id, due_at = job.payload.split()
        await results.execute(INSERT_PG_NUMBERED, int(task_id), float(due_at), fired_at)

    try:
        yield pgq
    finally:
        await results.close()
        await conn.close()


def main() -> None:
    """Worker entry point, equivalent to `pgq run peer_pgqueuer:create_pgqueuer`."""
    uvloop.run(pgqueuer.run(create_pgqueuer, batch_size=BATCH_SIZE))


PEER_CLASS = PgqueuerPeer

if __name__ == "__main__":
    main()
