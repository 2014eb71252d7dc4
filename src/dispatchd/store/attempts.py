"""Attempt counters in the database, so every process sharing it counts into the same rows.

Taking a place is one statement — insert the window's row with one hit, or add a hit while
the row is below its limit — so two processes racing for the last place cannot both get it.
Keys are stored as digests, which keeps the column short whatever the key; they are not
keyed by the deployment secret on purpose, so processes that were given different secrets
still count into the same rows (the rows live one window, and then are purged).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import lru_cache

from sqlalchemy import Connection, Insert, bindparam, delete, update
from sqlalchemy.dialects import postgresql, sqlite

from dispatchd.domain.attempts import Counted, Window
from dispatchd.store import tables as t

_counters = t.attempt_counters


def key_digest(scope: str, key: str) -> str:
    """What is stored for a key: 128 bits of its BLAKE2b digest, separate per scope."""
    return hashlib.blake2b(key.encode(), digest_size=16, person=scope[:16].encode()).hexdigest()


class AttemptCounters:
    """Takes and gives back places in (scope, key, window) counters."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def take(self, scope: str, key: str, window: Window, limit: int) -> int | None:
        """Count one attempt unless the window is full; the new count, or None when refused."""
        hits = self._conn.execute(
            _take_statement(self._conn.dialect.name),
            {
                "scope": scope,
                "key": key_digest(scope, key),
                "window_start": window.start,
                "window_end": window.end,
                "hits": 1,
                "hit_limit": limit,
            },
        ).scalar()
        return None if hits is None else int(hits)

    def give_back(self, counted: Counted) -> None:
        """Undo one counted attempt (it succeeded); the others in its window stay counted."""
        self._conn.execute(
            update(_counters)
            .where(
                _counters.c.scope == counted.scope,
                _counters.c.key == key_digest(counted.scope, counted.key),
                _counters.c.window_start == counted.window_start,
                _counters.c.hits > 0,
            )
            .values(hits=_counters.c.hits - 1)
        )

    def purge_ended(self, now: datetime) -> None:
        """Forget windows that are over: they can never refuse anything again."""
        self._conn.execute(delete(_counters).where(_counters.c.window_end <= now))


@lru_cache(maxsize=4)
def _take_statement(dialect: str) -> Insert:
    """``INSERT … ON CONFLICT DO UPDATE SET hits = hits + 1 WHERE hits < limit RETURNING``."""
    insert = postgresql.insert(_counters) if dialect == "postgresql" else sqlite.insert(_counters)
    return insert.on_conflict_do_update(
        index_elements=["scope", "key", "window_start"],
        set_={"hits": _counters.c.hits + 1},
        where=_counters.c.hits < bindparam("hit_limit"),
    ).returning(_counters.c.hits)
