"""The job itself: start, completion with proof (the customer is thanked and asked to rate
it), and the manager's follow-up call."""

from __future__ import annotations

from dataclasses import dataclass

from dispatchd.domain.alerts import AlertType
from dispatchd.domain.orders import CompletionProof, Order
from dispatchd.service.actors import Actor
from dispatchd.service.alerting import raise_alert, settle_alerts
from dispatchd.service.commands import CompleteJob, ResolveFollowUp, StartJob
from dispatchd.service.context import Context
from dispatchd.service.customer_notice import tell_customer_job_done
from dispatchd.service.errors import NotFound
from dispatchd.service.handlers.orders import may_see_order, visible_order
from dispatchd.service.offering import current_policy, offer_waiting_orders_to_freed
from dispatchd.service.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class ServiceCodeRejected:
    """A wrong code: counted against the order, so the answer is an error that still commits."""

    order: Order
    attempts_left: int


def start_job(cmd: StartJob, uow: UnitOfWork, ctx: Context) -> Order:
    """The assigned installer reports the start of installation (S303)."""
    order = held_order(uow, ctx, cmd.order_id)
    _version, policy = current_policy(uow)
    order.start(ctx.now, policy)
    uow.orders.save(order)
    return order


def complete_job(cmd: CompleteJob, uow: UnitOfWork, ctx: Context) -> Order | ServiceCodeRejected:
    """Store the completion with its photo (S304); a missing or locked code flags it ([0066]).

    A wrong code is counted and refused with the attempts left — typos are forgiven until the
    fifth, after which the code locks and only a completion without it (flagged) is taken.
    """
    order = completable_order(uow, ctx.actor, cmd.order_id)
    confirmed = False
    if cmd.service_code is not None:
        left = order.check_service_code(cmd.service_code, ctx.key.service_code_pepper)
        if left is not None:
            uow.orders.save(order)
            return ServiceCodeRejected(order, left)
        confirmed = True
    flag = order.complete(
        ctx.now,
        CompletionProof(cmd.photo.key, cmd.photo.taken_at, cmd.notes, code_confirmed=confirmed),
    )
    uow.orders.save(order)
    tell_customer_job_done(uow, order, ctx)
    if flag is not None:
        raise_alert(uow, AlertType.FOLLOW_UP_REQUIRED, order, ctx, detail=flag)
    offer_waiting_orders_to_freed(uow, order.installer_id or "", ctx)
    return order


def resolve_follow_up(cmd: ResolveFollowUp, uow: UnitOfWork, ctx: Context) -> Order:
    """Record the call's outcome; the flag is resolved and its alert closed."""
    order = visible_order(uow, ctx.actor, cmd.order_id)
    order.resolve_follow_up(ctx.now, cmd.outcome, cmd.note, ctx.actor.user_id)
    uow.orders.save(order)
    settle_alerts(uow, order.id, [AlertType.FOLLOW_UP_REQUIRED], ctx)
    return order


def held_order(uow: UnitOfWork, ctx: Context, order_id: str) -> Order:
    """The order if the calling installer holds the job; anyone else gets 404."""
    return _held_by(uow, ctx.actor, order_id)


def completable_order(
    uow: UnitOfWork, actor: Actor, order_id: str, for_update: bool = True
) -> Order:
    """The order if ``actor`` holds the job and it can be completed now: 404 for anyone
    else, 409 in any other state.

    The API asks this before it reads the photo, so an upload nobody may make is refused
    before it costs a decode or a file; the handler asks again inside its transaction.
    """
    order = _held_by(uow, actor, order_id, for_update)
    order.ensure_can_complete()
    return order


def _held_by(uow: UnitOfWork, actor: Actor, order_id: str, for_update: bool = True) -> Order:
    if for_update:
        order = visible_order(uow, actor, order_id)
    else:
        found = uow.orders.get(order_id, for_update=False)
        if found is None or not may_see_order(actor, found):
            raise NotFound("order", order_id)
        order = found
    if order.installer_id is None or order.installer_id != actor.installer_id:
        raise NotFound("order", order_id)
    return order
