"""Offers as a ladder rung needs them: the offer's own columns and its order's zone.

The engine runs rungs for hundreds of offers at once. Loading each order with all its offers
would cost far more than the rung itself, so this reads exactly what a rung decides on, in one
query for the batch, and writes the changed offers back in one statement.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import Connection

from dispatchd.domain.escalation import Ladder
from dispatchd.domain.offers import Offer, OfferStatus
from dispatchd.store.bulk import BulkUpdate, Shape, raw_execute
from dispatchd.store.types import from_micros, to_micros
from dispatchd.wire.policy import ladder_from_json

_SQLITE = (
    "SELECT o.id, o.order_id, o.installer_id, o.status, o.attempt, o.ladder, o.policy_version, "
    "o.next_step, o.next_step_at, o.sent_at, o.last_step_at, r.zone_id "
    "FROM offers o JOIN orders r ON r.id = o.order_id "
    "WHERE o.id IN (SELECT value FROM json_each(?))"
)
_POSTGRESQL = (
    "SELECT o.id, o.order_id, o.installer_id, o.status, o.attempt, o.ladder::text, "
    "o.policy_version, o.next_step, o.next_step_at, o.sent_at, o.last_step_at, r.zone_id "
    "FROM offers o JOIN orders r ON r.id = o.order_id WHERE o.id = ANY(%s)"
)
_SAVE = BulkUpdate(
    Shape(
        "offers",
        (
            ("status", "text"),
            ("next_step", "integer"),
            ("next_step_at", "bigint"),
            ("last_step_at", "bigint"),
        ),
    ),
    key=("id", "text"),
)


@dataclass(frozen=True)
class OfferAtStep:
    """An offer with the zone of its order (which decides who sees its events)."""

    offer: Offer
    zone_id: str | None


class OfferSteps:
    """Reads offers for their due rungs and writes back the rungs' changes."""

    def __init__(self, conn: Connection, flush_orders: Callable[[], None] = lambda: None) -> None:
        self._conn = conn
        self._flush_orders = flush_orders

    def load(self, offer_ids: list[str]) -> dict[str, OfferAtStep]:
        """These offers, by id, each with its order's zone (unknown ids are left out)."""
        if not offer_ids:
            return {}
        self._flush_orders()
        if self._conn.dialect.name == "postgresql":
            rows = raw_execute(self._conn, _POSTGRESQL, (offer_ids,))
        else:
            rows = raw_execute(self._conn, _SQLITE, (json.dumps(offer_ids),))
        found = {}
        for row in rows:
            offer = Offer(
                id=row[0],
                order_id=row[1],
                installer_id=row[2],
                status=OfferStatus(row[3]),
                attempt=row[4],
                ladder=stored_ladder(row[5]),
                policy_version=row[6],
                next_step=row[7],
                next_step_at=_time(row[8]),
                sent_at=from_micros(row[9]),
                last_step_at=_time(row[10]),
            )
            found[offer.id] = OfferAtStep(offer, row[11])
        return found

    def save(self, offers: Iterable[Offer]) -> None:
        """Write back the rung each offer just took (status, next rung and when)."""
        self._flush_orders()
        _SAVE.run(
            self._conn,
            [
                (
                    offer.id,
                    offer.status.value,
                    offer.next_step,
                    None if offer.next_step_at is None else to_micros(offer.next_step_at),
                    None if offer.last_step_at is None else to_micros(offer.last_step_at),
                )
                for offer in offers
            ],
        )


@lru_cache(maxsize=1024)
def stored_ladder(text: str) -> Ladder:
    """Offers share a handful of ladders: each stored text is parsed and validated once."""
    return ladder_from_json(json.loads(text))


def _time(micros: int | None) -> datetime | None:
    return None if micros is None else from_micros(micros)
