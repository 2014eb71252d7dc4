"""Many due rungs at once: how the engine keeps up with thousands of offers a second.

The rules are the same as for one rung (:func:`run_escalation_step`) — the domain decides
each offer's step — but the reading and writing are done for the whole batch: three queries
load every order involved, and each kind of write (offer states, events, penalties, next
deadlines) is one statement for the batch. Revokes still re-dispatch order by order; an order
of the batch that an earlier revoke's sweep of waiting orders has already re-offered is left
as it is.
"""

from __future__ import annotations

from datetime import datetime

from dispatchd.domain.alerts import AlertType
from dispatchd.domain.deadlines import DeadlineKind
from dispatchd.domain.escalation import StepAction
from dispatchd.domain.ids import new_id
from dispatchd.domain.ledger import LATE_ACCEPTANCE_PENALTY, LedgerEntry
from dispatchd.domain.offers import Offer, StepTaken
from dispatchd.domain.orders import Order, OrderStatus
from dispatchd.service.alerting import raise_alert
from dispatchd.service.commands import EscalateDueOffers, RunEscalationStep
from dispatchd.service.context import Context
from dispatchd.service.offering import dispatch, offer_waiting_orders_to_freed, schedule_next_step
from dispatchd.service.unit_of_work import UnitOfWork


def escalate_due_offers(cmd: EscalateDueOffers, uow: UnitOfWork, ctx: Context) -> int:
    """Run every due rung of the batch (S203–S205); returns how many rungs took effect.

    Stale rungs (offer answered meanwhile, rung already run) change nothing, exactly as one
    at a time; every deadline of the batch is then done.
    """
    orders = uow.orders.get_many_by_offers([d.subject_id for d in cmd.deadlines])
    penalties: list[LedgerEntry] = []
    next_rungs: list[tuple[str, int, datetime]] = []
    revoked: list[tuple[Order, Offer]] = []
    for deadline in cmd.deadlines:
        order = orders.get(deadline.subject_id)
        taken = order.escalate(deadline.subject_id, deadline.step, ctx.now) if order else None
        if order is None or taken is None:
            continue
        offer = order.offer(deadline.subject_id)
        assert offer is not None
        if taken.action is StepAction.PENALIZE:
            penalties.append(late_acceptance_penalty(order, offer, taken))
        if taken.action is StepAction.REVOKE:
            revoked.append((order, offer))
        else:
            assert offer.next_step_at is not None
            next_rungs.append((offer.id, offer.next_step, offer.next_step_at))
    uow.orders.save_many({order.id: order for order in orders.values()}.values())
    uow.ledger.book_many(penalties)
    uow.deadlines.schedule_many(DeadlineKind.OFFER_STEP, next_rungs)
    uow.alerts.learn_open([order.id for order, _ in revoked], AlertType.NO_ELIGIBLE_INSTALLER)
    for order, offer in revoked:
        after_revoke(uow, order, offer, ctx)
    uow.deadlines.done_many(list(cmd.deadlines))
    return len(next_rungs) + len(revoked)


def run_escalation_step(cmd: RunEscalationStep, uow: UnitOfWork, ctx: Context) -> Order | None:
    """One rung comes due: remind (S203), penalize (S204) or revoke and re-dispatch (S205).

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
        uow.ledger.book(late_acceptance_penalty(order, offer, taken))
    if taken.action is StepAction.REVOKE:
        after_revoke(uow, order, offer, ctx)
    else:
        schedule_next_step(uow, offer)
    return order


def late_acceptance_penalty(order: Order, offer: Offer, taken: StepTaken) -> LedgerEntry:
    """The deduction a penalize rung books, unique per (offer, rung) in the ledger (S204)."""
    return LedgerEntry(
        id=new_id("led"),
        installer_id=offer.installer_id,
        amount=-taken.step.amount,
        reason=LATE_ACCEPTANCE_PENALTY,
        offer_id=offer.id,
        order_id=order.id,
        step=taken.index,
        at=taken.at,
    )


def after_revoke(uow: UnitOfWork, order: Order, offer: Offer, ctx: Context) -> None:
    """A revoked offer alerts the console and the order goes to the next installer (S205).

    The order is re-dispatched only if it is still pending (a batch may hold an order whose
    re-dispatch already happened).
    """
    raise_alert(uow, AlertType.OFFER_REVOKED, order, ctx, offer)
    if order.status is OrderStatus.PENDING:
        dispatch(uow, order, ctx)
    offer_waiting_orders_to_freed(uow, offer.installer_id, ctx)
