"""How events look on the wire: the one place a domain event becomes the JSON the log keeps.

The same ``data`` is stored in the event log, streamed over Server-Sent Events, replayed on
reconnect and shown in an order's history, so this module is the event part of the public
contract: times as RFC 3339 in UTC, positions as ``{"lat", "lon"}``, states by their names.
"""

from __future__ import annotations

from functools import singledispatch
from typing import Any

from dispatchd.domain import events as e
from dispatchd.domain.timefmt import rfc3339, rfc3339_or_none


def event_row(event: e.OrderEvent) -> dict[str, Any]:
    """The event as a row of the ``events`` table (its id is drawn on insert)."""
    return {
        "name": event.name.value,
        "order_id": event.order_id,
        "installer_id": event.installer_id,
        "zone_id": event.zone_id,
        "data": event_data(event),
        "at": event.at,
    }


@singledispatch
def event_data(event: e.OrderEvent) -> dict[str, Any]:
    """The event's ``data`` object as clients receive it."""
    raise TypeError(f"no wire format for {type(event).__name__}")


def _offer(facts: e.OfferFacts) -> dict[str, Any]:
    return {
        "offer_id": facts.offer_id,
        "status": facts.status.value,
        "attempt": facts.attempt,
        "sent_at": rfc3339(facts.sent_at),
        "next_step_at": rfc3339_or_none(facts.next_step_at),
    }


@event_data.register
def _created(event: e.OrderCreated) -> dict[str, Any]:
    return {"status": event.status.value}


@event_data.register
def _sent(event: e.OfferSent) -> dict[str, Any]:
    return {
        **_offer(event.offer),
        "address": event.address,
        "product": event.product,
        "location": {"lat": event.location.lat, "lon": event.location.lon},
        "notes": event.notes,
    }


@event_data.register
def _step(event: e.LadderStepTaken) -> dict[str, Any]:
    data = {**_offer(event.offer), "step": event.step, "action": event.action.value}
    if isinstance(event, e.OfferPenalized):
        data["amount"] = event.amount
    return data


@event_data.register
def _accepted(event: e.OfferAccepted) -> dict[str, Any]:
    return _offer(event.offer)


@event_data.register
def _declined(event: e.OfferDeclined) -> dict[str, Any]:
    return {**_offer(event.offer), "reason": event.reason}


@event_data.register
def _withdrawn(event: e.OfferWithdrawn) -> dict[str, Any]:
    return {**_offer(event.offer), "reason": event.reason}


@event_data.register
def _notified(event: e.CustomerNotified) -> dict[str, Any]:
    return {"channel": event.channel, "message_id": event.message_id}


@event_data.register
def _started(event: e.OrderStarted) -> dict[str, Any]:
    return {"status": event.status.value}


@event_data.register
def _completed(event: e.OrderCompleted) -> dict[str, Any]:
    return {
        "status": event.status.value,
        "flags": list(event.flags),
        "has_photo": event.has_photo,
        "fee": event.fee,
    }


@event_data.register
def _flagged(event: e.OrderFlagged) -> dict[str, Any]:
    return {"flag": event.flag}


@event_data.register
def _followed_up(event: e.FollowUpResolved) -> dict[str, Any]:
    return {"outcome": event.outcome, "flags": list(event.flags)}


@event_data.register
def _cancelled(event: e.OrderCancelled) -> dict[str, Any]:
    return {"status": event.status.value, "reason": event.reason}


@event_data.register
def _alert(event: e.AlertRaised) -> dict[str, Any]:
    return {
        "alert_id": event.alert_id,
        "type": event.type.value,
        "offer_id": event.offer_id,
        "installer_id": event.alerted_about,
        "detail": event.detail,
    }


@event_data.register
def _alert_closed(event: e.AlertClosed) -> dict[str, Any]:
    return {"alert_id": event.alert_id, "type": event.type.value, "reason": event.reason.value}


@event_data.register
def _appointment_set(event: e.AppointmentSet) -> dict[str, Any]:
    return {
        "window_start": rfc3339(event.window_start),
        "window_end": rfc3339(event.window_end),
    }


@event_data.register
def _appointment_moved(event: e.AppointmentMoved) -> dict[str, Any]:
    return {
        "window_start": rfc3339(event.window_start),
        "window_end": rfc3339(event.window_end),
        "reason": event.reason,
        "moves": event.moves,
    }


@event_data.register
def _on_the_way(event: e.OnTheWay) -> dict[str, Any]:
    return {}


@event_data.register
def _rated(event: e.OrderRated) -> dict[str, Any]:
    return {"stars": event.stars, "comment": event.comment}


@event_data.register
def _reschedule_requested(event: e.RescheduleRequested) -> dict[str, Any]:
    return {"reason": event.reason, "preferred_start": rfc3339_or_none(event.preferred_start)}


@event_data.register
def _suspended(event: e.OrderSuspended) -> dict[str, Any]:
    return {
        "reason": event.reason,
        "note": event.note,
        "until": rfc3339_or_none(event.until),
        "from_status": event.from_status.value,
    }


@event_data.register
def _resumed(event: e.OrderResumed) -> dict[str, Any]:
    return {"status": event.status.value}


@event_data.register
def _handed_back(event: e.OrderHandedBack) -> dict[str, Any]:
    return {"reason": event.reason}


@event_data.register
def _reassigned(event: e.OrderReassigned) -> dict[str, Any]:
    return {"reason": event.reason, "by": event.by}


@event_data.register
def _promise_step(event: e.PromiseStepRan) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": event.kind.value,
        "step": event.step,
        "action": event.action.value,
    }
    if isinstance(event, e.PromisePenalized):
        data["amount"] = event.amount
    return data


@event_data.register
def _promise_kept(event: e.PromiseKept) -> dict[str, Any]:
    return {"kind": event.kind.value}
