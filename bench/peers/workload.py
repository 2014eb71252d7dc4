"""The delayed-tasks workload shared by every peer runner: the schedule, the results table and the statistics.

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

RESULTS_TABLE = "bench_results"

#: A task fired this late (or later) at the 99th percentile did not keep up.
KEPT_UP_P99_S = 1.0
#: Lateness may not grow faster than this fraction of the elapsed due window.
KEPT_UP_MAX_DRIFT = 0.05
#: SQLite results files are written in WAL mode with this `synchronous` level, as in PEERS.md.
SQLITE_SYNCHRONOUS = "NORMAL"


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
    """Where the harness reads what fired; each peer writes to one of these from its worker."""

    description: str

    def create(self) -> None:
        """Create the empty results table."""
        raise NotImplementedError

    def count_distinct(self, warmup: bool) -> int:
        """Distinct task ids that fired so far, among warm-up (id < 0) or main (id >= 0) tasks."""
        raise NotImplementedError

    def rows(self) -> list[Row]:
        """All rows of main tasks."""
        raise NotImplementedError


class SqliteResults(ResultsStore):
    """Results in a SQLite file (WAL, synchronous=NORMAL), for the SQLite-based peers."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.description = f"SQLite file (WAL, synchronous={SQLITE_SYNCHRONOUS})"

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={SQLITE_SYNCHRONOUS}")
        return conn

    def create(self) -> None:
        with self._connect() as conn:
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {RESULTS_TABLE} "
                "(task_id INTEGER NOT NULL, due_at REAL NOT NULL, fired_at REAL NOT NULL)"
            )
        conn.close()

    def count_distinct(self, warmup: bool) -> int:
        cond = "task_id < 0" if warmup else "task_id >= 0"
        conn = self._connect()
        try:
            (n,) = conn.execute(
                f"SELECT count(DISTINCT task_id) FROM {RESULTS_TABLE} WHERE {cond}"
            ).fetchone()
        finally:
            conn.close()
        return int(n)

    def rows(self) -> list[Row]:
        conn = self._connect()
        try:
            cur = conn.execute(
                f"SELECT task_id, due_at, fired_at FROM {RESULTS_TABLE} WHERE task_id >= 0"
            )
            return [Row(int(a), float(b), float(c)) for a, b, c in cur]
        finally:
            conn.close()


class SqliteRowWriter:
    """Thread-safe writer used inside SQLite-based workers: one connection per thread, one commit per row."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={SQLITE_SYNCHRONOUS}")
            self._local.conn = conn
        return conn

    def record(self, task_id: int, due_at: float) -> None:
        """Commit the row for a task firing now."""
        fired_at = time.time()
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(f"INSERT INTO {RESULTS_TABLE} VALUES (?, ?, ?)", (task_id, due_at, fired_at))
        conn.execute("COMMIT")

    def record_batch(self, tasks: Iterable[Task]) -> None:
        """Commit rows for several tasks firing now, in one transaction."""
        fired_at = time.time()
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            f"INSERT INTO {RESULTS_TABLE} VALUES (?, ?, ?)",
            ((t.task_id, t.due_at, fired_at) for t in tasks),
        )
        conn.execute("COMMIT")


class PostgresResults(ResultsStore):
    """Results in a PostgreSQL table (default synchronous_commit), for the PostgreSQL-based peers and Celery."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.description = "PostgreSQL table"

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
        return int(rows[0][0])  # type: ignore[call-overload]

    def rows(self) -> list[Row]:
        out = self._query(
            f"SELECT task_id, due_at, fired_at FROM {RESULTS_TABLE} WHERE task_id >= 0"
        )
        return [Row(int(a), float(b), float(c)) for a, b, c in out]  # type: ignore[call-overload,arg-type]


INSERT_PG = f"INSERT INTO {RESULTS_TABLE} (task_id, due_at, fired_at) VALUES (%s, %s, %s)"
INSERT_PG_NUMBERED = f"INSERT INTO {RESULTS_TABLE} (task_id, due_at, fired_at) VALUES ($1, $2, $3)"


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
    """What one run measured, in the fields the lead's JSON expects (plus a few diagnostics)."""

    scheduled: int
    fired: int
    duplicates: int
    fired_per_s: float | None
    lateness_p50_s: float | None
    lateness_p99_s: float | None
    lateness_max_s: float | None
    lateness_lower_bound: bool
    lateness_drift: float | None
    kept_up: bool


def compute_stats(plan: Plan, rows: Sequence[Row], observed_until: float) -> Stats:
    """Reduce the results rows of one run to its statistics.

    Lateness is taken from each task's first row. Tasks that never fired count as late
    by (observed_until - due_at), so when some are missing the percentiles are lower
    bounds rather than numbers flattered by leaving the slowest tasks out.
    `lateness_drift` is the slope of lateness over due time between the first and last
    tenth of the window: about 0 when a system keeps up, about (rate / capacity - 1) when
    its backlog grows.
    """
    scheduled = plan.count
    first_fire: dict[int, float] = {}
    duplicates = 0
    for row in rows:
        if not 0 <= row.task_id < scheduled:
            continue
        prev = first_fire.get(row.task_id)
        if prev is None:
            first_fire[row.task_id] = row.fired_at
        else:
            duplicates += 1
            first_fire[row.task_id] = min(prev, row.fired_at)
    fired = len(first_fire)
    tasks = plan.tasks()
    lateness_by_task = [
        (first_fire[t.task_id] if t.task_id in first_fire else observed_until) - t.due_at
        for t in tasks
    ]
    lateness = sorted(lateness_by_task)
    fired_per_s: float | None = None
    if fired:
        span = max(first_fire.values()) - tasks[0].due_at
        fired_per_s = fired / span if span > 0 else None

    drift: float | None = None
    tenth = max(1, scheduled // 10)
    if scheduled >= 20:
        head = sorted(lateness_by_task[:tenth])
        tail = sorted(lateness_by_task[-tenth:])
        dt = tasks[scheduled - tenth + tenth // 2].due_at - tasks[tenth // 2].due_at
        if dt > 0:
            drift = (percentile(tail, 0.5) - percentile(head, 0.5)) / dt

    p99 = percentile(lateness, 0.99)
    kept_up = (
        fired == scheduled
        and p99 <= KEPT_UP_P99_S
        and (drift is None or drift <= KEPT_UP_MAX_DRIFT)
    )
    return Stats(
        scheduled=scheduled,
        fired=fired,
        duplicates=duplicates,
        fired_per_s=fired_per_s,
        lateness_p50_s=percentile(lateness, 0.5),
        lateness_p99_s=p99,
        lateness_max_s=lateness[-1],
        lateness_lower_bound=fired < scheduled,
        lateness_drift=drift,
        kept_up=kept_up,
    )
