"""Peer: Celery with the Redis broker, delayed tasks sent with `apply_async(eta=...)`.

The worker is Celery's own CLI, `celery worker -P prefork -c 8`. With Redis, eta tasks
are delivered to the worker at once and held in its memory until due, which is why the
worker's memory is sampled. Results go to PostgreSQL (one connection per pool process,
one commit per task): with eight writer processes, a SQLite file would measure SQLite's
single-writer lock rather than Celery.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Sequence
from datetime import UTC, datetime

import psycopg
import redis
from celery import Celery
from peer_api import (
    ENV_REDIS_PREFIX,
    ENV_REDIS_URL,
    ENV_RESULTS_DSN,
    RUN_PREFIX,
    Peer,
    create_database,
    drop_database,
    env,
    run_is_stale,
)
from workload import INSERT_PG, PostgresResults, ResultsStore, Task

CONCURRENCY = 8
QUEUE = "bench_peers"

app = Celery("bench_peers", broker=env(ENV_REDIS_URL))
app.conf.update(
    task_ignore_result=True,
    task_default_queue=QUEUE,
    broker_transport_options={"global_keyprefix": env(ENV_REDIS_PREFIX)},
    broker_connection_retry_on_startup=True,
    enable_utc=True,
)


@functools.cache
def _results(pid: int) -> psycopg.Connection:
    """The results connection of pool process `pid` (a forked child must not share its parent's)."""
    return psycopg.connect(env(ENV_RESULTS_DSN), autocommit=True)


@app.task(name="fire")  # type: ignore[untyped-decorator]
def fire(task_id: int, due_at: float) -> None:
    """The delayed task: commit its results row."""
    fired_at = time.time()
    _results(os.getpid()).execute(INSERT_PG, (task_id, due_at, fired_at))


class CeleryPeer(Peer):
    """Producer: one `apply_async(eta=due)` per task; worker: `celery worker -P prefork -c 8`."""

    system = "celery"
    distribution = "celery"

    def settings(self) -> str:
        return (
            f"celery worker -P prefork -c {CONCURRENCY} (Redis broker, default prefetch, "
            "results ignored); one apply_async(eta=due_at) per task; results committed one row "
            "per task to PostgreSQL (one autocommit connection per pool process)"
        )

    def prepare(self) -> ResultsStore:
        _clear_redis(own=False)
        create_database(self.ctx)
        store = PostgresResults(env(ENV_RESULTS_DSN))
        store.create()
        return store

    def worker_argv(self) -> list[str]:
        return [
            self.ctx.python, "-m", "celery", "-A", __name__, "worker",
            "-P", "prefork", "-c", str(CONCURRENCY), "-Q", QUEUE, "-l", "WARNING",
        ]  # fmt: skip

    def enqueue(self, tasks: Sequence[Task]) -> None:
        for t in tasks:
            eta = datetime.fromtimestamp(t.due_at, tz=UTC)
            fire.apply_async((t.task_id, t.due_at), eta=eta)

    def close_producer(self) -> None:
        app.close()

    def cleanup(self) -> None:
        _clear_redis(own=True)
        drop_database(self.ctx)


def _clear_redis(own: bool) -> None:
    """Delete broker keys: this run's (`own`) or those that dead runs left behind.

    Every key of a run carries the run's prefix, so no other user of Redis is touched.
    """
    prefix = env(ENV_REDIS_PREFIX)
    pattern = prefix if own else f"{RUN_PREFIX}celery_"
    client = redis.Redis.from_url(env(ENV_REDIS_URL))
    try:
        for key in client.scan_iter(match=f"{pattern}*", count=1000):
            run = key.decode().split(":", 1)[0]
            if own or run_is_stale(run):
                client.delete(key)
    finally:
        client.close()


PEER_CLASS = CeleryPeer
