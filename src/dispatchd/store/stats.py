"""The console's KPIs, read from the event log, the ledger and the orders table.

What happened is counted from events (the log is the truth), restricted by the same audience
rule as the live stream, so a manager limited to zones sees figures for those zones only. What
it cost or earned is summed from the ledger, the money's own truth: a fee, a penalty and its
waiver each count once, on the day they were booked.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, select

from dispatchd.domain.events import EventName
from dispatchd.store import tables as t
from dispatchd.store.event_log import Audience

COUNTED_EVENTS = (
    EventName.OFFER_SENT,
    EventName.OFFER_ACCEPTED,
    EventName.OFFER_REVOKED,
    EventName.OFFER_PENALIZED,
    EventName.ORDER_COMPLETED,
    EventName.ORDER_FLAGGED,
)
BATCH = 5000


@dataclass(frozen=True)
class CountedEvent:
    """The few fields of an event the KPIs need."""

    name: str
    at: datetime
    data: dict[str, Any]


def events_between(
    conn: Connection, since: datetime, until: datetime, audience: Audience
) -> Iterator[CountedEvent]:
    """KPI-relevant events in ``[since, until]``, oldest first, read in batches."""
    last_id = 0
    names = [name.value for name in COUNTED_EVENTS]
    while True:
        rows = conn.execute(
            select(t.events.c.id, t.events.c.name, t.events.c.at, t.events.c.data)
            .where(
                and_(
                    t.events.c.id > last_id,
                    t.events.c.at >= since,
                    t.events.c.at <= until,
                    t.events.c.name.in_(names),
                    audience.condition(),
                )
            )
            .order_by(t.events.c.id)
            .limit(BATCH)
        ).all()
        for row in rows:
            yield CountedEvent(row.name, row.at, row.data or {})
        if len(rows) < BATCH:
            return
        last_id = rows[-1].id


@dataclass(frozen=True)
class BookedEntry:
    """The few fields of a ledger entry the money figures need."""

    reason: str
    amount: int
    at: datetime


def ledger_between(
    conn: Connection, since: datetime, until: datetime, zone_ids: frozenset[str] | None
) -> list[BookedEntry]:
    """Ledger entries booked in ``[since, until]``; with a zone limit, only those of orders in
    these zones (an adjustment tied to no order belongs to no zone)."""
    query = select(
        t.ledger_entries.c.reason, t.ledger_entries.c.amount, t.ledger_entries.c.at
    ).where(t.ledger_entries.c.at >= since, t.ledger_entries.c.at <= until)
    if zone_ids is not None:
        query = query.join(t.orders, t.orders.c.id == t.ledger_entries.c.order_id).where(
            t.orders.c.zone_id.in_(sorted(zone_ids))
        )
    return [BookedEntry(row.reason, int(row.amount), row.at) for row in conn.execute(query)]


def orders_by_status(conn: Connection, zone_ids: frozenset[str] | None) -> dict[str, int]:
    """How many orders stand in each status right now (in the given zones, if limited)."""
    query = select(t.orders.c.status, func.count()).group_by(t.orders.c.status)
    if zone_ids is not None:
        query = query.where(t.orders.c.zone_id.in_(sorted(zone_ids)))
    return {status: int(count) for status, count in conn.execute(query)}
