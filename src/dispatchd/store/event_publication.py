"""Publication: on PostgreSQL, the one place where events get their ids.

A command's transaction queues its events in ``event_queue`` as its last writes, taking no
shared lock, so commits of the whole deployment run side by side. A publication round then
moves every committed queued row into ``events`` in one statement, numbering them itself
(``max(id)`` plus the row's rank by ``seq``), deletes them from the queue and announces them.
Only rounds take the ``EVENT_APPEND`` advisory lock, so one publisher at a time numbers events
and each round has committed before the next reads ``max(id)``. A reader tailing ``id > last``
therefore never sees a gap that fills later: an id becomes visible only with every smaller one.

Why a causally later event is never published before the event it depends on: if B's
transaction depends on A's — it waited for a row A had locked, or read what A committed, or
its command was sent after A's answer — then A committed before B queued anything, because
queueing is B's last write. B's rows are therefore committed after A's and draw larger
``seq`` values than A's. Every round that sees B's rows sees A's as well (unless an earlier
round already published them), and inside a round rows are numbered in ``seq`` order. Rows of
independent transactions may be numbered in either order; nobody can tell.

A crash loses nothing and publishes nothing twice: the move is one statement of one
transaction, so queued rows are either still queued or in ``events``, never both, and
anyone's next round publishes rows that a crashed process committed but never published.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from dispatchd.store.database import Database
from dispatchd.store.sql import AdvisoryLock, advisory_xact_lock
from dispatchd.store.wakeups import EVENTS_CHANNEL

_ANYTHING_QUEUED = text("SELECT EXISTS (SELECT 1 FROM event_queue)")
# One statement, so the round costs a lock, this and its commit. The ids are given explicitly,
# by rank in ``seq`` order, rather than by the order in which an INSERT … SELECT happens to draw
# from a sequence, which SQL does not promise. A process of the previous release draws event
# ids from the column's sequence under the same advisory lock; keeping the sequence at the
# last id given here lets both run together during a rolling upgrade (``setval`` is strict: on
# an empty round it is not called, and neither is the hint).
_MOVE = text(
    """
    WITH moved AS (
        DELETE FROM event_queue
        RETURNING seq, name, order_id, installer_id, zone_id, data, at
    ), numbered AS (
        INSERT INTO events (id, name, order_id, installer_id, zone_id, data, at)
        SELECT (SELECT coalesce(max(id), 0) FROM events) + row_number() OVER (ORDER BY seq),
               name, order_id, installer_id, zone_id, data, at
        FROM moved
        RETURNING id
    )
    SELECT count(*),
           setval(pg_get_serial_sequence('events', 'id'), max(id)),
           CASE WHEN count(*) > 0 THEN pg_notify(:channel, '') END
    FROM numbered
    """
)


def publish_queued(conn: Connection) -> int:
    """Move every committed queued event into the log, in ``seq`` order; how many moved.

    Runs in the caller's transaction, which must commit at once (it holds the publication
    lock until then). When nothing is queued it returns without taking the lock.
    """
    if not conn.execute(_ANYTHING_QUEUED).scalar():
        return 0
    advisory_xact_lock(conn, AdvisoryLock.EVENT_APPEND)
    moved = conn.execute(_MOVE, {"channel": EVENTS_CHANNEL}).scalar_one()
    return int(moved)


def publication_round(database: Database) -> int:
    """One publication round in its own short transaction (nothing to do on SQLite)."""
    if database.is_sqlite:
        return 0
    with database.write() as conn:
        return publish_queued(conn)
