"""Offering: a pending order goes to the best installer, or a manager is told why it cannot.

Called wherever an order becomes pending (created, declined, revoked, withdrawn) and wherever
an installer becomes available (on duty, capacity freed), so no order waits unnoticed.
"""

from __future__ import annotations

from dispatchd.domain.alerts import AlertType
from dispatchd.domain.assignment import Candidate, OrderNeeds, choose_installer
from dispatchd.domain.deadlines import DeadlineKind
from dispatchd.domain.escalation import DEFAULT_POLICY, CustomerNotice, Policy
from dispatchd.domain.ids import new_id
from dispatchd.domain.offers import Offer
from dispatchd.domain.orders import Order
from dispatchd.service.alerting import raise_alert, settle_dispatch_alerts
from dispatchd.service.context import Context
from dispatchd.service.customer_notice import tell_customer_who_is_coming
from dispatchd.service.unit_of_work import UnitOfWork

WAITING_ORDERS_PER_TRIGGER = 50


def current_policy(uow: UnitOfWork) -> tuple[int, Policy]:
    """The policy new offers are sent under (the built-in default until one is stored)."""
    return uow.policies.current() or (0, DEFAULT_POLICY)


def order_needs(uow: UnitOfWork, order: Order, ctx: Context) -> OrderNeeds:
    """What the order asks of an installer, with every zone that contains its location."""
    return OrderNeeds(
        location=order.location,
        zone_ids=frozenset(
            ctx.zones_containing(uow, order.location) or ([order.zone_id] if order.zone_id else [])
        ),
        skills=frozenset(order.skills),
        excluded=order.excluded_installers,
    )


def dispatch(uow: UnitOfWork, order: Order, ctx: Context) -> Offer | None:
    """Offer a pending order automatically, unless it now waits for a manager (S205)."""
    version, policy = current_policy(uow)
    if order.awaiting_dispatcher:
        uow.orders.save(order)
        return None
    if order.lapsed_offers >= policy.max_auto_attempts:
        order.wait_for_dispatcher()
        uow.orders.save(order)
        raise_alert(uow, AlertType.NEEDS_DISPATCHER, order, ctx)
        return None
    needs = order_needs(uow, order, ctx)
    candidates = ctx.installer_map.candidates(uow, needs, ctx.now, policy.ranking)
    installer_id = choose_installer(needs, candidates, policy.ranking)
    while installer_id is not None and not _still_has_room(uow, installer_id, candidates):
        candidates = [c for c in candidates if c.installer_id != installer_id]
        installer_id = choose_installer(needs, candidates, policy.ranking)
    if installer_id is None:
        uow.orders.save(order)
        if uow.alerts.open_for_order(order.id, AlertType.NO_ELIGIBLE_INSTALLER) is None:
            raise_alert(uow, AlertType.NO_ELIGIBLE_INSTALLER, order, ctx)
        return None
    return send_offer(uow, order, installer_id, ctx, version, policy)


def _still_has_room(uow: UnitOfWork, installer_id: str, candidates: list[Candidate]) -> bool:
    """Whether the chosen installer still has room, counted again under a lock on PostgreSQL.

    Another process may have just offered them a job; automatic offers never go past capacity.
    """
    recount = uow.installers.recount_under_lock(installer_id)
    capacity = next(c.capacity for c in candidates if c.installer_id == installer_id)
    return recount is None or recount < capacity


def send_offer(
    uow: UnitOfWork,
    order: Order,
    installer_id: str,
    ctx: Context,
    version: int,
    policy: Policy,
) -> Offer:
    """Send the order to one installer with the policy's ladder, and schedule its first rung.

    The order's alerts asking for an installer are settled by the offer.
    """
    offer = order.offer_to(new_id("ofr"), installer_id, policy.escalation, ctx.now, version)
    uow.orders.save(order)
    schedule_next_step(uow, offer)
    settle_dispatch_alerts(uow, order, ctx)
    if policy.customer_notice is CustomerNotice.ON_OFFER:
        tell_customer_who_is_coming(uow, order, installer_id, ctx)
    return offer


def schedule_next_step(uow: UnitOfWork, offer: Offer) -> None:
    """Write the deadline for the offer's next rung, in the caller's transaction."""
    assert offer.next_step_at is not None
    uow.deadlines.schedule(DeadlineKind.OFFER_STEP, offer.id, offer.next_step, offer.next_step_at)


def stop_escalation(uow: UnitOfWork, offer: Offer) -> None:
    """Forget the offer's pending rung once it has been answered or taken back."""
    uow.deadlines.cancel(DeadlineKind.OFFER_STEP, offer.id)


def dispatch_waiting_orders(uow: UnitOfWork, zone_ids: list[str], ctx: Context) -> None:
    """Someone became available in these zones: offer them the oldest orders still waiting."""
    if not zone_ids:
        return
    for order in uow.orders.waiting_for_dispatch(zone_ids, WAITING_ORDERS_PER_TRIGGER):
        dispatch(uow, order, ctx)


def offer_waiting_orders_to_freed(uow: UnitOfWork, installer_id: str, ctx: Context) -> None:
    """An installer has room again: orders waiting in their zones may now go to them.

    Only an installer on this process's map of on-duty installers is looked up at all.
    """
    ctx.installer_map.sync(uow, ctx.now)
    if not ctx.installer_map.index.has(installer_id) and installer_id not in uow.installers.touched:
        return
    installer = uow.installers.get(installer_id)
    if installer is not None and installer.on_duty:
        dispatch_waiting_orders(uow, installer.zone_ids, ctx)
