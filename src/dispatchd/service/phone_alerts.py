"""Which events make an installer's phone ring even when the app is closed (Web Push).

The live stream reaches an open app; a phone in a pocket needs a push. Pushes are outbox
messages written in the same transaction as the event, and only for installers who have
subscribed a phone.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, bindparam, select

from dispatchd.domain.events import EventName
from dispatchd.domain.timefmt import rfc3339
from dispatchd.store import tables as t
from dispatchd.store.outbox import Channel, Outbox

PUSHED_EVENTS = {
    EventName.OFFER_SENT: "new_offer",
    EventName.OFFER_REMINDED: "reminder",
    EventName.OFFER_PENALIZED: "penalty",
    EventName.OFFER_REVOKED: "revoked",
    EventName.OFFER_WITHDRAWN: "withdrawn",
    EventName.ORDER_CANCELLED: "cancelled",
}
_SUBSCRIBED = (
    select(t.push_subscriptions.c.installer_id)
    .where(t.push_subscriptions.c.installer_id.in_(bindparam("ids", expanding=True)))
    .distinct()
)
INSISTENT = frozenset({EventName.OFFER_SENT, EventName.OFFER_REMINDED, EventName.OFFER_PENALIZED})


def queue_phone_pushes(conn: Connection, outbox: Outbox, events: Iterable[dict[str, Any]]) -> None:
    """Add a push for each phone-worthy event whose installer has a subscribed phone.

    ``events`` are the transaction's event rows about to be written; one query finds which
    of their installers have a phone subscribed.
    """
    wanted = [e for e in events if e["installer_id"] and e["name"] in PUSHED_EVENTS]
    if not wanted:
        return
    subscribed = set(
        conn.execute(_SUBSCRIBED, {"ids": sorted({e["installer_id"] for e in wanted})}).scalars()
    )
    for event in wanted:
        if event["installer_id"] in subscribed:
            outbox.enqueue(
                Channel.WEBPUSH,
                event["installer_id"],
                _payload(event),
                event["order_id"],
                event["at"],
            )


def _payload(event: dict[str, Any]) -> dict[str, object]:
    name = EventName(event["name"])
    data = event["data"]
    return {
        "kind": PUSHED_EVENTS[name],
        "event": name.value,
        "order_id": event["order_id"],
        "offer_id": data.get("offer_id"),
        "amount": data.get("amount"),
        "address": data.get("address"),
        "insistent": name in INSISTENT,
        "at": rfc3339(event["at"]),
    }
