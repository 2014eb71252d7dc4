"""Loading and saving the order aggregate (an order with all its offers) and its events.

The repository remembers the rows it loaded and writes back only what changed, and a saved
order's new events go to the event log at that moment, so events keep the order of the
changes that caused them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    RowMapping,
    and_,
    bindparam,
    or_,
    select,
)

from dispatchd.domain.escalation import Ladder
from dispatchd.domain.geo import Point
from dispatchd.domain.offers import ACTIVE_OFFER_STATUSES, Offer, OfferStatus
from dispatchd.domain.orders import OPEN_ORDER_STATUSES, Customer, FollowUp, Order, OrderStatus
from dispatchd.domain.timefmt import parse_rfc3339, rfc3339
from dispatchd.store import tables as t
from dispatchd.store.bulk import insert_rows, update_rows
from dispatchd.store.event_log import EventLog
from dispatchd.wire.policy import ladder_from_json, ladder_json

_INSERT_ORDER = t.orders.insert()
_ORDER = select(t.orders).where(t.orders.c.id == bindparam("id"))
_ORDER_LOCKED = _ORDER.with_for_update()
_ORDERS_LOCKED = (
    select(t.orders).where(t.orders.c.id.in_(bindparam("ids", expanding=True))).with_for_update()
)
_ORDER_OF_OFFER = select(t.offers.c.order_id).where(t.offers.c.id == bindparam("id"))
_ORDERS_OF_OFFERS = select(t.offers.c.id, t.offers.c.order_id).where(
    t.offers.c.id.in_(bindparam("ids", expanding=True))
)
_OFFERS_OF_ORDERS = (
    select(t.offers)
    .where(t.offers.c.order_id.in_(bindparam("ids", expanding=True)))
    .order_by(t.offers.c.order_id, t.offers.c.attempt)
)


class OrderRepository:
    """The order aggregate in and out of the ``orders`` and ``offers`` tables."""

    def __init__(self, conn: Connection, event_log: EventLog) -> None:
        self._conn = conn
        self._events = event_log
        self._loaded_orders: dict[str, dict[str, Any]] = {}
        self._loaded_offers: dict[str, dict[str, Any]] = {}
        self.seen: dict[str, Order] = {}

    def add(self, order: Order) -> None:
        """Insert a new order with its offers and events."""
        row = _order_row(order)
        self._conn.execute(_INSERT_ORDER, row)
        self._loaded_orders[order.id] = row
        self.seen[order.id] = order
        self._save_offers(order)
        self._flush_events(order)

    def get(self, order_id: str, for_update: bool = True) -> Order | None:
        """The order, its rows locked for this transaction where the store supports it."""
        query = _ORDER_LOCKED if for_update else _ORDER
        row = self._conn.execute(query, {"id": order_id}).mappings().first()
        return None if row is None else self._load(row)

    def loaded(self, order_id: str) -> Order | None:
        """The order as this unit of work already holds it (locked), else loaded now."""
        return self.seen.get(order_id) or self.get(order_id)

    def get_by_offer(self, offer_id: str) -> Order | None:
        """The order that an offer belongs to, locked for this transaction."""
        order_id = self._conn.execute(_ORDER_OF_OFFER, {"id": offer_id}).scalar()
        return None if order_id is None else self.get(order_id)

    def waiting_for_dispatch(self, zone_ids: Iterable[str], limit: int) -> list[Order]:
        """Pending orders left to automatic dispatch in these zones, oldest first."""
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

        Offers of the whole page are loaded in one query; nothing is locked.
        """
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
        offers: dict[str, list[Offer]] = {row["id"]: [] for row in rows}
        if offers:
            offer_rows = self._conn.execute(_OFFERS_OF_ORDERS, {"ids": list(offers)}).mappings()
            for offer_row in offer_rows:
                offers[offer_row["order_id"]].append(_offer_from_row(offer_row))
        return [_order_from_row(row, offers[row["id"]]) for row in rows]

    def save(self, order: Order) -> None:
        """Write back what changed in the order and its offers, then its new events."""
        row = _order_row(order)
        changes = _changed(self._loaded_orders.get(order.id, {}), row)
        if changes:
            update_rows(self._conn, t.orders, [(order.id, changes)])
            self._loaded_orders[order.id] = row
        self._save_offers(order)
        self._flush_events(order)

    def get_many_by_offers(self, offer_ids: list[str]) -> dict[str, Order]:
        """Each offer's order, locked, with all its offers: three queries for a whole batch."""
        if not offer_ids:
            return {}
        owners = dict(self._conn.execute(_ORDERS_OF_OFFERS, {"ids": offer_ids}).all())
        order_ids = sorted(set(owners.values()) - set(self.seen))
        if order_ids:
            rows = self._conn.execute(_ORDERS_LOCKED, {"ids": order_ids}).mappings()
            self._load_all(list(rows))
        return {
            offer_id: self.seen[order_id]
            for offer_id, order_id in owners.items()
            if order_id in self.seen
        }

    def save_many(self, orders: Iterable[Order]) -> None:
        """Write back many orders at once: one UPDATE per shape of change, then their events."""
        order_changes: list[tuple[str, dict[str, Any]]] = []
        offer_changes: list[tuple[str, dict[str, Any]]] = []
        new_offers: list[dict[str, Any]] = []
        for order in orders:
            row = _order_row(order)
            changes = _changed(self._loaded_orders.get(order.id, {}), row)
            if changes:
                order_changes.append((order.id, changes))
                self._loaded_orders[order.id] = row
            for offer in order.offers:
                offer_row = _offer_row(offer)
                loaded = self._loaded_offers.get(offer.id)
                if loaded is None:
                    new_offers.append(offer_row)
                else:
                    changed = _changed(loaded, offer_row)
                    if not changed:
                        continue
                    offer_changes.append((offer.id, changed))
                self._loaded_offers[offer.id] = offer_row
            self._flush_events(order)
        update_rows(self._conn, t.orders, order_changes)
        if new_offers:
            insert_rows(self._conn, t.offers, new_offers)
        update_rows(self._conn, t.offers, offer_changes)

    def _save_offers(self, order: Order) -> None:
        for offer in order.offers:
            row = _offer_row(offer)
            loaded = self._loaded_offers.get(offer.id)
            if loaded is None:
                insert_rows(self._conn, t.offers, [row])
            else:
                changes = _changed(loaded, row)
                if not changes:
                    continue
                update_rows(self._conn, t.offers, [(offer.id, changes)])
            self._loaded_offers[offer.id] = row

    def _flush_events(self, order: Order) -> None:
        if order.events:
            self._events.append(order.events)
            order.events.clear()

    def _load(self, row: RowMapping) -> Order:
        if row["id"] not in self.seen:
            self._load_all([row])
        return self.seen[row["id"]]

    def _load_all(self, rows: list[RowMapping]) -> None:
        """Turn order rows into aggregates (their offers in one query) and remember them."""
        offers: dict[str, list[Offer]] = {row["id"]: [] for row in rows}
        if not offers:
            return
        offer_rows = self._conn.execute(_OFFERS_OF_ORDERS, {"ids": list(offers)}).mappings()
        for offer_row in offer_rows:
            self._loaded_offers[offer_row["id"]] = dict(offer_row)
            offers[offer_row["order_id"]].append(_offer_from_row(offer_row))
        for row in rows:
            order = _order_from_row(row, offers[row["id"]])
            self._loaded_orders[order.id] = dict(row)
            self.seen[order.id] = order


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


