"""Wake-up hints between processes that share one PostgreSQL: ``NOTIFY`` on commit.

A hint only says "look again now"; the tables stay the truth. A process that misses a hint
(its listening connection was down) still finds the work on its next poll, just later.
On SQLite there is one process, and in-process commit listeners do the same job.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

EVENTS_CHANNEL = "dispatchd_events"
DEADLINES_CHANNEL = "dispatchd_deadlines"
CHANNELS = (EVENTS_CHANNEL, DEADLINES_CHANNEL)


def announce(conn: Connection, channel: str, payload: str = "") -> None:
    """Queue a hint that PostgreSQL delivers to listeners when (and only if) this commits."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            text("SELECT pg_notify(:channel, :payload)"), {"channel": channel, "payload": payload}
        )
