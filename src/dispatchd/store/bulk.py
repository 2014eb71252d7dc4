"""Many rows in one statement: the engine's writes, set-based on both stores.

A batch of due steps changes hundreds of rows of the same shape at once. On SQLite one
prepared statement is run for every row by the driver itself (``executemany``), with no
per-row work in SQLAlchemy; on PostgreSQL the whole batch goes in as one array per column and
``unnest`` turns it back into rows, so the server runs one statement instead of hundreds.

Values must already be what the columns store (times as epoch microseconds, JSON as text).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sqlalchemy import Connection

Row = Sequence[Any]


@dataclass(frozen=True)
class Shape:
    """A table and the columns a bulk statement writes, with their PostgreSQL types."""

    table: str
    columns: tuple[tuple[str, str], ...]

    @property
    def names(self) -> list[str]:
        """The column names, in row order."""
        return [name for name, _ in self.columns]

    @cached_property
    def _arrays(self) -> str:
        return ", ".join(f"%s::{pg_type}[]" for _, pg_type in self.columns)


@dataclass(frozen=True)
class BulkInsert:
    """``INSERT`` of many rows; with ``ignore_conflicts``, rows whose key exists are skipped."""

    shape: Shape
    ignore_conflicts: bool = False

    @cached_property
    def sqlite(self) -> str:
        """The statement the SQLite driver runs once per row."""
        names = ", ".join(self.shape.names)
        marks = ", ".join("?" for _ in self.shape.columns)
        tail = " ON CONFLICT DO NOTHING" if self.ignore_conflicts else ""
        return f"INSERT INTO {self.shape.table} ({names}) VALUES ({marks}){tail}"  # noqa: S608

    @cached_property
    def postgresql(self) -> str:
        """One statement for the whole batch."""
        names = ", ".join(self.shape.names)
        tail = " ON CONFLICT DO NOTHING" if self.ignore_conflicts else ""
        return (
            f"INSERT INTO {self.shape.table} ({names}) "  # noqa: S608 - names are constants
            f"SELECT * FROM unnest({self.shape._arrays}){tail}"
        )

    def run(self, conn: Connection, rows: Sequence[Row]) -> None:
        """Insert the rows (nothing at all for an empty batch)."""
        _run(conn, self.sqlite, self.postgresql, rows)


@dataclass(frozen=True)
class BulkUpdate:
    """``UPDATE`` of many rows by key: each row is (key, *new values), in the shape's order.

    ``guard`` names a column (one of the shape's) that must still hold the row's value for
    the update to apply, e.g. the ladder step a deadline was claimed at.
    """

    shape: Shape
    key: tuple[str, str]
    guard: tuple[str, str] | None = None

    @cached_property
    def sqlite(self) -> str:
        """The statement the SQLite driver runs once per row: values, then key (and guard)."""
        sets = ", ".join(f"{name} = ?" for name in self.shape.names)
        where = f"{self.key[0]} = ?" + (f" AND {self.guard[0]} = ?" if self.guard else "")
        return f"UPDATE {self.shape.table} SET {sets} WHERE {where}"  # noqa: S608

    @cached_property
    def postgresql(self) -> str:
        """One statement for the whole batch: key (and guard) first, then the values."""
        columns = [self.key, *([self.guard] if self.guard else []), *self.shape.columns]
        arrays = ", ".join(f"%s::{pg_type}[]" for _, pg_type in columns)
        aliases = ["b_key", *(["b_guard"] if self.guard else [])]
        aliases += [f"b_{index}" for index in range(len(self.shape.columns))]
        sets = ", ".join(f"{name} = v.b_{index}" for index, name in enumerate(self.shape.names))
        where = f"t.{self.key[0]} = v.b_key"
        if self.guard:
            where += f" AND t.{self.guard[0]} = v.b_guard"
        return (
            f"UPDATE {self.shape.table} AS t SET {sets} "  # noqa: S608 - names are constants
            f"FROM unnest({arrays}) AS v({', '.join(aliases)}) WHERE {where}"
        )

    def run(self, conn: Connection, rows: Sequence[Row]) -> None:
        """Apply the updates; each row is ``(key, [guard,] *values)``."""
        if not rows:
            return
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(self.postgresql, _columns(rows))
            return
        width = 2 if self.guard else 1
        conn.exec_driver_sql(self.sqlite, [(*row[width:], *row[:width]) for row in rows])


@dataclass(frozen=True)
class BulkDelete:
    """``DELETE`` of many rows by key (and, optionally, a guard column's value)."""

    table: str
    key: tuple[str, str]
    guard: tuple[str, str] | None = None

    @cached_property
    def sqlite(self) -> str:
        """The statement the SQLite driver runs once per row."""
        where = f"{self.key[0]} = ?" + (f" AND {self.guard[0]} = ?" if self.guard else "")
        return f"DELETE FROM {self.table} WHERE {where}"  # noqa: S608

    @cached_property
    def postgresql(self) -> str:
        """One statement for the whole batch."""
        columns = [self.key, *([self.guard] if self.guard else [])]
        arrays = ", ".join(f"%s::{pg_type}[]" for _, pg_type in columns)
        aliases = ", ".join(f"b_{name}" for name, _ in columns)
        where = " AND ".join(f"t.{name} = v.b_{name}" for name, _ in columns)
        using = f"unnest({arrays}) AS v({aliases})"
        return f"DELETE FROM {self.table} AS t USING {using} WHERE {where}"  # noqa: S608

    def run(self, conn: Connection, rows: Sequence[Row]) -> None:
        """Delete the rows named by ``(key[, guard])``."""
        _run(conn, self.sqlite, self.postgresql, rows)


def _run(conn: Connection, sqlite: str, postgresql: str, rows: Sequence[Row]) -> None:
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(postgresql, _columns(rows))
    else:
        conn.exec_driver_sql(sqlite, [tuple(row) for row in rows])


def _columns(rows: Sequence[Row]) -> tuple[list[Any], ...]:
    """The rows turned into one list per column, as ``unnest`` takes them."""
    return tuple(list(column) for column in zip(*rows, strict=True))
