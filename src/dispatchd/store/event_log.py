"""The append-only event log: the truth behind the live stream and every order's history.

Ids are monotonic per deployment; a client that reconnects with ``Last-Event-ID`` is replayed
everything after it that it may see.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, false, select, true

from dispatchd.domain.events import OrderEvent
from dispatchd.store import tables as t
from dispatchd.store.sql import AdvisoryLock, advisory_xact_lock
from dispatchd.store.wakeups import EVENTS_CHANNEL, announce


@dataclass(frozen=True)
class LoggedEvent:
    """An event as stored: with its id, ready to stream."""

    id: int
    name: str
    order_id: str
    installer_id: str | None
    zone_id: str | None
    data: dict[str, Any]
    at: datetime


@dataclass(frozen=True)
class Audience:
    """Who is asking: decides which events they may see.

    An installer sees only events addressed to them; a manager limited to zones sees those
    zones; everyone else with console access sees all.
    """

    installer_id: str | None = None
    zone_ids: frozenset[str] | None = None

    def may_see(self, installer_id: str | None, zone_id: str | None) -> bool:
        """Whether an event with this addressing is visible to this audience."""
        if self.installer_id is not None:
            return installer_id == self.installer_id
        return self.zone_ids is None or zone_id in self.zone_ids

    def condition(self) -> ColumnElement[bool]:
        """The same rule as :meth:`may_see`, as a SQL condition on the events table."""
        if self.installer_id is not None:
            return t.events.c.installer_id == self.installer_id
        if self.zone_ids is None:
            return true()
        if not self.zone_ids:
            return false()
        return t.events.c.zone_id.in_(sorted(self.zone_ids))


EVERYONE = Audience()


class EventLog:
    """Appends events and reads them back in id order."""

    def __init__(self, conn: Connection, pending: list[OrderEvent] | None = None) -> None:
        self._conn = conn
        self.pending: list[OrderEvent] = [] if pending is None else pending
        self.appended = 0

    def append(self, events: Iterable[OrderEvent]) -> None:
        """Add events to the caller's transaction, keeping their order.

        They are held back and inserted by :func:`write_events` as the transaction's last
        writes, which is what keeps ids in commit order.
        """
        batch = list(events)
        self.pending.extend(batch)
        self.appended += len(batch)

    def after(self, last_id: int, audience: Audience, limit: int = 500) -> list[LoggedEvent]:
        """Events with id greater than ``last_id`` that the audience may see, oldest first."""
        rows = self._conn.execute(
            select(t.events)
            .where(and_(t.events.c.id > last_id, audience.condition()))
            .order_by(t.events.c.id)
            .limit(limit)
        ).mappings()
        return [_logged(row) for row in rows]

    def for_order(self, order_id: str, audience: Audience = EVERYONE) -> list[LoggedEvent]:
        """An order's whole history as the audience may see it, oldest first."""
        rows = self._conn.execute(
            select(t.events)
            .where(t.events.c.order_id == order_id, audience.condition())
            .order_by(t.events.c.id)
        ).mappings()
        return [_logged(row) for row in rows]

    def last_id(self) -> int:
        """The newest event id, 0 on an empty log."""
        value = self._conn.execute(select(t.events.c.id).order_by(t.events.c.id.desc()).limit(1))
        return int(value.scalar() or 0)


def write_events(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert a transaction's events just before it commits, so ids follow commit order.

    Event ids come from a sequence. On PostgreSQL, transactions that draw ids concurrently
    may commit out of id order: a reader tailing ``id > last`` could read id 8 while id 7 is
    still uncommitted, move on, and never see 7 — and neither would a client replaying from
    ``Last-Event-ID``. Readers cannot tell such a gap from a rolled-back one, so the fix is
    on the writing side: a transaction-level advisory lock, taken as the last step before
    commit, serialises "draw ids, insert, commit" across every process. Whoever holds it has
    no other lock left to wait for (all row locks were taken earlier), so it cannot deadlock;
    and it is released only after the commit became visible, so the next holder's ids are
    both larger and later. The price is that commits which append events run one at a time
    for the span of an insert and a commit — the deadline engine's batches share one.

    The alternative, reading only up to a "safe horizon" (below the oldest in-flight
    transaction), would make every reader guess how long to wait for a gap to fill. SQLite
    has a single writer, so ids there are in commit order already.
    """
    if not rows:
        return
    advisory_xact_lock(conn, AdvisoryLock.EVENT_APPEND)
    conn.execute(t.events.insert(), rows)
    announce(conn, EVENTS_CHANNEL)


def _logged(row: Any) -> LoggedEvent:
    return LoggedEvent(
        id=row["id"],
        name=row["name"],
        order_id=row["order_id"],
        installer_id=row["installer_id"],
        zone_id=row["zone_id"],
        data=row["data"],
        at=row["at"],
    )


def visible(events: Sequence[LoggedEvent], audience: Audience) -> list[LoggedEvent]:
    """Filter already-loaded events for one audience (the live fan-out's hot path)."""
    return [e for e in events if audience.may_see(e.installer_id, e.zone_id)]
