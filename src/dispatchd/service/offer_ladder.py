"""The offer's ladder run for a batch of due rungs at once: remind (S203), penalize (S204),
revoke and re-dispatch (S205).

The rules are the offer's own (``Offer.take_step``); what is set-based is the reading and the
writing: one query loads the offers of the batch with their orders' zones, and each kind of
write — offer states, events, next deadlines — is one statement for the whole batch. The
penalty booking and the phone pushes follow as reactions to the rungs' events. A revoke
changes the order too and sends it on to the next installer, so revokes take the road of the
full order: loaded together, revoked and re-dispatched one after the other.
"""

from __future__ import annotations

from datetime import datetime

from dispatchd.domain.alerts import AlertType
from dispatchd.domain.deadlines import Deadline
from dispatchd.domain.escalation import StepAction
from dispatchd.domain.events import OrderEvent
from dispatchd.domain.offers import Offer
from dispatchd.domain.orders import ladder_step_event
from dispatchd.service.context import Context
from dispatchd.service.phone_alerts import learn_subscriptions
from dispatchd.service.reactions import react
from dispatchd.service.unit_of_work import UnitOfWork


def run_offer_steps(uow: UnitOfWork, due: list[Deadline], ctx: Context) -> int:
    """Run the batch's due rungs; returns how many took effect (stale ones change nothing)."""
    found = uow.offer_steps.load([deadline.subject_id for deadline in due])
    advanced: list[tuple[Deadline, Offer]] = []
    revoking: list[Deadline] = []
    events: list[OrderEvent] = []
    for deadline in due:
        at_step = found.get(deadline.subject_id)
        if at_step is None or not _is_due(at_step.offer, deadline):
            continue
        offer = at_step.offer
        if offer.ladder.step(deadline.step).action is StepAction.REVOKE:
            revoking.append(deadline)
            continue
        taken = offer.take_step(deadline.step, ctx.now)
        assert taken is not None
        events.append(ladder_step_event(offer, taken, at_step.zone_id))
        advanced.append((deadline, offer))
    uow.events.append(events)
    uow.offer_steps.save(offer for _, offer in advanced)
    uow.deadlines.advance_many([(d, offer.next_step, _next(offer)) for d, offer in advanced])
    revoked = _revoke(uow, revoking, ctx)
    moved_on = {deadline.id for deadline, _ in advanced}
    uow.deadlines.done_many([deadline for deadline in due if deadline.id not in moved_on])
    return len(advanced) + revoked


def _is_due(offer: Offer, deadline: Deadline) -> bool:
    return offer.is_active and offer.next_step == deadline.step


def _next(offer: Offer) -> datetime:
    assert offer.next_step_at is not None, "a rung that is not the revoke has a rung after it"
    return offer.next_step_at


def _revoke(uow: UnitOfWork, due: list[Deadline], ctx: Context) -> int:
    """No confirmation in time: the offers end and their orders go on (S205).

    The orders are loaded together (with which of their installers have a phone to ring),
    but revoked one after the other, each followed at once by
    its reactions (the alert, the re-dispatch): an order re-offered by one revoke is then seen
    as such by the next, exactly as if the rungs had come due one at a time.
    """
    if not due:
        return 0
    orders = uow.orders.get_many_by_offers([deadline.subject_id for deadline in due])
    uow.alerts.learn_open([order.id for order in orders.values()], AlertType.NO_ELIGIBLE_INSTALLER)
    learn_subscriptions(
        uow.conn,
        {offer.installer_id for order in orders.values() for offer in order.offers},
        uow.subscribed_phones,
    )
    revoked = 0
    for deadline in due:
        order = orders.get(deadline.subject_id)
        if order is None or order.escalate(deadline.subject_id, deadline.step, ctx.now) is None:
            continue
        uow.orders.save(order)
        react(uow, ctx)
        revoked += 1
    return revoked
