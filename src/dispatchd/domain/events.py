"""Events: the past-tense facts every state change leaves behind.

They are appended to the event log in the same transaction as the change, streamed to the
clients, and replayed to a client that reconnects; the names are the public contract.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class EventName(StrEnum):
    """Every event name of ``shared/API.md`` (plus ``ledger.booked`` for the installer's app)."""

    ORDER_CREATED = "order.created"
    OFFER_SENT = "offer.sent"
    OFFER_REMINDED = "offer.reminded"
    OFFER_PENALIZED = "offer.penalized"
    OFFER_REVOKED = "offer.revoked"
    OFFER_ACCEPTED = "offer.accepted"
    OFFER_DECLINED = "offer.declined"
    OFFER_WITHDRAWN = "offer.withdrawn"
    CUSTOMER_NOTIFIED = "customer.notified"
    ORDER_STARTED = "order.started"
    ORDER_COMPLETED = "order.completed"
    ORDER_FLAGGED = "order.flagged"
    ORDER_FOLLOW_UP_RESOLVED = "order.follow_up_resolved"
    ORDER_CANCELLED = "order.cancelled"
    ALERT_RAISED = "alert.raised"


@dataclass(frozen=True)
class Event:
    """A fact about one order, addressed to whoever may see it.

    ``installer_id`` names the installer the event concerns (they see it on their phone);
    ``zone_id`` decides which managers see it.
    """

    name: EventName
    order_id: str
    at: datetime
    zone_id: str | None = None
    installer_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
