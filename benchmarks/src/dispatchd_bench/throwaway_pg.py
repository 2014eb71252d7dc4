"""A throwaway PostgreSQL database for one benchmark, dropped afterwards whatever happens.

The benchmark runs dispatchd on the same local server the peers use, each workload on a fresh
database, so that no workload measures another's leftovers (bloat, statistics, locks).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql

from dispatchd.domain.ids import new_id

#: The server to create databases on (no database name), overridable for other set-ups.
SERVER_ENV = "DISPATCHD_BENCH_POSTGRES_URL"
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432"


def server_url() -> str:
    """The PostgreSQL server the benchmark uses."""
    return os.environ.get(SERVER_ENV, DEFAULT_SERVER).rstrip("/")


def _admin() -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(f"{server_url()}/postgres", autocommit=True, connect_timeout=3)


def server_version() -> str | None:
    """The server's version string, or None when no server answers."""
    try:
        with _admin() as conn:
            row = conn.execute("SHOW server_version").fetchone()
    except psycopg.Error:
        return None
    return None if row is None else str(row[0])


@contextmanager
def throwaway_database(label: str) -> Iterator[str]:
    """Create a fresh database, yield its URL, drop it (disconnecting its users) at the end."""
    name = f"dispatchd_bench_{label}_{new_id('db').split('_')[1]}"
    with _admin() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"{server_url()}/{name}"
    finally:
        with _admin() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
