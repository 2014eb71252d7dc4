"""The promises' ladders run for a batch of due steps at once: remind, alert, penalize,
reassign — the same road as the offer's ladder (``offer_ladder.py``).

One query loads the batch's promises with their orders' zones; the domain decides each step
(``Promise.take_step``); the promises and their next deadlines are written with a statement
each for the batch, and the penalties, alerts and pushes follow as reactions to the steps'
events. A ``reassign`` step takes the job away and re-dispatches it, so it takes the road of
the full order, one order after the other. A suspension's end, also due by deadline, resumes
its order.
"""

from __future__ import annotations

from datetime import datetime

from dispatchd.domain.deadlines import PROMISE_OF_DEADLINE, Deadline
from dispatchd.domain.events import OrderEvent
from dispatchd.domain.orders import promise_step_event
from dispatchd.domain.promises import Promise, PromiseAction
from dispatchd.service.actors import SYSTEM
from dispatchd.service.context import Context
from dispatchd.service.handlers.after_acceptance import resume_at_its_time
from dispatchd.service.offering import dispatch, offer_waiting_orders_to_freed
from dispatchd.service.reactions import react
from dispatchd.service.unit_of_work import UnitOfWork
from dispatchd.store.promise_steps import PromiseAtStep


def run_promise_steps(uow: UnitOfWork, due: list[Deadline], ctx: Context) -> int:
    """Run the batch's due promise steps; returns how many took effect."""
    found = uow.promise_steps.load(sorted({deadline.subject_id for deadline in due}))
    advanced: list[tuple[Deadline, PromiseAtStep]] = []
    reassigning: list[Deadline] = []
    events: list[OrderEvent] = []
    for deadline in due:
        at_step = found.get((deadline.subject_id, PROMISE_OF_DEADLINE[deadline.kind]))
        if at_step is None or not _is_due(at_step.promise, deadline):
            continue
        promise = at_step.promise
        if promise.ladder.step(deadline.step).action is PromiseAction.REASSIGN:
            reassigning.append(deadline)
            continue
        taken = promise.take_step(deadline.step, ctx.now)
        assert taken is not None
        events.append(promise_step_event(at_step.order_id, at_step.zone_id, promise, taken))
        advanced.append((deadline, at_step))
    uow.events.append(events)
    uow.promise_steps.save(at_step for _, at_step in advanced)
    moving_on = [
        (deadline, at_step.promise.steps_taken, _next(at_step.promise))
        for deadline, at_step in advanced
        if at_step.promise.next_step_at is not None
    ]
    uow.deadlines.advance_many(moving_on)
    reassigned = _reassign(uow, reassigning, ctx)
    kept = {deadline.id for deadline, _, _ in moving_on}
    uow.deadlines.done_many([deadline for deadline in due if deadline.id not in kept])
    return len(advanced) + reassigned


def run_suspension_ends(uow: UnitOfWork, due: list[Deadline], ctx: Context) -> int:
    """Suspensions whose ``until`` has come: their orders resume, each promise with its time."""
    orders = uow.orders.get_many(sorted({deadline.subject_id for deadline in due}))
    resumed = sum(resume_at_its_time(uow, order, ctx) for order in orders.values())
    uow.deadlines.done_many(due)
    return resumed


def _is_due(promise: Promise, deadline: Deadline) -> bool:
    return (
        promise.is_open
        and not promise.paused
        and promise.next_step_at is not None
        and promise.steps_taken == deadline.step
    )


def _next(promise: Promise) -> datetime:
    assert promise.next_step_at is not None
    return promise.next_step_at


def _reassign(uow: UnitOfWork, due: list[Deadline], ctx: Context) -> int:
    """Promises whose last resort is to take the job away: re-dispatched one after another."""
    if not due:
        return 0
    orders = uow.orders.get_many(sorted({deadline.subject_id for deadline in due}))
    done = 0
    for deadline in due:
        order = orders.get(deadline.subject_id)
        kind = PROMISE_OF_DEADLINE[deadline.kind]
        if order is None or order.run_promise_step(kind, deadline.step, ctx.now) is None:
            continue
        holder = order.take_away(f"{kind.value} promise not kept", ctx.now, SYSTEM.user_id)
        uow.orders.save(order)
        dispatch(uow, order, ctx)
        offer_waiting_orders_to_freed(uow, holder, ctx)
        react(uow, ctx)
        done += 1
    return done
