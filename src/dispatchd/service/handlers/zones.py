"""Zones: drawing, editing and removing the areas installers serve."""

from __future__ import annotations

import shapely

from dispatchd.domain.errors import NotAllowed
from dispatchd.domain.ids import new_id
from dispatchd.domain.orders import OrderStatus
from dispatchd.service.boundary import parse_boundary
from dispatchd.service.commands import CreateZone, DeleteZone, UpdateZone
from dispatchd.service.context import Context
from dispatchd.service.errors import Conflict, NotFound
from dispatchd.service.offering import dispatch
from dispatchd.service.unit_of_work import UnitOfWork
from dispatchd.store.zones import ZoneRecord

ORDERS_TAKEN_IN_PER_ZONE_CHANGE = 500


def create_zone(cmd: CreateZone, uow: UnitOfWork, ctx: Context) -> ZoneRecord:
    """Store a validated zone; orders waiting outside every zone that it covers join it.

    What is stored is the boundary rebuilt from its parsed geometry, never the client's object.
    """
    boundary = parse_boundary(cmd.boundary)
    if ctx.actor.zone_ids is not None:
        raise NotAllowed("a manager limited to zones cannot create zones; ask an admin")
    zone = ZoneRecord(new_id("zon"), cmd.name, boundary.geojson, ctx.now, ctx.now)
    uow.zones.add(zone)
    take_in_orders_outside_zones(uow, zone.id, boundary.geometry, ctx)
    return zone


def update_zone(cmd: UpdateZone, uow: UnitOfWork, ctx: Context) -> ZoneRecord:
    """Rename or redraw a zone (open orders keep the zone they were placed in)."""
    zone = visible_zone(uow, ctx, cmd.zone_id)
    values: dict[str, object] = {"updated_at": ctx.now}
    if cmd.name is not None:
        values["name"] = cmd.name
    boundary = parse_boundary(cmd.boundary) if cmd.boundary is not None else None
    if boundary is not None:
        values["boundary"] = boundary.geojson
    uow.zones.update(zone.id, values)
    if boundary is not None:
        take_in_orders_outside_zones(uow, zone.id, boundary.geometry, ctx)
    updated = uow.zones.get(zone.id)
    assert updated is not None
    return updated


def delete_zone(cmd: DeleteZone, uow: UnitOfWork, ctx: Context) -> None:
    """Remove a zone, unless orders in it are still open."""
    zone = visible_zone(uow, ctx, cmd.zone_id)
    open_orders = uow.zones.open_orders(zone.id)
    if open_orders:
        raise Conflict(
            f"zone {zone.id} still has {open_orders} open orders; complete or cancel them first"
        )
    uow.zones.delete(zone.id, ctx.now)


def take_in_orders_outside_zones(
    uow: UnitOfWork, zone_id: str, boundary: shapely.Geometry, ctx: Context
) -> None:
    """Orders that came in outside every zone and lie inside this boundary join the zone.

    A pending one is dispatched at once, as if it had just arrived (an offer settles its
    "nobody can take this" alert).
    """
    for order in uow.orders.outside_every_zone(ORDERS_TAKEN_IN_PER_ZONE_CHANGE):
        if not boundary.intersects(shapely.Point(order.location.lon, order.location.lat)):
            continue
        order.place_in_zone(zone_id)
        uow.orders.save(order)
        if order.status is OrderStatus.PENDING:
            dispatch(uow, order, ctx)


def visible_zone(uow: UnitOfWork, ctx: Context, zone_id: str) -> ZoneRecord:
    """The zone if the actor may see it, else 404."""
    zone = uow.zones.get(zone_id)
    if zone is None or not ctx.actor.sees_zone(zone.id):
        raise NotFound("zone", zone_id)
    return zone
