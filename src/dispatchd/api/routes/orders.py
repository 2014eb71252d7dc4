"""Service requests: created by shops, watched and steered by the console."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Response

from dispatchd.api.cursor import decode_cursor, encode_cursor
from dispatchd.api.deps import (
    ConsoleActor,
    CurrentActor,
    DispatcherDep,
    Idempotency,
    OrderWriter,
)
from dispatchd.api.json_response import JSONResponse
from dispatchd.api.rendering import as_order, respond
from dispatchd.api.requests import AssignRequest, CancelRequest, OrderCreate
from dispatchd.api.responses import OrderOut, OrderPage, order_view
from dispatchd.domain.geo import Point
from dispatchd.service.commands import AssignOrder, CancelOrder, CreateOrder
from dispatchd.service.errors import NotFound
from dispatchd.service.handlers.orders import may_see_order
from dispatchd.service.unit_of_work import UnitOfWork
from dispatchd.store.orders import OrderCriteria

router = APIRouter(tags=["orders"])

Status = Literal[
    "pending", "offered", "accepted", "suspended", "in_progress", "completed", "cancelled"
]


@router.post("/orders", status_code=201, response_model=OrderOut)
def create_order(
    body: OrderCreate, actor: OrderWriter, dispatcher: DispatcherDep, idem: Idempotency
) -> Response:
    """Create a service request; it is placed in its zone and offered at once (S201)."""
    command = CreateOrder(
        customer_name=body.customer.name,
        customer_phone=body.customer.phone,
        address=body.address,
        location=Point(body.location.lat, body.location.lon),
        product=body.product,
        skills=tuple(body.skills),
        notes=body.notes,
        external_ref=body.external_ref,
        fee=body.fee,
    )
    public_url = dispatcher.settings.resolved_public_url()
    return respond(
        dispatcher.execute_rendered(command, actor, as_order(actor, public_url, 201), idem)
    )


@router.get("/orders", response_model=OrderPage)
def list_orders(
    actor: OrderWriter,
    dispatcher: DispatcherDep,
    status: Status | None = None,
    zone_id: str | None = Query(default=None, max_length=64),
    installer_id: str | None = Query(default=None, max_length=64),
    flagged: bool | None = None,
    q: str | None = Query(default=None, min_length=1, max_length=200),
    limit: int = Query(default=50, ge=1, le=500),
    cursor: str | None = Query(default=None, max_length=200),
) -> JSONResponse:
    """Orders newest first, filtered; follow ``next_cursor`` for the next page."""
    zones = actor.zone_ids
    if zone_id is not None:
        zones = frozenset({zone_id}) if zones is None else zones & {zone_id}
    criteria = OrderCriteria(
        status=status, zone_ids=zones, installer_id=installer_id, flagged=flagged, text=q
    )
    after = decode_cursor(cursor) if cursor else None
    with dispatcher.reading() as conn:
        orders = UnitOfWork(conn).orders.page(criteria, limit + 1, after)
    public_url = dispatcher.settings.resolved_public_url()
    page = orders[:limit]
    next_cursor = encode_cursor(page[-1].created_at, page[-1].id) if len(orders) > limit else None
    return JSONResponse(
        OrderPage(
            items=[order_view(order, actor, public_url) for order in page],
            next_cursor=next_cursor,
        )
    )


@router.get("/orders/{order_id}", response_model=OrderOut)
def get_order(order_id: str, actor: CurrentActor, dispatcher: DispatcherDep) -> JSONResponse:
    """One order with every offer (oldest first) and its whole event history."""
    with dispatcher.reading() as conn:
        uow = UnitOfWork(conn)
        order = uow.orders.get(order_id, for_update=False)
        if order is None or not may_see_order(actor, order):
            raise NotFound("order", order_id)
        events = uow.events.for_order(order.id, actor.audience())
    public_url = dispatcher.settings.resolved_public_url()
    return JSONResponse(order_view(order, actor, public_url, events=events, with_offers=True))


@router.post("/orders/{order_id}/assign", response_model=OrderOut)
def assign_order(
    order_id: str,
    body: AssignRequest,
    actor: ConsoleActor,
    dispatcher: DispatcherDep,
    idem: Idempotency,
) -> Response:
    """Offer the order to the installer of the manager's choice (any active offer is withdrawn).

    On an accepted, suspended or started order it is a reassignment: ``reason`` is required,
    the job is taken from its installer (their app is told) and offered to the chosen one.
    """
    public_url = dispatcher.settings.resolved_public_url()
    command = AssignOrder(order_id, body.installer_id, body.reason)
    return respond(dispatcher.execute_rendered(command, actor, as_order(actor, public_url), idem))


@router.post("/orders/{order_id}/cancel", response_model=OrderOut)
def cancel_order(
    order_id: str,
    body: CancelRequest,
    actor: ConsoleActor,
    dispatcher: DispatcherDep,
    idem: Idempotency,
) -> Response:
    """Cancel the order; an active offer is withdrawn and the installer's app told."""
    public_url = dispatcher.settings.resolved_public_url()
    command = CancelOrder(order_id, body.reason)
    return respond(dispatcher.execute_rendered(command, actor, as_order(actor, public_url), idem))