def _order_from_row(row: RowMapping, offers: list[Offer]) -> Order:
    return Order(
        id=row["id"],
        zone_id=row["zone_id"],
        customer=Customer(row["customer_name"], row["customer_phone"]),
        address=row["address"],
        location=Point(row["lat"], row["lon"]),
        product=row["product"],
        created_at=row["created_at"],
        tracking_token=row["tracking_token"],
        skills=tuple(row["skills"]),
        notes=row["notes"],
        external_ref=row["external_ref"],
        status=OrderStatus(row["status"]),
        installer_id=row["installer_id"],
        offers=offers,
        awaiting_dispatcher=bool(row["awaiting_dispatcher"]),
        flags=list(row["flags"]),
        follow_up=_follow_up_from_json(row["follow_up"]),
        accepted_at=row["accepted_at"],
        started_at=row["started_at"],
        completed_at=row["completed_at"],
        cancelled_at=row["cancelled_at"],
        cancel_reason=row["cancel_reason"],
        service_code_hash=row["service_code_hash"],
        service_code_failures=row["service_code_failures"],
        customer_notified_at=row["customer_notified_at"],
        photo_key=row["photo_key"],
        photo_taken_at=row["photo_taken_at"],
        completion_notes=row["completion_notes"],
    )


def _changed(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in after.items() if before.get(key) != value}


