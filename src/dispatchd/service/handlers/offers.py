"""Offers: the installer's answer (accept or decline) and the ladder's rungs when none comes."""

from __future__ import annotations

from dispatchd.domain.escalation import CustomerNotice, StepAction
from dispatchd.domain.ids import new_id
from dispatchd.domain.offers import Offer
from dispatchd.domain.orders import Order
from dispatchd.service.commands import AcceptOffer, DeclineOffer, RunEscalationStep
from dispatchd.service.context import Context
from dispatchd.service.customer_notice import tell_customer_who_is_coming
from dispatchd.service.dispatching import (
    current_policy,
    dispatch,
    offer_waiting_orders_to_freed,
    raise_alert,
    schedule_next_step,
    stop_escalation,
)
from dispatchd.service.errors import NotFound
from dispatchd.service.unit_of_work import UnitOfWork
from dispatchd.store.alerts import AlertType
from dispatchd.store.ledger import LATE_ACCEPTANCE_PENALTY, LedgerEntry


def accept_offer(cmd: AcceptOffer, uow: UnitOfWork, ctx: Context) -> Order:
    """The installer confirms: the acceptance is stored and the order is theirs (S301)."""
    order, offer = _own_offer(uow, ctx, cmd.offer_id)
    order.accept_offer(offer.id, ctx.now)
    uow.orders.save(order)
    stop_escalation(uow, offer)
    _version, policy = current_policy(uow)
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


def run_escalation_step(cmd: RunEscalationStep, uow: UnitOfWork, ctx: Context) -> Order | None:
    """A rung comes due: remind (S203), penalize (S204) or revoke and re-dispatch (S205).

    A rung that no longer applies — the offer was answered, withdrawn, or this rung already
    ran — changes nothing, which is what makes firing a deadline twice harmless.
    """
    order = uow.orders.get_by_offer(cmd.offer_id)
    if order is None:
        return None
    taken = order.escalate(cmd.offer_id, cmd.step, ctx.now)
    if taken is None:
        return order
    offer = order.offer(cmd.offer_id)
    assert offer is not None
    uow.orders.save(order)
    if taken.action is StepAction.PENALIZE:
        uow.ledger.book(
            LedgerEntry(
                id=new_id("led"),
                installer_id=offer.installer_id,
                amount=-taken.step.amount,
                reason=LATE_ACCEPTANCE_PENALTY,
                offer_id=offer.id,
                order_id=order.id,
                step=taken.index,
                at=ctx.now,
            )
        )
    if taken.action is StepAction.REVOKE:
        raise_alert(uow, AlertType.OFFER_REVOKED, order, ctx, offer)
        dispatch(uow, order, ctx)
        offer_waiting_orders_to_freed(uow, offer.installer_id, ctx)
    else:
        schedule_next_step(uow, offer)
    return order


def _own_offer(uow: UnitOfWork, ctx: Context, offer_id: str) -> tuple[Order, Offer]:
    """The caller's own offer and its order; anyone else's is reported as not found."""
    order = uow.orders.get_by_offer(offer_id)
    offer = order.offer(offer_id) if order else None
    if order is None or offer is None or offer.installer_id != ctx.actor.installer_id:
        raise NotFound("offer", offer_id)
    return order, offer
