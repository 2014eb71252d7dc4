"""Orders: creating service requests, manual assignment and cancellation."""

from __future__ import annotations

from dispatchd.domain.alerts import AlertType
from dispatchd.domain.errors import FieldError, InvalidInput, NotAllowed
from dispatchd.domain.ids import new_id, new_secret_token
from dispatchd.domain.orders import HELD_STATUSES, Customer, Order, OrderStatus
from dispatchd.service.actors import Actor
from dispatchd.service.alerting import settle_alerts
from dispatchd.service.commands import AssignOrder, CancelOrder, CreateOrder
from dispatchd.service.context import Context
from dispatchd.service.errors import Conflict, NotFound
from dispatchd.service.handlers.installers import visible_installer
from dispatchd.service.offering import (
    current_policy,
    dispatch,
    offer_waiting_orders_to_freed,
    send_offer,
    stop_escalation,
)
from dispatchd.service.phones import normalize_phone
from dispatchd.service.unit_of_work import UnitOfWork


def create_order(cmd: CreateOrder, uow: UnitOfWork, ctx: Context) -> Order:
    """Place the request in the zone containing it and offer it at once (S201).

    A location outside every zone is still a customer who paid: the order is kept without a
    zone and the console is alerted that nobody can take it (only unrestricted managers see
    it), instead of refusing it at the door.
    """
    phone = normalize_phone(cmd.customer_phone, ctx.settings.phone_region, "customer.phone")
    zone_ids = ctx.zones_containing(uow, cmd.location)
    visible = [zone_id for zone_id in zone_ids if ctx.actor.sees_zone(zone_id)]
    if not ctx.actor.sees_zone(visible[0] if visible else None):
        raise NotAllowed("the order's location lies outside your zones")
    order = Order.create(
        order_id=new_id("ord"),
        zone_id=visible[0] if visible else None,
        customer=Customer(cmd.customer_name, phone),
        address=cmd.address,
        location=cmd.location,
        product=cmd.product,
        now=ctx.now,
        tracking_token=new_secret_token(),
        skills=tuple(sorted(set(cmd.skills))),
        notes=cmd.notes,
        external_ref=cmd.external_ref,
        fee=cmd.fee,
    )
    uow.orders.add(order)
    uow.alerts.new_order(order.id)
    dispatch(uow, order, ctx)
    return order


def assign_order(cmd: AssignOrder, uow: UnitOfWork, ctx: Context) -> Order:
    """A manager's choice overrides the rules: the order is offered to the chosen installer.

    A live offer is withdrawn first. An order someone holds (accepted, suspended, started) is
    taken from them — which needs a reason — and their phone drops it; the service code stays
    valid for whoever completes the job.
    """
    order = visible_order(uow, ctx.actor, cmd.order_id)
    installer = visible_installer(uow, ctx.actor, cmd.installer_id)
    freed: str | None = None
    if order.status in HELD_STATUSES:
        reason = (cmd.reason or "").strip()
        if not reason:
            raise InvalidInput(
                [
                    FieldError(
                        "reason",
                        f"order {order.id} is {order.status.value}: say why the job is taken "
                        "from its installer",
                        "note_required",
                    )
                ]
            )
        freed = order.take_away(reason, ctx.now, ctx.actor.user_id)
    elif order.status not in (OrderStatus.PENDING, OrderStatus.OFFERED):
        raise Conflict(
            f"order {order.id} is {order.status.value}; only an open order can be assigned"
        )
    else:
        previous = order.withdraw_offer(ctx.now, f"reassigned by {ctx.actor.user_id}")
        if previous is not None:
            stop_escalation(uow, previous)
            freed = previous.installer_id
    version, policy = current_policy(uow)
    send_offer(uow, order, installer.id, ctx, version, policy)
    if freed is not None and freed != installer.id:
        offer_waiting_orders_to_freed(uow, freed, ctx)
    return order


def cancel_order(cmd: CancelOrder, uow: UnitOfWork, ctx: Context) -> Order:
    """Call the job off; the installer who held it is free for the next one.

    Nothing about a cancelled order needs a person any more: its open alerts close.
    """
    order = visible_order(uow, ctx.actor, cmd.order_id)
    offer = order.current_offer
    holder = offer.installer_id if offer else order.installer_id
    order.cancel(ctx.now, cmd.reason)
    uow.orders.save(order)
    settle_alerts(uow, order.id, AlertType, ctx)
    if offer is not None:
        stop_escalation(uow, offer)
    if holder is not None:
        offer_waiting_orders_to_freed(uow, holder, ctx)
    return order


def visible_order(uow: UnitOfWork, actor: Actor, order_id: str) -> Order:
    """The order, locked for change, if the actor may see it; otherwise 404."""
    order = uow.orders.get(order_id)
    if order is None or not may_see_order(actor, order):
        raise NotFound("order", order_id)
    return order


def may_see_order(actor: Actor, order: Order) -> bool:
    """Installers see the orders offered to or held by them; managers see their zones."""
    if actor.installer_id is not None:
        return order.installer_id == actor.installer_id or any(
            offer.installer_id == actor.installer_id for offer in order.offers
        )
    return actor.sees_zone(order.zone_id)
