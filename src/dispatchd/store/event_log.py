"""The append-only event log: the truth behind the live stream and every order's history.

Ids are monotonic per deployment and become visible in id order (on PostgreSQL they are given
by publication, :mod:`dispatchd.store.event_publication`); a client that reconnects with
``Last-Event-ID`` is replayed everything after it that it may see.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Connection, and_, false, func, select, true

from dispatchd.domain.events import OrderEvent
from dispatchd.store import tables as t
from dispatchd.store.bulk import BulkInsert, Shape
from dispatchd.store.types import to_micros


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
_EVENT_COLUMNS = (
    ("name", "text"),
    ("order_id", "text"),
    ("installer_id", "text"),
    ("zone_id", "text"),
    ("data", "json"),
    ("at", "bigint"),
)
_INSERT_EVENTS = BulkInsert(Shape("events", _EVENT_COLUMNS))
_QUEUE_EVENTS = BulkInsert(Shape("event_queue", _EVENT_COLUMNS))


class PendingEvents:
    """A transaction's events not yet written, and how many of them were already reacted to.

    Shared by a unit of work and the units of its savepoints: a savepoint that rolls back
    takes its events (and the note that they were reacted to) with it.
    """

    def __init__(self) -> None:
        self.events: list[OrderEvent] = []
        self._reacted = 0

    def __len__(self) -> int:
        return len(self.events)

    def unreacted(self) -> list[OrderEvent]:
        """The events appended since the last call, now counted as reacted to."""
        fresh = self.events[self._reacted :]
        self._reacted = len(self.events)
        return fresh

    def truncate(self, mark: int) -> None:
        """Forget the events appended after ``mark`` (their savepoint rolled back)."""
        del self.events[mark:]
        self._reacted = min(self._reacted, mark)

    def drain(self) -> list[OrderEvent]:
        """Every pending event, leaving none (they are being written)."""
        events, self.events, self._reacted = self.events, [], 0
        return events


class EventLog:
    """Appends events and reads them back in id order."""

    def __init__(self, conn: Connection, pending: PendingEvents | None = None) -> None:
        self._conn = conn
        self.pending = PendingEvents() if pending is None else pending
        self.appended = 0

    def append(self, events: Iterable[OrderEvent]) -> None:
        """Add events to the caller's transaction, keeping their order.

        They are held back and written by :func:`write_events` as the transaction's last
        writes, which is what keeps causally related events in order.
        """
        batch = list(events)
        self.pending.events.extend(batch)
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

    def unpublished(self) -> int:
        """Events committed but not yet published (PostgreSQL; always 0 on SQLite).

        More than a moment's worth means publication rounds are failing.
        """
        return int(self._conn.execute(select(func.count()).select_from(t.event_queue)).scalar_one())

    def last_id(self) -> int:
        """The newest event id, 0 on an empty log."""
        value = self._conn.execute(select(t.events.c.id).order_by(t.events.c.id.desc()).limit(1))
        return int(value.scalar() or 0)


def write_events(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Write a transaction's events as its last writes: queued on PostgreSQL, logged on SQLite.

    On PostgreSQL the events go to the queue, without any lock shared by the deployment; they
    get their ids when a publication round moves them into the log after this commit
    (:mod:`dispatchd.store.event_publication`, which also says why ids can then never skip
    or reorder causally related events). Being the last writes is what that argument rests on:
    everything this transaction waited for or read was committed before its rows drew their
    ``seq``. Nothing is announced here: the round announces what it published. SQLite has
    one writer, so events go straight into the log, ids in commit order, and in-process
    commit listeners wake the pump.
    """
    if not rows:
        return
    insert = _QUEUE_EVENTS if conn.dialect.name == "postgresql" else _INSERT_EVENTS
    insert.run(conn, event_values(rows))


def event_values(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Event rows as the bulk insert takes them: the payload columns, in the table's order."""
    return [
        (
            row["name"],
            row["order_id"],
            row["installer_id"],
            row["zone_id"],
            orjson.dumps(row["data"]).decode(),
            to_micros(row["at"]),
        )
        for row in rows
    ]


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
