"""Peer: huey with SqliteHuey storage, delayed tasks sent with `schedule(eta=...)`.

The worker is huey's own consumer, `huey_consumer -w 8 -k thread`, with its default
1 s scheduler interval and polling back-off. The task commits its results row to a
separate SQLite file, one commit per task.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from huey import SqliteHuey
from peer_api import ENV_RESULTS_SQLITE, ENV_WORKDIR, Peer, env
from workload import SQLITE_SYNCHRONOUS, ResultsStore, SqliteResults, SqliteRowWriter, Task

WORKERS = 8
HUEY_FILE = "huey.db"

huey = SqliteHuey("bench_peers", filename=str(Path(env(ENV_WORKDIR)) / HUEY_FILE))
_writer = SqliteRowWriter(env(ENV_RESULTS_SQLITE))


@huey.task(name="fire")  # type: ignore[untyped-decorator]
def fire(task_id: int, due_at: float) -> None:
    """The delayed task: commit its results row."""
    _writer.record(task_id, due_at)


class HueyPeer(Peer):
    """Producer: one `fire.schedule(eta=due)` per task; worker: `huey_consumer -w 8 -k thread`."""

    system = "huey"
    distribution = "huey"

    def settings(self) -> str:
        return (
            f"huey_consumer -w {WORKERS} -k thread --quiet (SqliteHuey defaults: WAL, 1 s "
            "scheduler interval, 0.1-10 s polling back-off); one schedule(eta=due_at) per task; "
            "results committed one row per task to a separate SQLite file "
            f"(WAL, synchronous={SQLITE_SYNCHRONOUS})"
        )

    def prepare(self) -> ResultsStore:
        store = SqliteResults(env(ENV_RESULTS_SQLITE))
        store.create()
        return store

    def worker_argv(self) -> list[str]:
        consumer = str(Path(self.ctx.python).parent / "huey_consumer")
        return [
            self.ctx.python, consumer, f"{__name__}.huey",
            "-w", str(WORKERS), "-k", "thread", "--quiet",
        ]  # fmt: skip

    def enqueue(self, tasks: Sequence[Task]) -> None:
        for t in tasks:
            fire.schedule(args=(t.task_id, t.due_at), eta=datetime.fromtimestamp(t.due_at, tz=UTC))


PEER_CLASS = HueyPeer
