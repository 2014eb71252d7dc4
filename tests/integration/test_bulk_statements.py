"""A batch written in one statement stores each value exactly, on both stores.

On PostgreSQL a batch travels as one JSON array of rows; every kind of value a column holds
— text with quotes and non-Latin letters, JSON text, booleans, floats, epoch microseconds,
and NULL — must arrive as the same value it would have as a row of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from sqlalchemy import Connection, text

from dispatchd.service.dispatcher import Dispatcher
from dispatchd.store.bulk import BulkDelete, BulkInsert, BulkUpdate, Shape

COLUMNS = (
    ("id", "text"),
    ("label", "text"),
    ("doc", "json"),
    ("flag", "boolean"),
    ("ratio", "double precision"),
    ("at", "bigint"),
    ("step", "integer"),
)
SHAPE = Shape("bulk_probe", COLUMNS)
ROWS = [
    ("a", 'say "hi" \\ to 王伟', '{"k": [1, "二"]}', True, 0.1, 1_733_300_000_000_001, 0),
    ("b", None, None, False, -2.5e-7, 0, 2_147_483_647),
    ("c", "", "null", None, None, None, None),
]


@pytest.fixture
def probe(dispatcher: Dispatcher) -> Iterator[Dispatcher]:
    """A scratch table with one column of each type the engine's batches write."""
    json_type = "JSON" if dispatcher.database.is_sqlite else "json"
    float_type = "REAL" if dispatcher.database.is_sqlite else "double precision"
    with dispatcher.database.write() as conn:
        conn.execute(
            text(
                "CREATE TABLE bulk_probe (id TEXT PRIMARY KEY, label TEXT, "
                f"doc {json_type}, flag BOOLEAN, ratio {float_type}, at BIGINT, step INTEGER)"
            )
        )
    yield dispatcher
    with dispatcher.database.write() as conn:
        conn.execute(text("DROP TABLE bulk_probe"))


def _stored(conn: Connection) -> list[tuple[Any, ...]]:
    rows = conn.execute(
        text("SELECT id, label, doc, flag, ratio, at, step FROM bulk_probe ORDER BY id")
    ).all()
    return [(*row[:2], _json_text(row[2]), _bool(row[3]), *row[4:]) for row in rows]


def _json_text(value: Any) -> str | None:
    """JSON compared by value (psycopg hands it back parsed, SQLite as text); null is None."""
    parsed = orjson.loads(value) if isinstance(value, str) else value
    return None if parsed is None else orjson.dumps(parsed).decode()


def _bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _expected(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [(*row[:2], _json_text(row[2]), *row[3:]) for row in rows]


def test_a_batch_inserts_every_kind_of_value_as_it_was_given(probe: Dispatcher) -> None:
    with probe.database.write() as conn:
        BulkInsert(SHAPE).run(conn, ROWS)
    with probe.database.read() as conn:
        assert _stored(conn) == _expected(ROWS)


def test_a_batch_updates_by_key_only_where_the_guard_still_holds(probe: Dispatcher) -> None:
    with probe.database.write() as conn:
        BulkInsert(SHAPE).run(conn, ROWS)
        update = BulkUpdate(
            Shape("bulk_probe", (("label", "text"), ("doc", "json"), ("at", "bigint"))),
            key=("id", "text"),
            guards=(("step", "integer"),),
        )
        update.run(
            conn,
            [
                ("a", 0, "née O'Brien", '{"ok": true}', 5),
                ("b", 1, "not applied: the step moved on", None, 6),
            ],
        )
    with probe.database.read() as conn:
        stored = _stored(conn)
    assert stored[0][1:3] == ("née O'Brien", '{"ok":true}')
    assert stored[0][5] == 5
    assert stored[1] == _expected(ROWS)[1]


def test_a_batch_deletes_by_key_and_guard(probe: Dispatcher) -> None:
    with probe.database.write() as conn:
        BulkInsert(SHAPE).run(conn, ROWS)
        BulkDelete("bulk_probe", key=("id", "text"), guards=(("step", "integer"),)).run(
            conn, [("a", 0), ("b", 0)]
        )
    with probe.database.read() as conn:
        assert [row[0] for row in _stored(conn)] == ["b", "c"]


def test_a_batch_that_repeats_a_key_is_skipped_where_conflicts_are_ignored(
    probe: Dispatcher,
) -> None:
    with probe.database.write() as conn:
        BulkInsert(SHAPE).run(conn, ROWS[:1])
        BulkInsert(SHAPE, ignore_conflicts=True).run(conn, ROWS)
    with probe.database.read() as conn:
        assert _stored(conn) == _expected(ROWS)
