"""After acceptance: the appointment, setting off, handing back, putting on hold, resuming.

Each answers with the order as the caller may see it; every bad input is a problem document
naming the field and the fix, and changes nothing.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from dispatchd.api.deps import CurrentActor, DispatcherDep, Idempotency, InstallerActor
from dispatchd.api.rendering import as_order, respond
from dispatchd.api.requests import AppointmentRequest, HandBackRequest, SuspendRequest
from dispatchd.api.responses import OrderOut
from dispatchd.domain.holds import SuspendReason
from dispatchd.service.actors import Actor
from dispatchd.service.commands import (
    Command,
    HandBack,
    ResumeOrder,
    SetAppointment,
    SetOff,
    SuspendOrder,
)
from dispatchd.service.dispatcher import Dispatcher
from dispatchd.service.outcome import IdempotencyRequest

router = APIRouter(tags=["after acceptance"])


def _run(
    dispatcher: Dispatcher, command: Command, actor: Actor, idem: IdempotencyRequest | None
) -> Response:
    public_url = dispatcher.settings.resolved_public_url()
    return respond(dispatcher.execute_rendered(command, actor, as_order(actor, public_url), idem))


@router.put("/orders/{order_id}/appointment", response_model=OrderOut)
def set_appointment(
    order_id: str,
    body: AppointmentRequest,
    actor: CurrentActor,
    dispatcher: DispatcherDep,
    idem: Idempotency,
) -> Response:
    """Agree the arrival window with the customer ([0063]); moving it needs a ``reason``.

    The customer gets an SMS with the window in the deployment's time zone.
    """
    command = SetAppointment(order_id, body.window_start, body.window_end, body.reason)
    return _run(dispatcher, command, actor, idem)


@router.post("/orders/{order_id}/on-the-way", response_model=OrderOut)
def on_the_way(
    order_id: str, actor: InstallerActor, dispatcher: DispatcherDep, idem: Idempotency
) -> Response:
    """The assigned installer sets off; the customer's page shows how far they are."""
    return _run(dispatcher, SetOff(order_id), actor, idem)


@router.post("/orders/{order_id}/hand-back", response_model=OrderOut)
def hand_back(
    order_id: str,
    body: HandBackRequest,
    actor: InstallerActor,
    dispatcher: DispatcherDep,
    idem: Idempotency,
) -> Response:
    """Give the job back before starting: it is offered to someone else, never to you again."""
    return _run(dispatcher, HandBack(order_id, body.reason), actor, idem)


@router.post("/orders/{order_id}/suspend", response_model=OrderOut)
def suspend(
    order_id: str,
    body: SuspendRequest,
    actor: CurrentActor,
    dispatcher: DispatcherDep,
    idem: Idempotency,
) -> Response:
    """Put the job on hold; its promises pause. With ``until`` it resumes by itself then."""
    command = SuspendOrder(order_id, SuspendReason(body.reason), body.note, body.until)
    return _run(dispatcher, command, actor, idem)


@router.post("/orders/{order_id}/resume", response_model=OrderOut)
def resume(
    order_id: str, actor: CurrentActor, dispatcher: DispatcherDep, idem: Idempotency
) -> Response:
    """Take the job off hold: back to where it stood, each promise with its time left."""
    return _run(dispatcher, ResumeOrder(order_id), actor, idem)
