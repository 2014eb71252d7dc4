"""Loading and saving the order aggregate (an order, its offers, its promises) and its events.

The repository remembers the rows it loaded and writes back only what changed, and a saved
order's new events go to the event log at that moment, so events keep the order of the
changes that caused them. The changed rows themselves are held back and written together
(:meth:`OrderRepository.flush`): a batch that saves a hundred orders, some twice, sends one
statement per shape of change instead of one per save. Nothing can read a held-back row
stale — every query of these tables, here or in another repository of the unit of work,
flushes first, and so does the unit of work before it commits.

A promise's deadline is part of the promise: whenever a saved promise changed, its deadline
is set to its next step, or removed — in the same transaction — and so is the deadline that
resumes a suspended order by itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    bindparam,
    or_,
    select,
)

from dispatchd.domain.deadlines import PROMISE_DEADLINES, DeadlineKind
from dispatchd.domain.offers import ACTIVE_OFFER_STATUSES, Offer
from dispatchd.domain.orders import OPEN_ORDER_STATUSES, Order, OrderStatus
from dispatchd.domain.promises import Promise
from dispatchd.store import tables as t
from dispatchd.store.bulk import insert_rows, update_rows
from dispatchd.store.deadlines import DeadlineRepository
from dispatchd.store.event_log import EventLog
from dispatchd.store.order_rows import (
    Row,
    offer_from_row,
    offer_row,
    order_from_row,
    order_row,
    promise_from_row,
    promise_row,
)
from dispatchd.store.raw_rows import RowsByKey
from dispatchd.store.sql import upsert_many

_INSERT_ORDER = t.orders.insert()
_ORDERS = RowsByKey(t.orders, "id")
_ORDERS_LOCKED = RowsByKey(t.orders, "id", lock=True)
_ORDER_OF_OFFER = select(t.offers.c.order_id).where(t.offers.c.id == bindparam("id"))
_ORDERS_OF_OFFERS = select(t.offers.c.id, t.offers.c.order_id).where(
    t.offers.c.id.in_(bindparam("ids", expanding=True))
)
_OFFERS_OF_ORDERS = RowsByKey(t.offers, "order_id", order_by=("order_id", "attempt"))
_PROMISES_OF_ORDERS = RowsByKey(t.promises, "order_id")
#: Orders in these statuses never had promises worth showing: their rows are not read.
_WITHOUT_PROMISES = frozenset({OrderStatus.PENDING.value, OrderStatus.OFFERED.value})
_PROMISE_COLUMNS = [c.name for c in t.promises.columns if c.name not in ("order_id", "kind")]


class OrderRepository:
    """The order aggregate in and out of the ``orders``, ``offers`` and ``promises`` tables."""

    def __init__(
        self, conn: Connection, event_log: EventLog, deadlines: DeadlineRepository
    ) -> None:
        self._conn = conn
        self._events = event_log
        self._deadlines = deadlines
        self._loaded_orders: dict[str, dict[str, Any]] = {}
        self._loaded_offers: dict[str, dict[str, Any]] = {}
        self._loaded_promises: dict[tuple[str, str], dict[str, Any]] = {}
        self._held_orders: dict[str, dict[str, Any]] = {}
        self._held_new_offers: dict[str, dict[str, Any]] = {}
        self._held_offers: dict[str, dict[str, Any]] = {}
        self._held_promises: dict[tuple[str, str], dict[str, Any]] = {}
        self.seen: dict[str, Order] = {}

    def add(self, order: Order) -> None:
        """Insert a new order with its offers and events."""
        row = order_row(order)
        self._conn.execute(_INSERT_ORDER, row)
        self._loaded_orders[order.id] = row
        self.seen[order.id] = order
        self._hold([order])

    def get(self, order_id: str, for_update: bool = True) -> Order | None:
        """The order, its rows locked for this transaction where the store supports it."""
        rows = (_ORDERS_LOCKED if for_update else _ORDERS).read(self._conn, [order_id])
        return self._load(rows[0]) if rows else None

    def loaded(self, order_id: str) -> Order | None:
        """The order as this unit of work already holds it (locked), else loaded now."""
        return self.seen.get(order_id) or self.get(order_id)

    def photo_keys_in_use(self, keys: Iterable[str]) -> set[str]:
        """Which of these photo keys committed completions refer to (the photo sweep asks)."""
        self.flush()
        wanted = sorted(set(keys))
        if not wanted:
            return set()
        query = select(t.orders.c.photo_key).where(t.orders.c.photo_key.in_(wanted))
        return {str(key) for key in self._conn.execute(query).scalars()}

    def get_by_offer(self, offer_id: str) -> Order | None:
        """The order that an offer belongs to, locked for this transaction."""
        self.flush()
        order_id = self._conn.execute(_ORDER_OF_OFFER, {"id": offer_id}).scalar()
        return None if order_id is None else self.get(order_id)

    def get_by_tracking_token(self, token: str, for_update: bool = True) -> Order | None:
        """The order a customer's tracking link points at (locked unless only read)."""
        order_id = self._conn.execute(
            select(t.orders.c.id).where(t.orders.c.tracking_token == token)
        ).scalar()
        return None if order_id is None else self.get(order_id, for_update)

    def get_many(self, order_ids: list[str]) -> dict[str, Order]:
        """These orders, locked, with their offers and promises: a few queries for a batch."""
        missing = sorted(set(order_ids) - set(self.seen))
        if missing:
            self._load_all(_ORDERS_LOCKED.read(self._conn, missing))
        return {order_id: self.seen[order_id] for order_id in order_ids if order_id in self.seen}

    def waiting_for_dispatch(self, zone_ids: Iterable[str], limit: int) -> list[Order]:
        """Pending orders left to automatic dispatch in these zones, oldest first."""
        self.flush()
        ids = self._conn.execute(
            select(t.orders.c.id)
            .where(
                t.orders.c.status == OrderStatus.PENDING.value,
                t.orders.c.awaiting_dispatcher.is_(False),
                t.orders.c.zone_id.in_(list(zone_ids)),
            )
            .order_by(t.orders.c.created_at, t.orders.c.id)
            .limit(limit)
        ).scalars()
        return [order for order in (self.get(order_id) for order_id in list(ids)) if order]

    def outside_every_zone(self, limit: int) -> list[Order]:
        """Open orders that no zone covered when they came in, oldest first, locked."""
        self.flush()
        ids = self._conn.execute(
            select(t.orders.c.id)
            .where(
                t.orders.c.zone_id.is_(None),
                t.orders.c.status.in_([status.value for status in OPEN_ORDER_STATUSES]),
            )
            .order_by(t.orders.c.created_at, t.orders.c.id)
            .limit(limit)
        ).scalars()
        return [order for order in (self.get(order_id) for order_id in list(ids)) if order]

    def page(
        self,
        criteria: OrderCriteria,
        limit: int,
        after: tuple[datetime, str] | None = None,
    ) -> list[Order]:
        """Orders matching the criteria, newest first, after a (created_at, id) position.

        Offers and promises of the whole page are loaded in one query each; nothing is locked.
        """
        self.flush()
        query = select(t.orders).where(*criteria.conditions())
        if after is not None:
            created_at, order_id = after
            query = query.where(
                or_(
                    t.orders.c.created_at < created_at,
                    and_(t.orders.c.created_at == created_at, t.orders.c.id < order_id),
                )
            )
        query = query.order_by(t.orders.c.created_at.desc(), t.orders.c.id.desc()).limit(limit)
        rows = list(self._conn.execute(query).mappings())
        offers, promises = self._parts_of(rows, remember=False)
        return [order_from_row(row, offers[row["id"]], promises[row["id"]]) for row in rows]

    def completed_by(
        self, installer_id: str, limit: int, after: tuple[datetime, str] | None = None
    ) -> list[Order]:
        """The installer's completed jobs, last completed first, after a (completed_at, id)
        position; nothing is locked."""
        self.flush()
        done = t.orders.c.completed_at
        query = select(t.orders).where(
            t.orders.c.installer_id == installer_id,
            t.orders.c.status == OrderStatus.COMPLETED.value,
        )
        if after is not None:
            completed_at, order_id = after
            query = query.where(
                or_(done < completed_at, and_(done == completed_at, t.orders.c.id < order_id))
            )
        query = query.order_by(done.desc(), t.orders.c.id.desc()).limit(limit)
        rows = list(self._conn.execute(query).mappings())
        offers, promises = self._parts_of(rows, remember=False)
        return [order_from_row(row, offers[row["id"]], promises[row["id"]]) for row in rows]

    def save(self, order: Order) -> None:
        """Take in what changed in the order, its offers and promises, and log its events."""
        self._hold([order])

    def get_many_by_offers(self, offer_ids: list[str]) -> dict[str, Order]:
        """Each offer's order, locked, with all its offers: a few queries for a whole batch."""
        if not offer_ids:
            return {}
        self.flush()
        owners = dict(self._conn.execute(_ORDERS_OF_OFFERS, {"ids": offer_ids}).all())
        self.get_many(sorted(set(owners.values())))
        return {
            offer_id: self.seen[order_id]
            for offer_id, order_id in owners.items()
            if order_id in self.seen
        }

    def save_many(self, orders: Iterable[Order]) -> None:
        """:meth:`save` for many orders."""
        self._hold(list(orders))

    def flush(self) -> None:
        """Write every held-back row: one statement per table and shape of change."""
        if not (
            self._held_orders or self._held_new_offers or self._held_offers or self._held_promises
        ):
            return
        update_rows(self._conn, t.orders, list(self._held_orders.items()))
        insert_rows(self._conn, t.offers, list(self._held_new_offers.values()))
        update_rows(self._conn, t.offers, list(self._held_offers.items()))
        upsert_many(
            self._conn,
            t.promises,
            list(self._held_promises.values()),
            keys=["order_id", "kind"],
            update=_PROMISE_COLUMNS,
        )
        self.discard_held()

    def discard_held(self) -> None:
        """Forget the held-back rows (their savepoint rolled back)."""
        self._held_orders.clear()
        self._held_new_offers.clear()
        self._held_offers.clear()
        self._held_promises.clear()

    def _hold(self, orders: list[Order]) -> None:
        """Diff each order against what was loaded, hold the changed rows, log the events.

        The deadlines that follow from the change (a promise's next step, a suspension's end)
        are set at once, so they keep their order with the caller's other deadline writes.
        """
        for order in orders:
            row = order_row(order)
            changes = _changed(self._loaded_orders.get(order.id, {}), row)
            if changes:
                self._held_orders.setdefault(order.id, {}).update(changes)
                self._loaded_orders[order.id] = row
                self._resume_deadline(order, changes)
            for offer in order.offers:
                self._hold_offer(offer)
            self._flush_events(order)
        self._hold_promises(orders)

    def _hold_offer(self, offer: Offer) -> None:
        row = offer_row(offer)
        loaded = self._loaded_offers.get(offer.id)
        if loaded is None or offer.id in self._held_new_offers:
            self._held_new_offers[offer.id] = row
        else:
            changes = _changed(loaded, row)
            if not changes:
                return
            self._held_offers.setdefault(offer.id, {}).update(changes)
        self._loaded_offers[offer.id] = row

    def _hold_promises(self, orders: list[Order]) -> None:
        """Changed promises held (a new one replaces its kind's old row), deadlines synced."""
        for order in orders:
            for promise in order.promises.values():
                row = promise_row(order.id, promise)
                key = (order.id, promise.kind.value)
                if self._loaded_promises.get(key) == row:
                    continue
                self._loaded_promises[key] = row
                self._held_promises[key] = row
                deadline = PROMISE_DEADLINES[promise.kind]
                if promise.next_step_at is not None:
                    self._deadlines.schedule(
                        deadline, order.id, promise.steps_taken, promise.next_step_at
                    )
                else:
                    self._deadlines.cancel(deadline, order.id)

    def _resume_deadline(self, order: Order, changes: dict[str, Any]) -> None:
        """A suspension with an end resumes by itself then; any other change removes that."""
        if "suspension" not in changes:
            return
        until = order.suspension.until if order.suspension is not None else None
        if until is None:
            self._deadlines.cancel(DeadlineKind.SUSPENSION_END, order.id)
        else:
            self._deadlines.schedule(DeadlineKind.SUSPENSION_END, order.id, 0, until)

    def _flush_events(self, order: Order) -> None:
        if order.events:
            self._events.append(order.events)
            order.events.clear()

    def _load(self, row: dict[str, Any]) -> Order:
        if row["id"] not in self.seen:
            self._load_all([row])
        return self.seen[row["id"]]

    def _load_all(self, rows: Sequence[dict[str, Any]]) -> None:
        """Turn order rows into aggregates (offers and promises in a query each), remembered."""
        if not rows:
            return
        offers, promises = self._parts_of(rows, remember=True)
        for row in rows:
            order = order_from_row(row, offers[row["id"]], promises[row["id"]])
            self._loaded_orders[order.id] = row
            self.seen[order.id] = order

    def _parts_of(
        self, rows: Sequence[Row], remember: bool
    ) -> tuple[dict[str, list[Offer]], dict[str, list[Promise]]]:
        offers: dict[str, list[Offer]] = {row["id"]: [] for row in rows}
        promises: dict[str, list[Promise]] = {row["id"]: [] for row in rows}
        if not offers:
            return offers, promises
        for found in _OFFERS_OF_ORDERS.read(self._conn, list(offers)):
            if remember:
                self._loaded_offers[found["id"]] = found
            offers[found["order_id"]].append(offer_from_row(found))
        holding = [row["id"] for row in rows if row["status"] not in _WITHOUT_PROMISES]
        if holding:
            for found in _PROMISES_OF_ORDERS.read(self._conn, holding):
                promise = promise_from_row(found)
                if remember:
                    self._loaded_promises[(found["order_id"], found["kind"])] = promise_row(
                        found["order_id"], promise
                    )
                promises[found["order_id"]].append(promise)
        return offers, promises


