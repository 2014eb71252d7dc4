"""Builders for pure domain tests: fixed moments, ladders, orders and offers in a chosen state.

Every state is reached through the domain's public methods, the way the service layer reaches
it, so a builder that stops working is itself a sign that a transition broke.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dispatchd.domain.escalation import EscalationStep, Ladder, StepAction
from dispatchd.domain.geo import Point
from dispatchd.domain.holds import SuspendReason
from dispatchd.domain.offers import Offer, OfferStatus
from dispatchd.domain.orders import CompletionProof, Customer, Order, OrderStatus

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
SHANGHAI = Point(31.23, 121.47)

REMIND = EscalationStep(300, StepAction.REMIND)
PENALIZE = EscalationStep(300, StepAction.PENALIZE, 2000)
REVOKE = EscalationStep(600, StepAction.REVOKE)

TWO_STEP = Ladder((REMIND, REVOKE))
THREE_STEP = Ladder((REMIND, PENALIZE, REVOKE))

STEP_FOR_ACTION = {
    StepAction.REMIND: REMIND,
    StepAction.PENALIZE: PENALIZE,
    StepAction.REVOKE: REVOKE,
}
ACTION_FOR_STATUS = {
    OfferStatus.REMINDED: StepAction.REMIND,
    OfferStatus.PENALIZED: StepAction.PENALIZE,
    OfferStatus.REVOKED: StepAction.REVOKE,
}


def at(seconds: float) -> datetime:
    """The fixed moment ``seconds`` after :data:`T0`."""
    return T0 + timedelta(seconds=seconds)


def ladder_of(*actions: StepAction) -> Ladder:
    """A ladder of these actions with the standard periods, closed by a revoke if needed."""
    steps = [STEP_FOR_ACTION[action] for action in actions]
    if not steps or steps[-1].action is not StepAction.REVOKE:
        steps.append(REVOKE)
    return Ladder(tuple(steps))


def new_order(order_id: str = "ord_1") -> Order:
    """A fresh pending order in zone ``zon_1``."""
    order = Order.create(
        order_id=order_id,
        zone_id="zon_1",
        customer=Customer("Li Lei", "+8613912345678"),
        address="1 Nanjing Road",
        location=SHANGHAI,
        product="Air conditioner KFR-35",
        now=T0,
        tracking_token="tok_" + order_id,
    )
    order.events.clear()
    return order


def offered_order(ladder: Ladder = THREE_STEP, installer_id: str = "ins_a") -> Order:
    """An order offered to one installer at :data:`T0`."""
    order = new_order()
    order.offer_to("ofr_1", installer_id, ladder, T0)
    order.events.clear()
    return order


def order_in(status: OrderStatus) -> Order:
    """An order brought to ``status`` through its public methods."""
    if status is OrderStatus.PENDING:
        return new_order()
    if status is OrderStatus.CANCELLED:
        order = new_order()
        order.cancel(at(1), "customer changed their mind")
        order.events.clear()
        return order
    order = offered_order()
    if status is OrderStatus.OFFERED:
        return order
    order.accept_offer("ofr_1", at(10))
    if status is OrderStatus.ACCEPTED:
        order.events.clear()
        return order
    if status is OrderStatus.SUSPENDED:
        order.suspend(SuspendReason.CUSTOMER_ABSENT, None, None, at(15))
        order.events.clear()
        return order
    order.start(at(20))
    if status is OrderStatus.IN_PROGRESS:
        order.events.clear()
        return order
    if status is OrderStatus.COMPLETED:
        order.complete(at(30), CompletionProof("pht_1", None, None, code_confirmed=True))
        order.events.clear()
        return order
    raise AssertionError(f"no builder for order status {status}")


def suspended_from(status: OrderStatus) -> Order:
    """An order put on hold while it was ``status`` (accepted or in progress)."""
    order = order_in(status)
    order.suspend(SuspendReason.PARTS_MISSING, "compressor", None, at(35))
    order.events.clear()
    return order


def offer_sent(ladder: Ladder = THREE_STEP, offer_id: str = "ofr_1") -> Offer:
    """An offer sent at :data:`T0` with this ladder."""
    return Offer.send(offer_id, "ord_1", "ins_a", 1, ladder, T0)


def offer_in(status: OfferStatus, then: StepAction = StepAction.REVOKE) -> Offer:
    """An offer brought to ``status`` whose following rung (if still active) is ``then``."""
    if status is OfferStatus.SENT:
        return offer_sent(ladder_of(then))
    if status in (OfferStatus.REMINDED, OfferStatus.PENALIZED):
        offer = offer_sent(ladder_of(ACTION_FOR_STATUS[status], then))
        assert offer.take_step(0, at(300)) is not None
        return offer
    offer = offer_sent(ladder_of(StepAction.REVOKE))
    if status is OfferStatus.ACCEPTED:
        offer.accept(at(10))
    elif status is OfferStatus.DECLINED:
        offer.decline(at(10), "too far")
    elif status is OfferStatus.WITHDRAWN:
        offer.withdraw(at(10), "reassigned")
    elif status is OfferStatus.REVOKED:
        assert offer.take_step(0, at(600)) is not None
    else:
        raise AssertionError(f"no builder for offer status {status}")
    assert offer.status is status
    return offer
