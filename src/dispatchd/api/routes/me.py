"""The installer's own view: profile, duty, position, offers, jobs and the jobs they finished."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from dispatchd.api.cursor import decode_cursor, encode_cursor
from dispatchd.api.deps import DispatcherDep, Idempotency, InstallerActor
from dispatchd.api.json_response import JSONResponse
from dispatchd.api.rendering import respond
from dispatchd.api.requests import DutyRequest, LocationReport
from dispatchd.api.responses import (
    InstallerOut,
    JobList,
    OfferList,
    OrderPage,
    offer_view,
    order_view,
)
from dispatchd.api.routes.installers import as_installer, installer_for
from dispatchd.domain.errors import FieldError, InvalidInput
from dispatchd.domain.geo import Point
from dispatchd.domain.orders import OrderStatus
from dispatchd.service.commands import SetDuty
from dispatchd.service.positions import PositionReport
from dispatchd.service.unit_of_work import UnitOfWork
from dispatchd.store.orders import OrderCriteria

router = APIRouter(tags=["installer app"])

MAX_LISTED = 200


def _me(actor: InstallerActor) -> str:
    assert actor.installer_id is not None
    return actor.installer_id


@router.get("/me", response_model=InstallerOut)
def get_me(actor: InstallerActor, dispatcher: DispatcherDep) -> JSONResponse:
    """The installer's own profile, workload and balance."""
    return JSONResponse(installer_for(dispatcher, actor, _me(actor)))


@router.put("/me/duty", response_model=InstallerOut)
def set_duty(
    body: DutyRequest, actor: InstallerActor, dispatcher: DispatcherDep, idem: Idempotency
) -> Response:
    """Go on duty (offers may come at once) or off duty (no new offers)."""
    command = SetDuty(_me(actor), body.on_duty)
    return respond(
        dispatcher.execute_rendered(command, actor, as_installer(dispatcher.positions), idem)
    )


@router.post("/me/location", status_code=204)
def report_location(
    body: LocationReport, actor: InstallerActor, dispatcher: DispatcherDep, _idem: Idempotency
) -> Response:
    """Report the phone's position, or several fixes at once (used to find the nearest installer).

    The newest fix is on the map at once and saved with the next batch, about a second later:
    a position is soft state, it changes no order and raises no event. A repeated report
    changes nothing again, so its ``Idempotency-Key`` needs no storing.
    """
    dispatcher.report_positions(_me(actor), _fixes(body))
    return Response(status_code=204)


def _fixes(body: LocationReport) -> list[PositionReport]:
    """The body's fixes, each with the prefix naming its fields in errors."""
    single = {"lat": body.lat, "lon": body.lon, "accuracy_m": body.accuracy_m, "at": body.at}
    if body.points is not None:
        sent = sorted(name for name, value in single.items() if value is not None)
        if sent:
            raise InvalidInput(
                [
                    FieldError(
                        name,
                        "send one fix (lat, lon) or a list of points, not both",
                        "fix_or_points",
                    )
                    for name in sent
                ]
            )
        return [
            PositionReport(f"points[{n}].", Point(p.lat, p.lon), p.accuracy_m, p.at)
            for n, p in enumerate(body.points)
        ]
    missing = [name for name in ("lat", "lon") if single[name] is None]
    if missing:
        raise InvalidInput(
            [
                FieldError(name, "Field required (or send a list of points)", "missing")
                for name in missing
            ]
        )
    assert body.lat is not None
    assert body.lon is not None
    return [PositionReport("", Point(body.lat, body.lon), body.accuracy_m, body.at)]


@router.get("/me/offers", response_model=OfferList)
def my_offers(actor: InstallerActor, dispatcher: DispatcherDep) -> JSONResponse:
    """Offers waiting for the installer's answer, with what each is about."""
    installer_id = _me(actor)
    with dispatcher.reading() as conn:
        orders = UnitOfWork(conn).orders.page(
            OrderCriteria(status=OrderStatus.OFFERED.value, offered_to=installer_id), MAX_LISTED
        )
    items = [
        offer_view(order.current_offer, order)
        for order in orders
        if order.current_offer is not None and order.current_offer.installer_id == installer_id
    ]
    return JSONResponse(OfferList(items=items))


@router.get("/me/jobs", response_model=JobList)
def my_jobs(actor: InstallerActor, dispatcher: DispatcherDep) -> JSONResponse:
    """Jobs the installer holds: accepted, on hold or started (a job on hold is still theirs)."""
    installer_id = _me(actor)
    with dispatcher.reading() as conn:
        orders = UnitOfWork(conn).orders.page(
            OrderCriteria(
                installer_id=installer_id,
                statuses=(
                    OrderStatus.ACCEPTED.value,
                    OrderStatus.SUSPENDED.value,
                    OrderStatus.IN_PROGRESS.value,
                ),
            ),
            MAX_LISTED,
        )
    public_url = dispatcher.settings.resolved_public_url()
    return JSONResponse(JobList(items=[order_view(order, actor, public_url) for order in orders]))


@router.get("/me/history", response_model=OrderPage)
def my_history(
    actor: InstallerActor,
    dispatcher: DispatcherDep,
    limit: int = Query(default=20, ge=1, le=100),
    cursor: str | None = Query(default=None, max_length=200),
) -> JSONResponse:
    """The jobs the installer completed, last completed first, with the fee each earned;
    follow ``next_cursor`` for older ones."""
    after = decode_cursor(cursor) if cursor else None
    with dispatcher.reading() as conn:
        orders = UnitOfWork(conn).orders.completed_by(_me(actor), limit + 1, after)
    page = orders[:limit]
    last = page[-1] if page else None
    next_cursor = None
    if len(orders) > limit and last is not None and last.completed_at is not None:
        next_cursor = encode_cursor(last.completed_at, last.id)
    public_url = dispatcher.settings.resolved_public_url()
    return JSONResponse(
        OrderPage(
            items=[order_view(order, actor, public_url) for order in page],
            next_cursor=next_cursor,
        )
    )
