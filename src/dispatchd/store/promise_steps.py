"""Promises as a ladder step needs them: the promise's own row and its order's zone.

Like the offers' steps, the engine runs promise steps for many orders at once: this reads
exactly what a step decides on, in one query for the batch, and writes the promises that
moved on back in one statement.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from dispatchd.domain.promises import Promise, PromiseKind
from dispatchd.store.bulk import BulkUpdate, Shape, raw_execute
from dispatchd.store.order_rows import stored_promise_ladder
from dispatchd.store.types import from_micros, to_micros

_SQLITE = (
    "SELECT p.order_id, p.kind, p.installer_id, p.ladder, p.since, p.steps_taken, "
    "p.next_step_at, p.last_step_at, p.kept_at, p.ended_at, p.paused_at, p.time_left_us, "
    "r.zone_id FROM promises p JOIN orders r ON r.id = p.order_id "
    "WHERE p.order_id IN (SELECT value FROM json_each(?))"
)
_POSTGRESQL = (
    "SELECT p.order_id, p.kind, p.installer_id, p.ladder::text, p.since, p.steps_taken, "
    "p.next_step_at, p.last_step_at, p.kept_at, p.ended_at, p.paused_at, p.time_left_us, "
    "r.zone_id FROM promises p JOIN orders r ON r.id = p.order_id WHERE p.order_id = ANY(%s)"
)
_SAVE = BulkUpdate(
    Shape(
        "promises",
        (("steps_taken", "integer"), ("next_step_at", "bigint"), ("last_step_at", "bigint")),
    ),
    key=("order_id", "text"),
    guards=(("kind", "text"),),
)


@dataclass(frozen=True)
class PromiseAtStep:
    """A promise with the zone of its order (which decides who sees its events)."""

    order_id: str
    promise: Promise
    zone_id: str | None


class PromiseSteps:
    """Reads promises for their due steps and writes back the steps' changes."""

    def __init__(self, conn: Connection, flush_orders: Callable[[], None] = lambda: None) -> None:
        self._conn = conn
        self._flush_orders = flush_orders

    def load(self, order_ids: list[str]) -> dict[tuple[str, PromiseKind], PromiseAtStep]:
        """The promises of these orders, by (order, kind), each with its order's zone."""
        if not order_ids:
            return {}
        self._flush_orders()
        if self._conn.dialect.name == "postgresql":
            rows = raw_execute(self._conn, _POSTGRESQL, (order_ids,))
        else:
            rows = raw_execute(self._conn, _SQLITE, (json.dumps(order_ids),))
        found = {}
        for row in rows:
            steps = json.loads(row[3])
            promise = Promise(
                kind=PromiseKind(row[1]),
                installer_id=row[2],
                ladder=stored_promise_ladder(
                    tuple((s["after_s"], s["action"], s.get("amount", 0)) for s in steps)
                ),
                since=from_micros(row[4]),
                steps_taken=row[5],
                next_step_at=_time(row[6]),
                last_step_at=_time(row[7]),
                kept_at=_time(row[8]),
                ended_at=_time(row[9]),
                paused_at=_time(row[10]),
                time_left=None if row[11] is None else timedelta(microseconds=row[11]),
            )
            found[(row[0], promise.kind)] = PromiseAtStep(row[0], promise, row[12])
        return found

    def save(self, promises: Iterable[PromiseAtStep]) -> None:
        """Write back the step each promise just took (steps taken, the next one and when)."""
        self._flush_orders()
        _SAVE.run(
            self._conn,
            [
                (
                    at.order_id,
                    at.promise.kind.value,
                    at.promise.steps_taken,
                    _micros(at.promise.next_step_at),
                    _micros(at.promise.last_step_at),
                )
                for at in promises
            ],
        )


def _time(micros: int | None) -> datetime | None:
    return None if micros is None else from_micros(micros)


def _micros(moment: datetime | None) -> int | None:
    return None if moment is None else to_micros(moment)
