"""How things look to the caller: domain objects turned into the contract's JSON shapes.

Visibility is decided here too: an installer looking at an order they do not hold sees the
customer masked, and nobody but the console sees the tracking link.
"""

from __future__ import annotations

from typing import Any

from dispatchd.domain.alerts import Alert
from dispatchd.domain.escalation import StepAction
from dispatchd.domain.installers import Installer
from dispatchd.domain.ledger import LedgerEntry
from dispatchd.domain.offers import Offer
from dispatchd.domain.orders import Order
from dispatchd.domain.timefmt import rfc3339, rfc3339_or_none
from dispatchd.service.actors import Actor
from dispatchd.store.event_log import LoggedEvent
from dispatchd.store.users import UserRecord
from dispatchd.store.zones import ZoneRecord


def offer_view(offer: Offer, order: Order | None = None) -> dict[str, Any]:
    """An offer, with what comes next on its ladder; with ``order``, a summary for the app."""
    view: dict[str, Any] = {
        "id": offer.id,
        "order_id": offer.order_id,
        "installer_id": offer.installer_id,
        "status": offer.status.value,
        "sent_at": rfc3339(offer.sent_at),
        "next_step_at": rfc3339_or_none(offer.next_step_at),
        "attempt": offer.attempt,
        "next_action": None,
        "next_amount": None,
        "ended_at": rfc3339_or_none(offer.ended_at),
    }
    if offer.is_active:
        step = offer.ladder.step(offer.next_step)
        view["next_action"] = step.action.value
        view["next_amount"] = step.amount if step.action is StepAction.PENALIZE else None
    if order is not None:
        view["order"] = {
            "address": order.address,
            "location": {"lat": order.location.lat, "lon": order.location.lon},
            "product": order.product,
            "skills": list(order.skills),
            "notes": order.notes,
        }
    return view


def order_view(
    order: Order,
    actor: Actor,
    public_url: str,
    events: list[LoggedEvent] | None = None,
    with_offers: bool = False,
) -> dict[str, Any]:
    """An order as the actor may see it; the detail view adds offers and events."""
    holder = actor.installer_id is None or order.installer_id == actor.installer_id
    current = order.current_offer
    if current is not None and actor.installer_id not in (None, current.installer_id):
        current = None
    view: dict[str, Any] = {
        "id": order.id,
        "status": order.status.value,
        "zone_id": order.zone_id,
        "customer": {
            "name": order.customer.name if holder else _mask_name(order.customer.name),
            "phone": order.customer.phone if holder else _mask_phone(order.customer.phone),
        },
        "address": order.address,
        "location": {"lat": order.location.lat, "lon": order.location.lon},
        "product": order.product,
        "skills": list(order.skills),
        "notes": order.notes,
        "external_ref": order.external_ref if actor.installer_id is None else None,
        "installer_id": order.installer_id,
        "current_offer": offer_view(current) if current else None,
        "attempts": order.attempts,
        "awaiting_dispatcher": order.awaiting_dispatcher,
        "flags": list(order.flags),
        "follow_up": _follow_up(order),
        "created_at": rfc3339(order.created_at),
        "accepted_at": rfc3339_or_none(order.accepted_at),
        "started_at": rfc3339_or_none(order.started_at),
        "completed_at": rfc3339_or_none(order.completed_at),
        "cancelled_at": rfc3339_or_none(order.cancelled_at),
        "tracking_url": (
            f"{public_url}/t/{order.tracking_token}" if actor.installer_id is None else None
        ),
    }
    if with_offers:
        view["offers"] = [
            offer_view(offer)
            for offer in order.offers
            if actor.installer_id is None or offer.installer_id == actor.installer_id
        ]
    if events is not None:
        view["events"] = [event_view(event) for event in events]
    return view


def event_view(event: LoggedEvent) -> dict[str, Any]:
    """One entry of an order's history."""
    return {
        "id": event.id,
        "event": event.name,
        "order_id": event.order_id,
        "installer_id": event.installer_id,
        "at": rfc3339(event.at),
        "data": event.data,
    }


def installer_view(installer: Installer, active_jobs: int, balance: int) -> dict[str, Any]:
    """An installer with workload and balance."""
    location = None
    if installer.location is not None and installer.location_at is not None:
        location = {
            "lat": installer.location.lat,
            "lon": installer.location.lon,
            "at": rfc3339(installer.location_at),
            "accuracy_m": installer.accuracy_m,
        }
    return {
        "id": installer.id,
        "name": installer.name,
        "phone": installer.phone,
        "zone_ids": list(installer.zone_ids),
        "capacity": installer.capacity,
        "skills": list(installer.skills),
        "on_duty": installer.on_duty,
        "location": location,
        "active_jobs": active_jobs,
        "balance": balance,
    }


def zone_view(zone: ZoneRecord) -> dict[str, Any]:
    """A zone."""
    return {"id": zone.id, "name": zone.name, "boundary": zone.boundary}


def alert_view(alert: Alert) -> dict[str, Any]:
    """An inbox item."""
    return {
        "id": alert.id,
        "type": alert.type.value,
        "order_id": alert.order_id,
        "offer_id": alert.offer_id,
        "installer_id": alert.installer_id,
        "zone_id": alert.zone_id,
        "detail": alert.detail,
        "at": rfc3339(alert.at),
        "acknowledged_at": rfc3339_or_none(alert.acknowledged_at),
    }


def ledger_entry_view(entry: LedgerEntry) -> dict[str, Any]:
    """One ledger booking."""
    return {
        "id": entry.id,
        "amount": entry.amount,
        "reason": entry.reason,
        "offer_id": entry.offer_id,
        "order_id": entry.order_id,
        "at": rfc3339(entry.at),
    }


def user_view(user: UserRecord) -> dict[str, Any]:
    """An account without its secret."""
    return {
        "id": user.id,
        "username": user.username,
        "role": user.role,
        "installer_id": user.installer_id,
        "zone_ids": list(user.zone_ids),
    }


def _mask_name(name: str) -> str:
    return name[:1] + "*" * max(1, len(name) - 1)


def _mask_phone(phone: str) -> str:
    return phone[:4] + "*" * max(0, len(phone) - 8) + phone[-4:] if len(phone) > 8 else "****"


def _follow_up(order: Order) -> dict[str, Any] | None:
    follow_up = order.follow_up
    if follow_up is None:
        return None
    return {
        "outcome": follow_up.outcome,
        "note": follow_up.note,
        "at": rfc3339(follow_up.at),
        "by": follow_up.by,
    }
