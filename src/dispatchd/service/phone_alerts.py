"""Which events make an installer's phone ring even when the app is closed (Web Push).

The live stream reaches an open app; a phone in a pocket needs a push. Pushes are outbox
messages written in the same transaction as the event, and only for installers who have
subscribed a phone.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, bindparam, select

from dispatchd.domain.events import EventName, OfferFacts, OfferPenalized, OfferSent, OrderEvent
from dispatchd.domain.messages import Channel
from dispatchd.domain.timefmt import rfc3339
from dispatchd.store import tables as t
from dispatchd.store.outbox import Outbox

PUSHED_EVENTS = {
    EventName.OFFER_SENT: "new_offer",
    EventName.OFFER_REMINDED: "reminder",
    EventName.OFFER_PENALIZED: "penalty",
    EventName.OFFER_REVOKED: "revoked",
    EventName.OFFER_WITHDRAWN: "withdrawn",
    EventName.ORDER_CANCELLED: "cancelled",
    EventName.ORDER_REASSIGNED: "reassigned",
    EventName.PROMISE_REMINDED: "promise_reminder",
    EventName.PROMISE_PENALIZED: "promise_penalty",
    EventName.ORDER_RESCHEDULE_REQUESTED: "reschedule_requested",
}
_SUBSCRIBED = (
    select(t.push_subscriptions.c.installer_id)
    .where(t.push_subscriptions.c.installer_id.in_(bindparam("ids", expanding=True)))
    .distinct()
)
INSISTENT = frozenset(
    {
        EventName.OFFER_SENT,
        EventName.OFFER_REMINDED,
        EventName.OFFER_PENALIZED,
        EventName.PROMISE_REMINDED,
    }
)


def queue_phone_pushes(
    conn: Connection, outbox: Outbox, events: Iterable[OrderEvent], known: dict[str, bool]
) -> None:
    """Add a push for each phone-worthy event whose installer has a subscribed phone.

    ``known`` remembers, for the transaction, which installers have a phone subscribed, so a
    batch asks the database once for the installers it has not seen yet.
    """
    wanted = [(e.installer_id, e) for e in events if e.installer_id and e.name in PUSHED_EVENTS]
    if not wanted:
        return
    learn_subscriptions(conn, {who for who, _ in wanted}, known)
    for installer_id, event in wanted:
        if known[installer_id]:
            outbox.enqueue(Channel.WEBPUSH, installer_id, _payload(event), event.order_id, event.at)


def learn_subscriptions(
    conn: Connection, installer_ids: Iterable[str], known: dict[str, bool]
) -> None:
    """Find out, in one query, which of these installers (not yet known) have a phone subscribed."""
    unknown = sorted(set(installer_ids) - set(known))
    if unknown:
        subscribed = set(conn.execute(_SUBSCRIBED, {"ids": unknown}).scalars())
        known.update((who, who in subscribed) for who in unknown)


def _payload(event: OrderEvent) -> dict[str, object]:
    offer = getattr(event, "offer", None)
    return {
        "kind": PUSHED_EVENTS[event.name],
        "event": event.name.value,
        "order_id": event.order_id,
        "offer_id": offer.offer_id if isinstance(offer, OfferFacts) else None,
        "amount": event.amount if isinstance(event, OfferPenalized) else None,
        "address": event.address if isinstance(event, OfferSent) else None,
        "insistent": event.name in INSISTENT,
        "at": rfc3339(event.at),
    }
