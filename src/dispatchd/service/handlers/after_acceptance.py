"""After acceptance: the appointment, setting off, and the exceptions, each with a reason.

The installer agrees an arrival window with the customer (and may move it, saying why), sets
off, may give the job back before starting, or put it on hold; a manager may do the same for
them. Every change keeps or restarts the promises it concerns (``domain/promises.py``).
"""

from __future__ import annotations

from dispatchd.domain.errors import FieldError, InvalidInput
from dispatchd.domain.orders import Order, OrderStatus
from dispatchd.service.actors import Actor
from dispatchd.service.commands import HandBack, ResumeOrder, SetAppointment, SetOff, SuspendOrder
from dispatchd.service.context import Context
from dispatchd.service.customer_notice import tell_customer_on_the_way, tell_customer_the_window
from dispatchd.service.errors import NotFound
from dispatchd.service.handlers.orders import visible_order
from dispatchd.service.offering import current_policy, dispatch, offer_waiting_orders_to_freed
from dispatchd.service.unit_of_work import UnitOfWork


def set_appointment(cmd: SetAppointment, uow: UnitOfWork, ctx: Context) -> Order:
    """Agree or move the window; the customer gets an SMS with it in local time."""
    order = holder_or_console(uow, ctx.actor, cmd.order_id)
    _version, policy = current_policy(uow)
    moved = order.set_appointment(cmd.window_start, cmd.window_end, ctx.now, cmd.reason, policy)
    uow.orders.save(order)
    tell_customer_the_window(uow, order, ctx, (cmd.reason or "").strip() if moved else None)
    return order


def set_off(cmd: SetOff, uow: UnitOfWork, ctx: Context) -> Order:
    """The installer is on the way: the customer's page shows how far they are, and the
    customer gets an SMS with the link (once per installer: setting off again says nothing
    new)."""
    order = held_by_caller(uow, ctx.actor, cmd.order_id)
    first = order.on_the_way_at is None
    order.set_off(ctx.now)
    uow.orders.save(order)
    if first:
        tell_customer_on_the_way(uow, order, ctx)
    return order


def hand_back(cmd: HandBack, uow: UnitOfWork, ctx: Context) -> Order:
    """The installer gives the job back; it goes on as after a decline, never to them again."""
    order = held_by_caller(uow, ctx.actor, cmd.order_id)
    holder = order.hand_back(_reason(cmd.reason), ctx.now, ctx.actor.user_id)
    uow.orders.save(order)
    dispatch(uow, order, ctx)
    offer_waiting_orders_to_freed(uow, holder, ctx)
    return order


def suspend(cmd: SuspendOrder, uow: UnitOfWork, ctx: Context) -> Order:
    """Put the job on hold: its promises pause with the time they had left."""
    order = holder_or_console(uow, ctx.actor, cmd.order_id)
    order.suspend(cmd.reason, (cmd.note or "").strip() or None, cmd.until, ctx.now)
    uow.orders.save(order)
    return order


def resume(cmd: ResumeOrder, uow: UnitOfWork, ctx: Context) -> Order:
    """Take the job off hold: back to where it stood, each promise with its time left."""
    order = holder_or_console(uow, ctx.actor, cmd.order_id)
    order.resume(ctx.now)
    uow.orders.save(order)
    return order


def resume_at_its_time(uow: UnitOfWork, order: Order, ctx: Context) -> bool:
    """A suspension's ``until`` has come: resume the order if it is still on hold then."""
    suspension = order.suspension
    if order.status is not OrderStatus.SUSPENDED or suspension is None:
        return False
    if suspension.until is None or suspension.until > ctx.now:
        return False
    order.resume(ctx.now)
    uow.orders.save(order)
    return True


def held_by_caller(uow: UnitOfWork, actor: Actor, order_id: str) -> Order:
    """The order if the calling installer holds the job; anyone else gets 404."""
    order = visible_order(uow, actor, order_id)
    if actor.installer_id is None or order.installer_id != actor.installer_id:
        raise NotFound("order", order_id)
    return order


def holder_or_console(uow: UnitOfWork, actor: Actor, order_id: str) -> Order:
    """The order for its installer, or for a manager of its zone (an admin: any)."""
    if actor.installer_id is not None:
        return held_by_caller(uow, actor, order_id)
    return visible_order(uow, actor, order_id)


def _reason(text: str) -> str:
    reason = text.strip()
    if not reason:
        raise InvalidInput(
            [
                FieldError(
                    "reason",
                    "say why, so the dispatcher can act on it",
                    "hand_back_reason_required",
                )
            ]
        )
    return reason
