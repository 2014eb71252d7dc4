"""The delayed-tasks workload shared by all peer runners: schedule, results table, statistics.

Keeping these in one place is what makes the peers comparable: every system gets the
same task ids and due times, writes the same (task_id, due_at, fired_at) row when a
task fires, and is judged by the same arithmetic.
"""

from __future__ import annotations

import math
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import cast

RESULTS_TABLE = "bench_results"

#: A run whose 99th-percentile lateness exceeds this did not keep up.
KEPT_UP_P99_S = 1.0
#: Nor did one whose lateness grew faster than this many seconds per second of window.
KEPT_UP_MAX_DRIFT = 0.05
#: SQLite results files use WAL with this `synchronous` level (PEERS.md's bare-loop figures
#: imply it: with FULL, one commit per row could not reach 62k/s).
SQLITE_SYNCHRONOUS = "NORMAL"

INSERT_PG = f"INSERT INTO {RESULTS_TABLE} (task_id, due_at, fired_at) VALUES (%s, %s, %s)"
INSERT_PG_NUMBERED = f"INSERT INTO {RESULTS_TABLE} (task_id, due_at, fired_at) VALUES ($1, $2, $3)"


@dataclass(frozen=True)
class Task:
    """One delayed task: an id (negative for warm-up tasks) and its due time in epoch seconds."""

    task_id: int
    due_at: float


@dataclass(frozen=True)
class Plan:
    """N tasks due evenly over `duration` seconds from `t0`: task i is due at t0 + i / rate."""

    rate: float
    duration: float
    t0: float

    @property
    def count(self) -> int:
        """How many tasks the plan schedules (at least one)."""
        return max(1, round(self.rate * self.duration))

    def tasks(self) -> list[Task]:
        """The tasks in due order."""
        return [Task(i, self.t0 + i / self.rate) for i in range(self.count)]


def warmup_tasks(count: int, due_at: float) -> list[Task]:
    """Warm-up tasks (ids -1 .. -count) that prove the worker runs and time the producer."""
    return [Task(-(i + 1), due_at) for i in range(count)]


@dataclass(frozen=True)
class Row:
    """One results row as written by a firing task."""

    task_id: int
    due_at: float
    fired_at: float


# ---------------------------------------------------------------------------------------
# Results stores
# ---------------------------------------------------------------------------------------


class ResultsStore:
    """Where the harness reads what fired; each peer's worker writes to one of these."""

    description: str

    def create(self) -> None:
        """Create the empty results table."""
        raise NotImplementedError

    def count_distinct(self, warmup: bool) -> int:
        """Distinct task ids fired so far among warm-up (id < 0) or main (id >= 0) tasks."""
        raise NotImplementedError

    def rows(self) -> list[Row]:
        """All rows of main tasks."""
        raise NotImplementedError


def _sqlite_connect(path: str, timeout_s: float) -> sqlite3.Connection:
    """An autocommit-mode connection in WAL with the results' synchronous level."""
    conn = sqlite3.connect(path, timeout=timeout_s, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={SQLITE_SYNCHRONOUS}")
    return conn


class SqliteResults(ResultsStore):
    """Results in a SQLite file, for the SQLite-based peers."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.description = f"SQLite file (WAL, synchronous={SQLITE_SYNCHRONOUS})"

    def _query(self, sql: str) -> list[tuple[object, ...]]:
        conn = _sqlite_connect(self.path, timeout_s=30)
        try:
            return list(conn.execute(sql))
        finally:
            conn.close()

    def create(self) -> None:
        self._query(
            f"CREATE TABLE IF NOT EXISTS {RESULTS_TABLE} "
            "(task_id INTEGER NOT NULL, due_at REAL NOT NULL, fired_at REAL NOT NULL)"
        )

    def count_distinct(self, warmup: bool) -> int:
        cond = "task_id < 0" if warmup else "task_id >= 0"
        rows = self._query(f"SELECT count(DISTINCT task_id) FROM {RESULTS_TABLE} WHERE {cond}")
        return cast(int, rows[0][0])

    def rows(self) -> list[Row]:
        out = self._query(
            f"SELECT task_id, due_at, fired_at FROM {RESULTS_TABLE} WHERE task_id >= 0"
        )
        return [Row(*cast(tuple[int, float, float], r)) for r in out]


class SqliteRowWriter:
    """Used inside SQLite-based workers: one connection per thread, one commit per call."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = _sqlite_connect(self.path, timeout_s=60)
            self._local.conn = conn
        return conn

    def record(self, task_id: int, due_at: float) -> None:
        """Commit the row of a task firing now."""
        self.record_batch([Task(task_id, due_at)])

    def record_batch(self, tasks: Iterable[Task]) -> None:
        """Commit the rows of tasks firing now, in one transaction."""
        fired_at = time.time()
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            f"INSERT INTO {RESULTS_TABLE} VALUES (?, ?, ?)",
            ((t.task_id, t.due_at, fired_at) for t in tasks),
        )
        conn.execute("COMMIT")


