"""Many rows in one statement: the engine's writes, set-based on both stores.

A batch of due steps changes hundreds of rows of the same shape at once. On SQLite one
prepared statement is run for every row by the driver itself (``executemany``), with no
per-row work in SQLAlchemy; on PostgreSQL the whole batch goes in as one JSON array of rows,
encoded by orjson, which ``jsonb_array_elements`` turns back into typed rows, so the server runs
one statement instead of hundreds. (One array per column for ``unnest`` did the same, but
psycopg builds array parameters in Python, value by value: a tenth of the engine's time.)

Values must already be what the columns store (times as epoch microseconds, JSON as text).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

import orjson
from sqlalchemy import Column, Connection, Table

from dispatchd.store.types import to_micros

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
    def _rows(self) -> str:
        return _rows_of_batch(self.columns, [f"c_{index}" for index in range(len(self.columns))])


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
            f"SELECT * FROM {self.shape._rows}{tail}"
        )

    def run(self, conn: Connection, rows: Sequence[Row]) -> None:
        """Insert the rows (nothing at all for an empty batch)."""
        _run(conn, self.sqlite, self.postgresql, rows)


@dataclass(frozen=True)
class BulkUpdate:
    """``UPDATE`` of many rows by key: each row is (key, *guards, *new values).

    ``guards`` name columns (they may be among the shape's) that must still hold the row's
    values for the update to apply, e.g. the kind and ladder step a deadline was claimed at.
    """

    shape: Shape
    key: tuple[str, str]
    guards: tuple[tuple[str, str], ...] = ()

    @cached_property
    def sqlite(self) -> str:
        """The statement the SQLite driver runs once per row: values, then key and guards."""
        sets = ", ".join(f"{name} = ?" for name in self.shape.names)
        where = " AND ".join(f"{name} = ?" for name, _ in (self.key, *self.guards))
        return f"UPDATE {self.shape.table} SET {sets} WHERE {where}"  # noqa: S608

    @cached_property
    def postgresql(self) -> str:
        """One statement for the whole batch: key and guards first, then the values."""
        matched = (self.key, *self.guards)
        columns = (*matched, *self.shape.columns)
        aliases = [f"m_{index}" for index in range(len(matched))]
        aliases += [f"b_{index}" for index in range(len(self.shape.columns))]
        sets = ", ".join(f"{name} = v.b_{index}" for index, name in enumerate(self.shape.names))
        where = " AND ".join(f"t.{name} = v.m_{index}" for index, (name, _) in enumerate(matched))
        return (
            f"UPDATE {self.shape.table} AS t SET {sets} "  # noqa: S608 - names are constants
            f"FROM {_rows_of_batch(columns, aliases)} WHERE {where}"
        )

    def run(self, conn: Connection, rows: Sequence[Row]) -> None:
        """Apply the updates; each row is ``(key, *guards, *values)``."""
        if not rows:
            return
        if conn.dialect.name == "postgresql":
            raw_execute(conn, self.postgresql, (_batch(rows),))
            return
        width = 1 + len(self.guards)
        raw_executemany(conn, self.sqlite, [(*row[width:], *row[:width]) for row in rows])


@dataclass(frozen=True)
class BulkDelete:
    """``DELETE`` of many rows by key (and the values some guard columns must still hold)."""

    table: str
    key: tuple[str, str]
    guards: tuple[tuple[str, str], ...] = ()

    @cached_property
    def sqlite(self) -> str:
        """The statement the SQLite driver runs once per row."""
        where = " AND ".join(f"{name} = ?" for name, _ in (self.key, *self.guards))
        return f"DELETE FROM {self.table} WHERE {where}"  # noqa: S608

    @cached_property
    def postgresql(self) -> str:
        """One statement for the whole batch."""
        columns = (self.key, *self.guards)
        aliases = [f"m_{index}" for index in range(len(columns))]
        where = " AND ".join(f"t.{name} = v.m_{index}" for index, (name, _) in enumerate(columns))
        using = _rows_of_batch(columns, aliases)
        return f"DELETE FROM {self.table} AS t USING {using} WHERE {where}"  # noqa: S608

    def run(self, conn: Connection, rows: Sequence[Row]) -> None:
        """Delete the rows named by ``(key, *guards)``."""
        _run(conn, self.sqlite, self.postgresql, rows)


def _run(conn: Connection, sqlite: str, postgresql: str, rows: Sequence[Row]) -> None:
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        raw_execute(conn, postgresql, (_batch(rows),))
    else:
        raw_executemany(conn, sqlite, rows)


def raw_execute(conn: Connection, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Run one statement on the transaction's own driver connection; returns its rows.

    The engine's statements are fixed strings with plain values: going straight to the
    driver skips SQLAlchemy's per-statement bookkeeping, which costs more than the statement.
    """
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql, params)
        return list(cursor.fetchall()) if cursor.description else []
    finally:
        cursor.close()


