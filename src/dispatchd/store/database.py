"""Connections and transactions for both stores: embedded SQLite and shared PostgreSQL.

SQLite allows one writer at a time, so write transactions start with ``BEGIN IMMEDIATE`` (the
lock is taken up front, never upgraded mid-transaction) and are serialised in-process by a
lock, which keeps threads from spinning on ``SQLITE_BUSY``. PostgreSQL runs writers
concurrently; commands lock the rows they change, and the rare transaction PostgreSQL aborts to
break a deadlock is simply run again (:func:`retrying`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import orjson
import structlog
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

log = structlog.get_logger(__name__)

_WRITE = "dispatchd_write"
T = TypeVar("T")
MAX_ATTEMPTS = 5
#: Pooled SQLite connections kept open for reads: each holds its own page cache (2 MiB).
SQLITE_POOL_SIZE = 24
#: The page cache of the one connection SQLite writes go through, in KiB. A batch of rungs
#: touches offers, orders, events and deadlines all over their indexes; with the default
#: 2 MiB most of those pages were read again from the file for every batch.
SQLITE_WRITER_CACHE_KIB = 65_536
TRANSIENT_SQLSTATES = frozenset(
    {
        "40001",  # serialization_failure
        "40P01",  # deadlock_detected
        "55P03",  # lock_not_available
    }
)


class RetryableConflict(Exception):
    """A transaction lost a race that it wins by being run again (e.g. a duplicate key)."""


def is_transient(exc: BaseException) -> bool:
    """Whether the database aborted a transaction for a reason that a new attempt resolves.

    Only errors raised before anything was committed count: a connection lost during
    ``COMMIT`` is not transient, because the commit may have happened.
    """
    if isinstance(exc, RetryableConflict):
        return True
    sqlstate = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return isinstance(exc, DBAPIError) and sqlstate in TRANSIENT_SQLSTATES


def retrying(run: Callable[[], T], attempts: int = MAX_ATTEMPTS) -> T:
    """Run a whole transaction, and again when it was aborted for a transient reason."""
    attempt = 1
    while True:
        try:
            return run()
        except Exception as exc:
            if attempt >= attempts or not is_transient(exc):
                raise
            log.info("transaction aborted; running it again", attempt=attempt, error=str(exc))
            attempt += 1


def sqlite_url(data_dir: Path) -> str:
    """The embedded database's URL inside the data directory."""
    return f"sqlite:///{data_dir / 'dispatchd.sqlite3'}"


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` as users write it and pick the psycopg 3 driver for it."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Database:
    """One engine plus the rules for opening read and write transactions on it."""

    def __init__(self, url: str, pool_size: int = 8) -> None:
        self.url = normalise_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        self.engine = self._create_engine(pool_size)
        self._writer = self._create_sqlite_writer() if self._has_own_writer() else self.engine
        self._write_lock: AbstractContextManager[Any] = (
            threading.Lock() if self.is_sqlite else nullcontext()
        )

    def _create_engine(self, pool_size: int) -> Engine:
        # Loading a batch of orders decodes several JSON columns per row: orjson does it
        # several times faster than the standard module, to the same Python values.
        if not self.is_sqlite:
            return create_engine(
                self.url,
                pool_size=pool_size,
                max_overflow=pool_size,
                pool_pre_ping=True,
                json_deserializer=orjson.loads,
            )
        memory = not self._has_own_writer()
        # Requests run on up to 40 worker threads; a pool smaller than their concurrency
        # would open (and set up) a fresh SQLite connection for most reads under load.
        pooling: dict[str, Any] = (
            {"poolclass": NullPool}
            if memory
            else {"pool_size": SQLITE_POOL_SIZE, "max_overflow": SQLITE_POOL_SIZE}
        )
        return self._sqlite_engine(pooling)

    def _has_own_writer(self) -> bool:
        """SQLite on a file writes through one connection of its own, kept open and warm."""
        in_memory = ":memory:" in self.url or self.url in ("sqlite://", "sqlite:///")
        return self.is_sqlite and not in_memory

    def _create_sqlite_writer(self) -> Engine:
        return self._sqlite_engine(
            {"pool_size": 1, "max_overflow": 0}, cache_kib=SQLITE_WRITER_CACHE_KIB
        )

    def _sqlite_engine(self, pooling: dict[str, Any], cache_kib: int | None = None) -> Engine:
        engine = create_engine(
            self.url,
            connect_args={"check_same_thread": False, "timeout": 30},
            json_deserializer=orjson.loads,
            **pooling,
        )
        _take_over_sqlite_transactions(engine, cache_kib)
        return engine

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction: committed when the block ends, rolled back if it raises."""
        with self._write_lock, self._writer.connect() as plain:
            conn = plain.execution_options(**{_WRITE: True})
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only snapshot: everything read in the block is mutually consistent."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    def now(self) -> datetime:
        """The database server's clock (PostgreSQL), read fresh, as an aware UTC datetime."""
        with self.engine.connect() as conn:
            moment = conn.execute(text("SELECT clock_timestamp()")).scalar_one()
        assert isinstance(moment, datetime)
        return moment.astimezone(UTC)

    def listen_url(self) -> str:
        """A libpq connection string for a plain psycopg connection (``LISTEN`` needs one)."""
        return self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)

    def dispose(self) -> None:
        """Close every pooled connection (at shutdown, and before a forked child runs)."""
        self.engine.dispose()
        if self._writer is not self.engine:
            self._writer.dispose()


def _take_over_sqlite_transactions(engine: Engine, cache_kib: int | None = None) -> None:
    """Let SQLAlchemy, not the sqlite3 module, decide when a transaction begins.

    The stdlib driver would otherwise begin lazily at the first write, so reads in the same
    block would not share a snapshot and writers could deadlock upgrading their locks.
    ``cache_kib`` sizes each connection's page cache (SQLite's default otherwise).
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if cache_kib is not None:
            cursor.execute(f"PRAGMA cache_size=-{int(cache_kib)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(_WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
