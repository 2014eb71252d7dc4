"""Zones: the areas installers serve and orders are placed in."""

from __future__ import annotations

from fastapi import APIRouter, Response

from dispatchd.api.deps import ConsoleActor, DispatcherDep, Idempotency
from dispatchd.api.json_response import JSONResponse
from dispatchd.api.rendering import no_content, respond, with_view
from dispatchd.api.requests import ZoneCreate, ZoneUpdate
from dispatchd.api.responses import ZoneList, ZoneOut, zone_view
from dispatchd.service.commands import CreateZone, DeleteZone, UpdateZone
from dispatchd.service.errors import NotFound
from dispatchd.service.unit_of_work import UnitOfWork

router = APIRouter(tags=["zones"])


@router.post("/zones", status_code=201, response_model=ZoneOut)
def create_zone(
    body: ZoneCreate, actor: ConsoleActor, dispatcher: DispatcherDep, idem: Idempotency
) -> Response:
    """Draw a zone (GeoJSON Polygon or MultiPolygon, positions ``[lon, lat]``)."""
    command = CreateZone(body.name, body.boundary.geojson())
    return respond(dispatcher.execute_rendered(command, actor, with_view(zone_view, 201), idem))


@router.get("/zones", response_model=ZoneList)
def list_zones(actor: ConsoleActor, dispatcher: DispatcherDep) -> JSONResponse:
    """Every zone the caller may see."""
    with dispatcher.reading() as conn:
        zones = UnitOfWork(conn).zones.all()
    items = [zone_view(zone) for zone in zones if actor.sees_zone(zone.id)]
    return JSONResponse(ZoneList(items=items))


@router.get("/zones/{zone_id}", response_model=ZoneOut)
def get_zone(zone_id: str, actor: ConsoleActor, dispatcher: DispatcherDep) -> JSONResponse:
    """One zone."""
    with dispatcher.reading() as conn:
        zone = UnitOfWork(conn).zones.get(zone_id)
    if zone is None or not actor.sees_zone(zone.id):
        raise NotFound("zone", zone_id)
    return JSONResponse(zone_view(zone))


@router.patch("/zones/{zone_id}", response_model=ZoneOut)
def update_zone(
    zone_id: str,
    body: ZoneUpdate,
    actor: ConsoleActor,
    dispatcher: DispatcherDep,
    idem: Idempotency,
) -> Response:
    """Rename or redraw a zone."""
    boundary = body.boundary.geojson() if body.boundary else None
    command = UpdateZone(zone_id, body.name, boundary)
    return respond(dispatcher.execute_rendered(command, actor, with_view(zone_view), idem))


@router.delete("/zones/{zone_id}", status_code=204)
def delete_zone(
    zone_id: str, actor: ConsoleActor, dispatcher: DispatcherDep, idem: Idempotency
) -> Response:
    """Remove a zone; refused (409) while it has open orders."""
    return respond(dispatcher.execute_rendered(DeleteZone(zone_id), actor, no_content, idem))
