"""Small SQL helpers that differ between SQLite and PostgreSQL, kept in one place."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Insert, Table
from sqlalchemy.dialects import postgresql, sqlite


def insert_ignoring_conflict(conn: Connection, table: Table, values: dict[str, Any]) -> bool:
    """Insert a row unless a unique key already holds it; True when the row was inserted.

    This is how "exactly once" is enforced by the database itself (a penalty per offer step,
    a deadline per subject), whatever the code above it believes.
    """
    statement: Insert
    if conn.dialect.name == "postgresql":
        statement = postgresql.insert(table).values(values).on_conflict_do_nothing()
    else:
        statement = sqlite.insert(table).values(values).on_conflict_do_nothing()
    return conn.execute(statement).rowcount == 1


def upsert(
    conn: Connection, table: Table, values: dict[str, Any], keys: list[str], update: list[str]
) -> None:
    """Insert a row or, if its unique ``keys`` exist, overwrite the ``update`` columns."""
    if conn.dialect.name == "postgresql":
        pg = postgresql.insert(table).values(values)
        conn.execute(
            pg.on_conflict_do_update(
                index_elements=keys, set_={name: pg.excluded[name] for name in update}
            )
        )
    else:
        lite = sqlite.insert(table).values(values)
        conn.execute(
            lite.on_conflict_do_update(
                index_elements=keys, set_={name: lite.excluded[name] for name in update}
            )
        )
