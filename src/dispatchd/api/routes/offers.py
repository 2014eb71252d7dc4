"""The installer's answer to an offer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Response

from dispatchd.api.deps import DispatcherDep, Idempotency, InstallerActor
from dispatchd.api.rendering import as_order, respond
from dispatchd.api.requests import DeclineRequest
from dispatchd.api.responses import OrderOut
from dispatchd.service.commands import AcceptOffer, DeclineOffer

router = APIRouter(tags=["offers"])


@router.post("/offers/{offer_id}/accept", response_model=OrderOut)
def accept_offer(
    offer_id: str, actor: InstallerActor, dispatcher: DispatcherDep, idem: Idempotency
) -> Response:
    """Confirm the offer (S402/S301); 409 when it is no longer active."""
    public_url = dispatcher.settings.resolved_public_url()
    command = AcceptOffer(offer_id)
    return respond(dispatcher.execute_rendered(command, actor, as_order(actor, public_url), idem))


@router.post("/offers/{offer_id}/decline", response_model=OrderOut)
def decline_offer(
    offer_id: str,
    actor: InstallerActor,
    dispatcher: DispatcherDep,
    idem: Idempotency,
    body: Annotated[DeclineRequest | None, Body()] = None,
) -> Response:
    """Turn the offer down; the order is offered to the next installer at once."""
    public_url = dispatcher.settings.resolved_public_url()
    command = DeclineOffer(offer_id, body.reason if body else None)
    return respond(dispatcher.execute_rendered(command, actor, as_order(actor, public_url), idem))
