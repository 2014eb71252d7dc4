"""Baseline: a bare timer loop (heap + sleep), one SQLite commit per batch of tasks due together.

It has no queue, no retries and no durability of the pending tasks; it shows what the
timer and the durable result write alone allow on this machine, i.e. the ceiling the
real systems are measured against.
"""

from __future__ import annotations

import heapq
import signal
import time
from collections.abc import Sequence
from pathlib import Path

from peer_api import ENV_RESULTS_SQLITE, ENV_WORKDIR, Peer, env
from workload import SQLITE_SYNCHRONOUS, ResultsStore, SqliteResults, SqliteRowWriter, Task

TASKS_FILE = "bare_tasks.txt"


class BareSqlitePeer(Peer):
    """The producer writes the task list to a file; the worker heapifies it when it starts."""

    system = "bare_sqlite"
    worker_first = False

    def settings(self) -> str:
        return (
            "one process: heapq of (due_at, task_id) + time.sleep until the earliest; "
            "all tasks due by now are written in one SQLite transaction "
            f"(WAL, synchronous={SQLITE_SYNCHRONOUS})"
        )

    def prepare(self) -> ResultsStore:
        store = SqliteResults(env(ENV_RESULTS_SQLITE))
        store.create()
        (self.ctx.workdir / TASKS_FILE).write_text("")
        return store

    def worker_argv(self) -> list[str]:
        return [self.ctx.python, str(Path(__file__).resolve())]

    def enqueue(self, tasks: Sequence[Task]) -> None:
        with open(self.ctx.workdir / TASKS_FILE, "a") as f:
            f.writelines(f"{t.task_id} {t.due_at!r}\n" for t in tasks)


def serve(tasks_path: Path, results_path: str) -> None:
    """Fire every task of `tasks_path` when due, batching those due together into one commit."""
    heap: list[tuple[float, int]] = []
    with open(tasks_path) as f:
        for line in f:
            task_id, due_at = line.split()
            heap.append((float(due_at), int(task_id)))
    heapq.heapify(heap)
    writer = SqliteRowWriter(results_path)
    while heap:
        now = time.time()
        if heap[0][0] > now:
            time.sleep(heap[0][0] - now)
            continue
        batch: list[Task] = []
        while heap and heap[0][0] <= now:
            due, tid = heapq.heappop(heap)
            batch.append(Task(tid, due))
        writer.record_batch(batch)


def main() -> None:
    """Worker entry point: run the loop, then idle until the harness stops us."""
    serve(Path(env(ENV_WORKDIR)) / TASKS_FILE, env(ENV_RESULTS_SQLITE))
    while True:
        signal.pause()


PEER_CLASS = BareSqlitePeer

if __name__ == "__main__":
    main()