def raw_executemany(conn: Connection, sql: str, rows: Sequence[Row]) -> None:
    """Run one statement for every row, in the driver (SQLite's ``executemany``)."""
    cursor = conn.connection.cursor()
    try:
        cursor.executemany(sql, rows)
    finally:
        cursor.close()


def _rows_of_batch(columns: Sequence[tuple[str, str]], aliases: Sequence[str]) -> str:
    """The batch parameter (a JSON array of rows) as a subquery of typed, named columns."""
    values = ", ".join(
        f"(e->>{index})::{pg_type} AS {alias}"
        for index, ((_, pg_type), alias) in enumerate(zip(columns, aliases, strict=True))
    )
    return f"(SELECT {values} FROM jsonb_array_elements(%s::jsonb) AS e) AS v"  # noqa: S608


def _batch(rows: Sequence[Row]) -> str:
    """The rows as one JSON array of arrays, the single parameter of a PostgreSQL batch."""
    return orjson.dumps(rows).decode()


# --- Rows of a table, converted from Python values by the columns' own types ---------------

_PG_TYPES = {
    "UtcTime": "bigint",
    "String": "text",
    "Text": "text",
    "Integer": "integer",
    "BigInteger": "bigint",
    "Float": "double precision",
    "Boolean": "boolean",
    "JSON": "json",
}


def _pg_type(column: Column[Any]) -> str:
    return _PG_TYPES[type(column.type).__name__]


def _converter(column: Column[Any]) -> Callable[[Any], Any]:
    """How a Python value becomes what the column stores (times as microseconds, JSON as text)."""
    kind = type(column.type).__name__
    if kind == "UtcTime":
        return lambda value: None if value is None else to_micros(value)
    if kind == "JSON":
        return lambda value: None if value is None else orjson.dumps(value).decode()
    return lambda value: value


@lru_cache(maxsize=256)
def _table_update(table: Table, shape: tuple[str, ...]) -> tuple[BulkUpdate, tuple[Any, ...]]:
    columns = tuple((name, _pg_type(table.c[name])) for name in shape)
    statement = BulkUpdate(Shape(table.name, columns), key=("id", _pg_type(table.c.id)))
    return statement, tuple(_converter(table.c[name]) for name in shape)


@lru_cache(maxsize=64)
def _table_insert(
    table: Table, shape: tuple[str, ...], ignore_conflicts: bool
) -> tuple[BulkInsert, tuple[Any, ...]]:
    columns = tuple((name, _pg_type(table.c[name])) for name in shape)
    return BulkInsert(Shape(table.name, columns), ignore_conflicts), tuple(
        _converter(table.c[name]) for name in shape
    )


def update_rows(
    conn: Connection, table: Table, changes: Sequence[tuple[str, dict[str, Any]]]
) -> None:
    """Update rows by id; rows changed in the same columns share one statement."""
    shapes: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
    for row_id, changed in changes:
        shape = tuple(sorted(changed))
        shapes.setdefault(shape, []).append((row_id, *(changed[name] for name in shape)))
    for shape, rows in shapes.items():
        statement, converters = _table_update(table, shape)
        statement.run(
            conn,
            [
                (
                    row[0],
                    *(convert(value) for convert, value in zip(converters, row[1:], strict=True)),
                )
                for row in rows
            ],
        )


def _converted(row: tuple[Any, ...], converters: tuple[Any, ...]) -> tuple[Any, ...]:
    values = (convert(value) for convert, value in zip(converters, row[1:], strict=True))
    return (row[0], *values)


def insert_rows(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    ignore_conflicts: bool = False,
) -> None:
    """Insert rows given as column → Python value (all rows with the same columns).

    With ``ignore_conflicts``, a row whose key or unique columns are already taken (by a
    stored row or an earlier row of the batch) is skipped.
    """
    if not rows:
        return
    shape = tuple(rows[0])
    statement, converters = _table_insert(table, shape, ignore_conflicts)
    statement.run(
        conn,
        [
            tuple(convert(row[name]) for convert, name in zip(converters, shape, strict=True))
            for row in rows
        ],
    )
