"""SQLite writes go through one connection of their own, whose page cache stays warm."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from dispatchd.store.database import SQLITE_WRITER_CACHE_KIB, Database


@pytest.fixture
def on_file(tmp_path: Path) -> Iterator[Database]:
    """An SQLite database in a file, as a deployment has it."""
    database = Database(f"sqlite:///{tmp_path / 'writer.db'}")
    yield database
    database.dispose()


def _driver_connection(conn: Connection) -> object:
    return conn.connection.driver_connection


def _cache_kib(conn: Connection) -> int:
    return -int(conn.execute(text("PRAGMA cache_size")).scalar_one())


def test_every_write_runs_on_the_same_connection_with_the_large_cache(on_file: Database) -> None:
    with on_file.write() as conn:
        first = _driver_connection(conn)
        assert _cache_kib(conn) == SQLITE_WRITER_CACHE_KIB
    with on_file.write() as conn:
        assert _driver_connection(conn) is first


def test_reads_keep_sqlites_own_small_cache_on_connections_apart_from_the_writer(
    on_file: Database,
) -> None:
    with on_file.write() as conn:
        writer = _driver_connection(conn)
    with on_file.read() as conn:
        assert _driver_connection(conn) is not writer
        assert _cache_kib(conn) < SQLITE_WRITER_CACHE_KIB


def test_a_write_is_seen_by_the_next_read(on_file: Database) -> None:
    with on_file.write() as conn:
        conn.execute(text("CREATE TABLE notes (body TEXT)"))
        conn.execute(text("INSERT INTO notes VALUES ('kept')"))
    with on_file.read() as conn:
        assert conn.execute(text("SELECT body FROM notes")).scalar_one() == "kept"
