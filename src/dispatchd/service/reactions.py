"""Follow-up effects: what each event causes, in one table.

A rung that penalizes books the deduction; a revoke alerts the console and sends the order on
to the next installer; a completion credits the job's fee; a breached promise alerts the
console and a kept one closes that alert; whatever the installer's phone must hear about
rings it through Web Push. These are reactions to the events that cause them, run in the
same transaction as the change, after its command and before its commit — and for a batch
of events at once, so a batch of penalties is one ledger write and a batch of pushes one
subscription lookup.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from dispatchd.domain.alerts import AlertType
from dispatchd.domain.events import (
    AppointmentMoved,
    OfferPenalized,
    OfferReminded,
    OfferRevoked,
    OfferSent,
    OfferWithdrawn,
    OrderCancelled,
    OrderCompleted,
    OrderEvent,
    OrderHandedBack,
    OrderReassigned,
    PromiseBreached,
    PromiseKept,
    PromisePenalized,
    PromiseReminded,
    RescheduleRequested,
)
from dispatchd.domain.ids import new_id
from dispatchd.domain.ledger import job_fee, late_acceptance_penalty, promise_penalty
from dispatchd.domain.orders import OrderStatus
from dispatchd.service.alerting import raise_alert, raise_alert_about, settle_alerts
from dispatchd.service.context import Context
from dispatchd.service.offering import dispatch, offer_waiting_orders_to_freed
from dispatchd.service.phone_alerts import queue_phone_pushes
from dispatchd.service.unit_of_work import UnitOfWork

Reaction = Callable[[UnitOfWork, Sequence[Any], Context], None]


def book_penalties(uow: UnitOfWork, events: Sequence[OfferPenalized], ctx: Context) -> None:
    """Each penalty rung's deduction, booked at the moment it was sent (S204), once."""
    uow.ledger.book_many(
        [
            late_acceptance_penalty(
                new_id("led"),
                event.installer_id or "",
                event.amount,
                event.offer.offer_id,
                event.order_id,
                event.step,
                event.at,
            )
            for event in events
        ]
    )


def alert_and_redispatch(uow: UnitOfWork, events: Sequence[OfferRevoked], ctx: Context) -> None:
    """A revoked offer alerts the console; the order goes on to the next installer (S205).

    The installer who let it lapse is free again, so orders waiting in their zones may now go
    to them. An order already re-offered (say, by an earlier revoke's sweep) is left as it is.
    """
    uow.alerts.learn_open([event.order_id for event in events], AlertType.NO_ELIGIBLE_INSTALLER)
    for event in events:
        order = uow.orders.loaded(event.order_id)
        if order is None:
            continue
        offer = order.offer(event.offer.offer_id)
        raise_alert(uow, AlertType.OFFER_REVOKED, order, ctx, offer)
        if order.status is OrderStatus.PENDING:
            dispatch(uow, order, ctx)
        if event.installer_id is not None:
            offer_waiting_orders_to_freed(uow, event.installer_id, ctx)


def credit_job_fees(uow: UnitOfWork, events: Sequence[OrderCompleted], ctx: Context) -> None:
    """A completed job earns its installer the order's fee, credited once per order."""
    uow.ledger.book_many(
        [
            job_fee(new_id("led"), event.installer_id, event.fee, event.order_id, event.at)
            for event in events
            if event.fee > 0 and event.installer_id is not None
        ]
    )


def book_promise_penalties(
    uow: UnitOfWork, events: Sequence[PromisePenalized], ctx: Context
) -> None:
    """Each penalty step of a promise, booked once per (order, promise, step)."""
    uow.ledger.book_many(
        [
            promise_penalty(
                new_id("led"),
                event.installer_id or "",
                event.amount,
                event.kind.penalty_reason,
                event.order_id,
                event.kind.value,
                event.step,
                event.at,
            )
            for event in events
        ]
    )


def alert_breaches(uow: UnitOfWork, events: Sequence[PromiseBreached], ctx: Context) -> None:
    """A promise not kept in time goes to the console's inbox, naming the promise."""
    for event in events:
        raise_alert_about(
            uow,
            AlertType.PROMISE_BREACHED,
            event.order_id,
            event.zone_id,
            ctx,
            installer_id=event.installer_id,
            detail=event.kind.value,
        )


def settle_kept_promises(uow: UnitOfWork, events: Sequence[PromiseKept], ctx: Context) -> None:
    """A promise kept at last: its breach alert needs nobody any more."""
    for event in events:
        settle_alerts(
            uow, event.order_id, [AlertType.PROMISE_BREACHED], ctx, detail=event.kind.value
        )


def alert_hand_backs(uow: UnitOfWork, events: Sequence[OrderHandedBack], ctx: Context) -> None:
    """A job given back goes to the console's inbox with the reason (until it is re-offered)."""
    for event in events:
        raise_alert_about(
            uow,
            AlertType.JOB_HANDED_BACK,
            event.order_id,
            event.zone_id,
            ctx,
            installer_id=event.installer_id,
            detail=event.reason,
        )


def settle_reschedule_requests(
    uow: UnitOfWork, events: Sequence[AppointmentMoved], ctx: Context
) -> None:
    """The window moved: a customer's request to reschedule has been answered."""
    for event in events:
        settle_alerts(uow, event.order_id, [AlertType.RESCHEDULE_REQUESTED], ctx)


def ring_phones(uow: UnitOfWork, events: Sequence[OrderEvent], ctx: Context) -> None:
    """Events the installer's phone must hear of even when the app is closed: Web Push."""
    queue_phone_pushes(uow.conn, uow.outbox, events, uow.subscribed_phones)


REACTIONS: dict[type[OrderEvent], tuple[Reaction, ...]] = {
    OfferSent: (ring_phones,),
    OfferReminded: (ring_phones,),
    OfferPenalized: (book_penalties, ring_phones),
    OfferRevoked: (alert_and_redispatch, ring_phones),
    OfferWithdrawn: (ring_phones,),
    OrderCancelled: (ring_phones,),
    OrderCompleted: (credit_job_fees,),
    OrderHandedBack: (alert_hand_backs,),
    OrderReassigned: (ring_phones,),
    AppointmentMoved: (settle_reschedule_requests,),
    RescheduleRequested: (ring_phones,),
    PromiseReminded: (ring_phones,),
    PromisePenalized: (book_promise_penalties, ring_phones),
    PromiseBreached: (alert_breaches,),
    PromiseKept: (settle_kept_promises,),
}


def react(uow: UnitOfWork, ctx: Context) -> None:
    """Run every reaction to the events not yet reacted to, until no new event comes up.

    Events of a pass are grouped by reaction, in the order they happened; events the
    reactions themselves cause (an alert, a new offer) get their own pass.
    """
    while events := uow.unreacted_events():
        batches: dict[Reaction, list[OrderEvent]] = {}
        for event in events:
            for reaction in REACTIONS.get(type(event), ()):
                batches.setdefault(reaction, []).append(event)
        for reaction, batch in batches.items():
            reaction(uow, batch, ctx)