def _order_row(order: Order) -> dict[str, Any]:
    return {
        "id": order.id,
        "status": order.status.value,
        "zone_id": order.zone_id,
        "customer_name": order.customer.name,
        "customer_phone": order.customer.phone,
        "address": order.address,
        "lat": order.location.lat,
        "lon": order.location.lon,
        "product": order.product,
        "skills": list(order.skills),
        "notes": order.notes,
        "external_ref": order.external_ref,
        "installer_id": order.installer_id,
        "awaiting_dispatcher": order.awaiting_dispatcher,
        "flags": list(order.flags),
        "follow_up": _follow_up_json(order.follow_up),
        "needs_follow_up": order.needs_follow_up,
        "tracking_token": order.tracking_token,
        "created_at": order.created_at,
        "accepted_at": order.accepted_at,
        "started_at": order.started_at,
        "completed_at": order.completed_at,
        "cancelled_at": order.cancelled_at,
        "cancel_reason": order.cancel_reason,
        "service_code_hash": order.service_code_hash,
        "service_code_failures": order.service_code_failures,
        "customer_notified_at": order.customer_notified_at,
        "photo_key": order.photo_key,
        "photo_taken_at": order.photo_taken_at,
        "completion_notes": order.completion_notes,
    }


def _follow_up_json(follow_up: FollowUp | None) -> dict[str, Any] | None:
    if follow_up is None:
        return None
    return {
        "outcome": follow_up.outcome,
        "note": follow_up.note,
        "at": rfc3339(follow_up.at),
        "by": follow_up.by,
    }


def _follow_up_from_json(stored: dict[str, Any] | None) -> FollowUp | None:
    if stored is None:
        return None
    return FollowUp(
        stored["outcome"], stored.get("note"), parse_rfc3339(stored["at"]), stored["by"]
    )


def _offer_row(offer: Offer) -> dict[str, Any]:
    return {
        "id": offer.id,
        "order_id": offer.order_id,
        "installer_id": offer.installer_id,
        "status": offer.status.value,
        "attempt": offer.attempt,
        "ladder": ladder_json(offer.ladder),
        "policy_version": offer.policy_version,
        "next_step": offer.next_step,
        "next_step_at": offer.next_step_at,
        "sent_at": offer.sent_at,
        "last_step_at": offer.last_step_at,
        "ended_at": offer.ended_at,
        "end_reason": offer.end_reason,
    }


@lru_cache(maxsize=1024)
def _stored_ladder(steps: tuple[tuple[int, str, int], ...]) -> Ladder:
    """Offers share a handful of ladders: each is parsed and validated once per process."""
    return ladder_from_json(
        [
            {"after_s": after_s, "action": action, "amount": amount}
            for after_s, action, amount in steps
        ]
    )


def _offer_from_row(row: RowMapping) -> Offer:
    return Offer(
        id=row["id"],
        order_id=row["order_id"],
        installer_id=row["installer_id"],
        attempt=row["attempt"],
        ladder=_stored_ladder(
            tuple((s["after_s"], s["action"], s.get("amount", 0)) for s in row["ladder"])
        ),
        sent_at=row["sent_at"],
        status=OfferStatus(row["status"]),
        next_step=row["next_step"],
        next_step_at=row["next_step_at"],
        last_step_at=row["last_step_at"],
        ended_at=row["ended_at"],
        end_reason=row["end_reason"],
        policy_version=row["policy_version"],
    )