class PostgresResults(ResultsStore):
    """Results in a PostgreSQL table, for the PostgreSQL-based peers and Celery."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.description = "PostgreSQL table (synchronous_commit as configured, default on)"

    def _query(self, sql: str) -> list[tuple[object, ...]]:
        import psycopg

        with psycopg.connect(self.dsn, autocommit=True) as conn:
            cur = conn.execute(sql)
            return list(cur.fetchall()) if cur.description else []

    def create(self) -> None:
        self._query(
            f"CREATE TABLE IF NOT EXISTS {RESULTS_TABLE} (task_id BIGINT NOT NULL, "
            "due_at DOUBLE PRECISION NOT NULL, fired_at DOUBLE PRECISION NOT NULL)"
        )

    def count_distinct(self, warmup: bool) -> int:
        cond = "task_id < 0" if warmup else "task_id >= 0"
        rows = self._query(f"SELECT count(DISTINCT task_id) FROM {RESULTS_TABLE} WHERE {cond}")
        return cast(int, rows[0][0])

    def rows(self) -> list[Row]:
        out = self._query(
            f"SELECT task_id, due_at, fired_at FROM {RESULTS_TABLE} WHERE task_id >= 0"
        )
        return [Row(*cast(tuple[int, float, float], r)) for r in out]


# ---------------------------------------------------------------------------------------
# Statistics
# ---------------------------------------------------------------------------------------


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in [0, 1]) of an ascending sequence."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


@dataclass(frozen=True)
class Stats:
    """What one run measured, in the fields of the result JSON."""

    scheduled: int
    fired: int
    duplicates: int
    fired_per_s: float | None
    lateness_p50_s: float
    lateness_p99_s: float
    lateness_max_s: float
    lateness_lower_bound: bool
    lateness_drift: float | None
    kept_up: bool


def first_fires(plan: Plan, rows: Iterable[Row]) -> tuple[dict[int, float], int]:
    """Each main task's earliest fired_at, and how many rows repeat a task already seen."""
    first: dict[int, float] = {}
    duplicates = 0
    for row in rows:
        if not 0 <= row.task_id < plan.count:
            continue
        prev = first.get(row.task_id)
        if prev is None:
            first[row.task_id] = row.fired_at
        else:
            duplicates += 1
            first[row.task_id] = min(prev, row.fired_at)
    return first, duplicates


def lateness_drift(tasks: Sequence[Task], lateness: Sequence[float]) -> float | None:
    """Growth of median lateness from the window's first tenth to its last, per second.

    About 0 when a system keeps up; about (rate / capacity - 1) when its backlog grows.
    """
    n = len(tasks)
    tenth = n // 10
    if tenth < 2:
        return None
    head = sorted(lateness[:tenth])
    tail = sorted(lateness[-tenth:])
    span = tasks[n - tenth + tenth // 2].due_at - tasks[tenth // 2].due_at
    if span <= 0:
        return None
    return (percentile(tail, 0.5) - percentile(head, 0.5)) / span


def compute_stats(plan: Plan, rows: Iterable[Row], observed_until: float) -> Stats:
    """Reduce the results rows of one run to its statistics.

    Lateness comes from each task's first row. A task that never fired counts as late
    by (observed_until - due_at), so with tasks missing the percentiles are lower bounds
    instead of numbers flattered by leaving out the slowest tasks.
    """
    first, duplicates = first_fires(plan, rows)
    tasks = plan.tasks()
    lateness_by_task = [first.get(t.task_id, observed_until) - t.due_at for t in tasks]
    lateness = sorted(lateness_by_task)
    fired_per_s: float | None = None
    if first:
        span = max(first.values()) - tasks[0].due_at
        fired_per_s = len(first) / span if span > 0 else None
    drift = lateness_drift(tasks, lateness_by_task)
    p99 = percentile(lateness, 0.99)
    return Stats(
        scheduled=plan.count,
        fired=len(first),
        duplicates=duplicates,
        fired_per_s=fired_per_s,
        lateness_p50_s=percentile(lateness, 0.5),
        lateness_p99_s=p99,
        lateness_max_s=lateness[-1],
        lateness_lower_bound=len(first) < plan.count,
        lateness_drift=drift,
        kept_up=(
            len(first) == plan.count
            and p99 <= KEPT_UP_P99_S
            and (drift is None or drift <= KEPT_UP_MAX_DRIFT)
        ),
    )
