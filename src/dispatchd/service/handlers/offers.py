"""Offers: the installer's answer (accept or decline) and the ladder's rungs when none comes."""

from __future__ import annotations

from dispatchd.domain.escalation import CustomerNotice
from dispatchd.domain.offers import Offer
from dispatchd.domain.orders import Order
from dispatchd.service.commands import AcceptOffer, DeclineOffer
from dispatchd.service.context import Context
from dispatchd.service.customer_notice import tell_customer_who_is_coming
from dispatchd.service.errors import NotFound
from dispatchd.service.offering import (
    current_policy,
    dispatch,
    offer_waiting_orders_to_freed,
    stop_escalation,
)
from dispatchd.service.unit_of_work import UnitOfWork


def accept_offer(cmd: AcceptOffer, uow: UnitOfWork, ctx: Context) -> Order:
    """The installer confirms: the acceptance is stored and the order is theirs (S301)."""
    order, offer = _own_offer(uow, ctx, cmd.offer_id)
    _version, policy = current_policy(uow)
    order.accept_offer(offer.id, ctx.now, policy)
    uow.orders.save(order)
    stop_escalation(uow, offer)
    if policy.customer_notice is CustomerNotice.ON_ACCEPT or order.service_code_hash is None:
        tell_customer_who_is_coming(uow, order, offer.installer_id, ctx)
    return order


def decline_offer(cmd: DeclineOffer, uow: UnitOfWork, ctx: Context) -> Order:
    """The installer says no: the order goes to the next installer at once."""
    order, offer = _own_offer(uow, ctx, cmd.offer_id)
    order.decline_offer(offer.id, ctx.now, cmd.reason)
    uow.orders.save(order)
    stop_escalation(uow, offer)
    dispatch(uow, order, ctx)
    offer_waiting_orders_to_freed(uow, offer.installer_id, ctx)
    return order


def _own_offer(uow: UnitOfWork, ctx: Context, offer_id: str) -> tuple[Order, Offer]:
    """The caller's own offer and its order; anyone else's is reported as not found."""
    order = uow.orders.get_by_offer(offer_id)
    offer = order.offer(offer_id) if order else None
    if order is None or offer is None or offer.installer_id != ctx.actor.installer_id:
        raise NotFound("offer", offer_id)
    return order, offer
