"""Small SQL helpers that differ between SQLite and PostgreSQL, kept in one place."""

from __future__ import annotations

import hashlib
from enum import IntEnum
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Insert, Table, text
from sqlalchemy.dialects import postgresql, sqlite

from dispatchd.store.bulk import insert_rows


def insert_ignoring_conflict(conn: Connection, table: Table, values: dict[str, Any]) -> bool:
    """Insert a row unless a unique key already holds it; True when the row was inserted.

    This is how "exactly once" is enforced by the database itself (a penalty per offer step,
    a deadline per subject), whatever the code above it believes. Whether it inserted is read
    from the row it returns, not from the row count, which the PostgreSQL driver reports as -1.
    """
    inserted = conn.execute(_insert_ignoring_returning(conn.dialect.name, table), values)
    return inserted.first() is not None


def upsert(
    conn: Connection, table: Table, values: dict[str, Any], keys: list[str], update: list[str]
) -> None:
    """Insert a row or, if its unique ``keys`` exist, overwrite the ``update`` columns."""
    conn.execute(_upsert(conn.dialect.name, table, tuple(keys), tuple(update)), values)


class AdvisoryLock(IntEnum):
    """Namespaces of PostgreSQL advisory locks, so unrelated locks never collide."""

    SCHEMA = 1
    #: Taken by event publication rounds only (``store/event_publication.py``).
    EVENT_APPEND = 2
    IDEMPOTENCY_KEY = 3
    INSTALLER_WORKLOAD = 4


def advisory_xact_lock(conn: Connection, lock: AdvisoryLock, key: str = "") -> None:
    """Hold a PostgreSQL advisory lock until this transaction ends (no-op on SQLite).

    SQLite needs none: its writers are already serialised by ``BEGIN IMMEDIATE``.
    """
    if conn.dialect.name != "postgresql":
        return
    digest = hashlib.blake2b(key.encode(), digest_size=4).digest()
    conn.execute(
        text("SELECT pg_advisory_xact_lock(:space, :key)"),
        {"space": int(lock), "key": int.from_bytes(digest, "big", signed=True)},
    )


def upsert_many(
    conn: Connection,
    table: Table,
    rows: list[dict[str, Any]],
    keys: list[str],
    update: list[str],
) -> None:
    """:func:`upsert` for many rows in one executemany statement."""
    if rows:
        conn.execute(_upsert(conn.dialect.name, table, tuple(keys), tuple(update)), rows)


def insert_many_ignoring_conflicts(
    conn: Connection, table: Table, rows: list[dict[str, Any]]
) -> None:
    """:func:`insert_ignoring_conflict` for many rows: one statement for the batch.

    The rows go in through :func:`~dispatchd.store.bulk.insert_rows`, as the engine's other
    batch writes do, rather than SQLAlchemy's executemany (one statement per row on
    PostgreSQL).
    """
    insert_rows(conn, table, rows, ignore_conflicts=True)


# The statements are built once per shape and reused: SQLAlchemy then skips rebuilding and
# re-keying them on every call, which was a large share of a small transaction's time.


@lru_cache(maxsize=64)
def _insert_ignoring(dialect: str, table: Table) -> Insert:
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


@lru_cache(maxsize=64)
def _insert_ignoring_returning(dialect: str, table: Table) -> Insert:
    """The insert that skips a conflict and returns the key of a row it did insert.

    The returned row, not ``rowcount``, says whether it inserted: psycopg in pipeline mode
    reports ``rowcount`` as -1.
    """
    return _insert_ignoring(dialect, table).returning(*table.primary_key.columns)


@lru_cache(maxsize=64)
def _upsert(dialect: str, table: Table, keys: tuple[str, ...], update: tuple[str, ...]) -> Insert:
    if dialect == "postgresql":
        pg = postgresql.insert(table)
        return pg.on_conflict_do_update(
            index_elements=list(keys), set_={name: pg.excluded[name] for name in update}
        )
    lite = sqlite.insert(table)
    return lite.on_conflict_do_update(
        index_elements=list(keys), set_={name: lite.excluded[name] for name in update}
    )
