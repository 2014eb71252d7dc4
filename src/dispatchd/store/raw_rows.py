"""Whole rows of a table read straight from the driver, as the columns' own types return them.

Loading orders for a batch of revoked offers, or one order for a request, reads every column
of its rows. Through SQLAlchemy's result objects each value costs more in Python than the
query costs the database; here the driver's tuples become plain dicts, each value converted
once by what its column stores (times as epoch microseconds, JSON as text on SQLite), so a
row reads back exactly as the table's Core types would have returned it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import orjson
from sqlalchemy import Column, Connection, Table

from dispatchd.store.bulk import raw_execute
from dispatchd.store.types import from_micros

Convert = Callable[[Any], Any]


@dataclass(frozen=True)
class RowsByKey:
    """``SELECT`` every column of the rows whose ``key`` is among the given values.

    With ``lock``, PostgreSQL locks the rows for the transaction (``FOR UPDATE``); SQLite's
    one writer at a time already holds them.
    """

    table: Table
    key: str
    order_by: tuple[str, ...] = ()
    lock: bool = False

    @cached_property
    def names(self) -> tuple[str, ...]:
        """The columns, in the order each row holds them."""
        return tuple(column.name for column in self.table.columns)

    @cached_property
    def sqlite(self) -> str:
        """The statement, its keys given as one JSON array."""
        return (
            f"SELECT {', '.join(self.names)} FROM {self.table.name} "  # noqa: S608 - constants
            f"WHERE {self.key} IN (SELECT value FROM json_each(?)){self._ordered}"
        )

    @cached_property
    def postgresql(self) -> str:
        """The statement, its keys given as one array."""
        lock = " FOR UPDATE" if self.lock else ""
        return (
            f"SELECT {', '.join(self.names)} FROM {self.table.name} "  # noqa: S608 - constants
            f"WHERE {self.key} = ANY(%s){self._ordered}{lock}"
        )

    @cached_property
    def _ordered(self) -> str:
        return f" ORDER BY {', '.join(self.order_by)}" if self.order_by else ""

    @cached_property
    def _sqlite_converters(self) -> tuple[Convert | None, ...]:
        return tuple(_converter(column, "sqlite") for column in self.table.columns)

    @cached_property
    def _postgresql_converters(self) -> tuple[Convert | None, ...]:
        return tuple(_converter(column, "postgresql") for column in self.table.columns)

    def read(self, conn: Connection, keys: Sequence[str]) -> list[dict[str, Any]]:
        """The rows, each as column name → Python value; none at all for no keys."""
        if not keys:
            return []
        if conn.dialect.name == "postgresql":
            rows = raw_execute(conn, self.postgresql, (list(keys),))
            converters = self._postgresql_converters
        else:
            rows = raw_execute(conn, self.sqlite, (orjson.dumps(list(keys)).decode(),))
            converters = self._sqlite_converters
        names = self.names
        return [
            {
                name: value if convert is None or value is None else convert(value)
                for name, convert, value in zip(names, converters, row, strict=True)
            }
            for row in rows
        ]


def _converter(column: Column[Any], dialect: str) -> Convert | None:
    """How the driver's value becomes the column type's Python value (None: as it comes)."""
    kind = type(column.type).__name__
    if kind == "UtcTime":
        return from_micros
    if kind == "JSON" and dialect == "sqlite":
        return orjson.loads
    if kind == "Boolean" and dialect == "sqlite":
        return bool
    return None