@dataclass(frozen=True)
class OrderCriteria:
    """Filters of the order list, as the console and integrations send them."""

    status: str | None = None
    statuses: tuple[str, ...] | None = None
    zone_ids: frozenset[str] | None = None
    installer_id: str | None = None
    offered_to: str | None = None
    flagged: bool | None = None
    text: str | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        """The filters as SQL conditions."""
        found: list[ColumnElement[bool]] = []
        if self.status:
            found.append(t.orders.c.status == self.status)
        if self.statuses is not None:
            found.append(t.orders.c.status.in_(self.statuses))
        if self.offered_to:
            active = [status.value for status in ACTIVE_OFFER_STATUSES]
            found.append(
                t.orders.c.id.in_(
                    select(t.offers.c.order_id).where(
                        t.offers.c.installer_id == self.offered_to, t.offers.c.status.in_(active)
                    )
                )
            )
        if self.zone_ids is not None:
            found.append(t.orders.c.zone_id.in_(sorted(self.zone_ids)))
        if self.installer_id:
            found.append(t.orders.c.installer_id == self.installer_id)
        if self.flagged is not None:
            found.append(t.orders.c.needs_follow_up.is_(self.flagged))
        if self.text:
            pattern = "%" + _escape_like(self.text) + "%"
            found.append(or_(*(column.ilike(pattern, escape="\\") for column in _SEARCHED_COLUMNS)))
        return found


_SEARCHED_COLUMNS = (
    t.orders.c.id,
    t.orders.c.customer_name,
    t.orders.c.customer_phone,
    t.orders.c.address,
    t.orders.c.product,
    t.orders.c.external_ref,
)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _changed(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    if before == after:
        return {}
    return {key: value for key, value in after.items() if before.get(key) != value}
